package loadtest

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"
)

// The fan-out scenario against the pion baseline, in this process: every
// player gets video and audio, and the report counts what they received.
func TestFanoutAgainstPion(t *testing.T) {
	f, err := NewPionFanout("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	srv := httptest.NewServer(f)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := RunFanout(ctx, FanoutOptions{URL: srv.URL, Players: 3, Duration: time.Second, Server: "pion"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Connected != 3 {
		t.Errorf("%d of 3 players received video and audio", rep.Connected)
	}
	// 3 players × (150 + 50) packets/s, give or take the pumps' ticks.
	if rep.PacketsOut < 3*150 || rep.PacketsIn < 150 {
		t.Errorf("in %.0f/s, out %.0f/s; want about 200 and 600", rep.PacketsIn, rep.PacketsOut)
	}
	if rep.DelayP50 <= 0 {
		t.Errorf("no delay measured: %+v", rep)
	}
}
