package loadtest

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestShortRun keeps the load tool from rotting: a few halls for a few
// seconds against an embedded SFU, checking that the report holds what
// a real run would (every hall connected, packets both ways, little loss).
func TestShortRun(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	e, err := StartEmbedded(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	rep, err := Run(ctx, Options{URL: e.URL, Signer: e.Signer, Halls: 4, Duration: 3 * time.Second, Unmuted: 2,
		FloorChangesPerMinute: 30, Console: true, ServerPID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.HallsConnected != 4 {
		t.Fatalf("halls connected %d/4: %v", rep.HallsConnected, rep.Errors)
	}
	if rep.PPSIn < 100 || rep.PPSOut < 100 {
		t.Errorf("packets/s in %.0f out %.0f: nothing flows", rep.PPSIn, rep.PPSOut)
	}
	if rep.DelayMsP50 <= 0 || rep.DelayMsP50 > 200 {
		t.Errorf("delay p50 %.2f ms", rep.DelayMsP50)
	}
	if rep.LossRatio > 0.05 {
		t.Errorf("loss %.3f on loopback", rep.LossRatio)
	}
	if rep.ServerCPUCores <= 0 || rep.ServerRSSBytes <= 0 || rep.CPUMicrosPerForwardedPacket <= 0 {
		t.Errorf("process figures missing: %+v", rep)
	}
	if err := rep.WriteJSON(t.TempDir() + "/r.json"); err != nil {
		t.Fatal(err)
	}
	t.Logf("short run: %+v", *rep)
}
