package loadtest

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
)

// TestShortRun keeps the load tool from rotting: a few halls for a few
// seconds against an embedded SFU, checking that the report holds what
// a real run would (every hall connected, packets both ways, little loss).
// Each hall also watches two others in low, and the last hall sits behind
// a weak line (600 kbit/s, 3% loss, 40 ms): room for audio and the low
// layer, not for medium. The SFU must move its floor to low and keep its
// audio, while the others get more. (At 400 kbit/s the estimate hovers
// near what audio and low need and the floor pauses now and then: a run
// of `cau loadtest --weak-share` shows it; this test checks the tool.)
func TestShortRun(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	// CAU_TEST_SFU_LOG=file writes the SFU's debug log there: each
	// allocation, probe and estimate drop, to see why a layer moved.
	var log *slog.Logger
	if f := os.Getenv("CAU_TEST_SFU_LOG"); f != "" {
		w, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		log = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e, err := StartEmbedded(log, sfu.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	rep, err := Run(ctx, Options{URL: e.URL, Signer: e.Signer, Halls: 4, Duration: 3 * time.Second, Unmuted: 2,
		FloorChangesPerMinute: 30, Console: true, ServerPID: os.Getpid(),
		Subscribers: 2, WeakShare: 0.25, WeakLink: LinkProfile{RateBps: 600_000, LossPercent: 3, Delay: 40 * time.Millisecond}})
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
	// The SFU's own part, from its histogram: something, and less than
	// the whole (which adds the generator's pion and scheduling).
	if rep.SFUDelayMsP50 <= 0 || rep.SFUDelayMsP99 < rep.SFUDelayMsP50 || rep.SFUDelayMsP50 > rep.DelayMsP50 {
		t.Errorf("delay in the SFU p50 / p99 %.3f / %.3f ms (all of it p50 %.2f ms)", rep.SFUDelayMsP50, rep.SFUDelayMsP99, rep.DelayMsP50)
	}
	// To the normal halls' sockets: before their reads, so no more than
	// the delay to the read.
	if rep.WireDelayMsP50 <= 0 || rep.WireDelayMsP50 > rep.NormalDelayMsP50 {
		t.Errorf("delay to the hall's socket p50 %.3f ms, to the read %.3f ms", rep.WireDelayMsP50, rep.NormalDelayMsP50)
	}
	// From outside (the normal halls' publishing sockets to the halls'):
	// every packet of theirs matched to its send, most of the halls'
	// (the weak hall's are not timed), and no more than the wire delay,
	// which adds the publishers' pion.
	if rep.OutsideDelayMissed != 0 || rep.OutsideDelaySamples < rep.WireDelaySamples/2 ||
		rep.OutsideDelayMsP50 <= 0 || rep.OutsideDelayMsP50 > rep.WireDelayMsP50 {
		t.Errorf("delay from outside p50 %.3f ms over %d of %d packets (%d not matched), wire p50 %.3f ms", rep.OutsideDelayMsP50,
			rep.OutsideDelaySamples, rep.WireDelaySamples, rep.OutsideDelayMissed, rep.WireDelayMsP50)
	}
	// Split by kind and by hall: both kinds measured, every normal hall
	// (the first three in join order) has its own figures.
	if rep.OutsideDelayAudioMsP99 <= 0 || rep.OutsideDelayVideoMsP99 <= 0 || len(rep.OutsideDelayByHallMs) != 4 ||
		rep.OutsideDelayByHallMs[0][0] <= 0 || rep.OutsideDelayByHallMs[2][1] < rep.OutsideDelayByHallMs[2][0] {
		t.Errorf("from outside p99 audio %.3f video %.3f ms, by hall %v", rep.OutsideDelayAudioMsP99, rep.OutsideDelayVideoMsP99, rep.OutsideDelayByHallMs)
	}
	if rep.OutsideDelayLowMsP99 > rep.OutsideDelayMsP99 || rep.OutsideDelayLowMsP50 > rep.OutsideDelayMsP50 {
		t.Errorf("from the writes' return p50 / p99 %.3f / %.3f ms, above from their call %.3f / %.3f ms",
			rep.OutsideDelayLowMsP50, rep.OutsideDelayLowMsP99, rep.OutsideDelayMsP50, rep.OutsideDelayMsP99)
	}
	if rep.PublisherWriteUsP99 <= 0 {
		t.Errorf("the publishers' writes were not timed")
	}
	if rep.NormalLossRatio > 0.05 {
		t.Errorf("loss %.3f on loopback", rep.NormalLossRatio)
	}
	// Every hall gets the floor and audio; the three normal halls get
	// their two strip cameras too (the weak hall's may be paused).
	if rep.Subscriptions < 4+4+3*2 || rep.SubscribersPerHall != 2 {
		t.Errorf("%d subscriptions measured (%d per hall), want ≥ 14 (errors %v)", rep.Subscriptions, rep.SubscribersPerHall, rep.Errors)
	}
	if rep.WeakHalls != 1 || rep.NormalHalls != 3 || rep.WeakLink == nil {
		t.Fatalf("weak / normal halls %d / %d, link %+v: want 1 / 3", rep.WeakHalls, rep.NormalHalls, rep.WeakLink)
	}
	if used := rep.WeakLink.KbpsUsed; used < 150 || used > 600*1.1 {
		t.Errorf("the weak hall received %.0f kbit/s through its 600 kbit/s line: not shaped, or nothing flows", used)
	}
	// The weak hall keeps the floor's low layer to the end. (It was paused
	// for 3–97 % of the run for a while: probes before the connection was
	// up, steps doubling an untested estimate, and replays bursting into
	// the queue collapsed GCC's estimate, which then held under the line's
	// 3 % loss; see sfu/bandwidth.go.)
	if rep.WeakFloorLayerAtEnd["low"] != 1 || rep.WeakFloorLayers["low"] < 0.9 {
		t.Errorf("weak hall's floor: %v of the run, at the end %v, want low at the end and ≥ 90%% of the run (link %+v)",
			rep.WeakFloorLayers, rep.WeakFloorLayerAtEnd, *rep.WeakLink)
	}
	if rep.NormalFloorLayerAtEnd["high"]+rep.NormalFloorLayerAtEnd["medium"] == 0 {
		t.Errorf("normal halls' floor at the end: %v, want one above low", rep.NormalFloorLayerAtEnd)
	}
	if rep.WeakAudioLossRatio > 0.05 {
		t.Errorf("weak hall's audio loss %.3f, want < 5%%", rep.WeakAudioLossRatio)
	}
	if rep.ServerCPUCores <= 0 || rep.ServerRSSBytes <= 0 || rep.CPUMicrosPerForwardedPacket <= 0 {
		t.Errorf("process figures missing: %+v", rep)
	}
	if err := rep.WriteJSON(t.TempDir() + "/r.json"); err != nil {
		t.Fatal(err)
	}
	t.Logf("short run: %+v", *rep)
}
