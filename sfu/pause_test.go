package sfu_test

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// pauseAfter is the tests' Config.PauseAfter: short, so they stay short.
const pauseAfter = 1500 * time.Millisecond

// layerFlow reports which layers of a track grew their packet count,
// as the SFU counts them, over d.
func layerFlow(b bundle, room sfu.RoomID, id sfu.TrackID, d time.Duration) [3]bool {
	before := sfu.LayerPackets(b.s, room, id)
	time.Sleep(d)
	after := sfu.LayerPackets(b.s, room, id)
	var out [3]bool
	for i := range out {
		out[i] = after[i] > before[i]
	}
	return out
}

// waitLayers waits until the SFU tells c's track which layers to send,
// active, and returns when it did.
func waitLayers(t *testing.T, c *sfuclient.Client, mark int, id sfu.TrackID, active ...string) time.Time {
	t.Helper()
	ev, err := c.WaitFrom(ctxT(t, 10*time.Second), mark, sfuclient.IsType("layers", func(e sfu.LayersEvent) bool {
		if e.TrackID != id || len(e.Active) != len(active) {
			return false
		}
		for i := range active {
			if e.Active[i] != active[i] {
				return false
			}
		}
		return true
	}))
	if err != nil {
		t.Fatalf("%s never told to send %v: %v", id, active, err)
	}
	return ev.At
}

// settledFlow waits until the last "layers" message c had for its track
// id says active, and returns which of the track's layers the SFU counts
// flowing over the second after what was on its way came. The last word
// is what counts, not the first: a layer is paused only pauseAfter after
// it was last wanted, and a subscriber climbing to high under load wants
// medium on the way (its estimate held to what its line carried), so the
// publisher can be told low and high only seconds after joining. Should
// the SFU tell c something else while it is measured, it waits again.
func settledFlow(t *testing.T, b bundle, room sfu.RoomID, c *sfuclient.Client, id sfu.TrackID, active ...string) [3]bool {
	t.Helper()
	ctx := ctxT(t, 15*time.Second)
	isLayers := sfuclient.IsType("layers", func(e sfu.LayersEvent) bool { return e.TrackID == id })
	for {
		if err := ctx.Err(); err != nil {
			t.Fatalf("%s never settled on %v: %v", id, active, err)
		}
		mark := c.Mark()
		last := lastLayers(c, id)
		if slices.Equal(last, active) {
			time.Sleep(200 * time.Millisecond) // what was on its way
			flow := layerFlow(b, room, id, time.Second)
			if !slices.ContainsFunc(c.Events()[mark:], isLayers) {
				return flow
			}
			t.Logf("%s told to send other layers while measured; again", id)
			continue
		}
		if _, err := c.WaitFrom(ctx, mark, isLayers); err != nil {
			t.Fatalf("%s last told to send %v, never %v: %v", id, last, active, err)
		}
	}
}

// lastLayers is what the last "layers" message c had for id told it to
// send; nil before any.
func lastLayers(c *sfuclient.Client, id sfu.TrackID) []string {
	evs := c.Events()
	for i := len(evs) - 1; i >= 0; i-- {
		var e sfu.LayersEvent
		if evs[i].Type == "layers" && json.Unmarshal(evs[i].Data, &e) == nil && e.TrackID == id {
			return e.Active
		}
	}
	return nil
}

// floorGaps notes the longest time between two floor packets a
// subscriber receives from a moment on.
type floorGaps struct {
	mu      sync.Mutex
	from    time.Time
	last    time.Time
	longest time.Duration
}

func (g *floorGaps) onTrack(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	floor := t.ID() == string(sfu.FloorTrack)
	go sfuclient.ReadPackets(t, func(p *rtp.Packet) {
		if !floor || len(p.Payload) == 0 {
			return // read all the same: pion's feedback comes of reading
		}
		now := time.Now()
		g.mu.Lock()
		if !g.from.IsZero() && now.After(g.from) {
			if !g.last.IsZero() && g.last.After(g.from) {
				g.longest = max(g.longest, now.Sub(g.last))
			}
		}
		g.last = now
		g.mu.Unlock()
	})
}

func (g *floorGaps) start() {
	g.mu.Lock()
	g.from, g.longest = time.Now(), 0
	g.mu.Unlock()
}

// max is the longest gap so far, the one still open included.
func (g *floorGaps) max() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	since := g.from
	if g.last.After(since) {
		since = g.last
	}
	return max(g.longest, time.Since(since))
}

// pauseRoom is the room these tests share: hall-a and hall-b publish
// three layers, hall-a holds the floor, and hall-c watches the floor at
// floorQ (until it is on that layer) and hall-b's camera at low. markB is
// hall-b's event mark from before it published.
type pauseRoom struct {
	a, bh, c *sfuclient.Client
	markB    int
}

func newPauseRoom(t *testing.T, b bundle, room string, spec sfuclient.VideoSpec, floorQ sfu.Quality, watcher sfuclient.Options) pauseRoom {
	t.Helper()
	var r pauseRoom
	r.a = b.dial(t, room, "hall-a", sfuclient.Options{})
	publishHall(t, r.a, simulcastRIDs, spec)
	r.bh = b.dial(t, room, "hall-b", sfuclient.Options{})
	r.markB = r.bh.Mark()
	publishHall(t, r.bh, simulcastRIDs, spec)
	r.c = b.dial(t, room, "hall-c", watcher)
	waitTrack(t, r.c, "hall-a/camera")
	waitTrack(t, r.c, "hall-b/camera")
	if err := b.s.PinFloor(sfu.RoomID(room), "hall-a"); err != nil {
		t.Fatal(err)
	}
	if err := r.c.Subscribe(sfu.FloorTrack, floorQ); err != nil {
		t.Fatal(err)
	}
	if err := r.c.Subscribe("hall-b/camera", sfu.QualityLow); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.WaitFor(ctxT(t, 10*time.Second), sfuclient.IsType("layer", func(e sfu.LayerEvent) bool {
		return e.TrackID == sfu.FloorTrack && e.Source == "hall-a" && e.Quality == floorQ.String()
	})); err != nil {
		t.Fatalf("floor never %s: %v", floorQ, err)
	}
	return r
}

// A hall watched only as a thumbnail stops sending its medium and high
// layers; when the floor moves to it, the floor goes out on its low layer
// at once and on high as soon as high flows again.
func TestPauseUnwantedLayers(t *testing.T) {
	b := setup(t, sfu.Config{InitialBitrate: 5_000_000, PauseAfter: pauseAfter})
	const room = "meeting-pause"
	gaps := &floorGaps{}
	r := newPauseRoom(t, b, room, sfuclient.VideoSpec{Bitrates: referenceRates, KeyInterval: time.Minute},
		sfu.QualityHigh, sfuclient.Options{OnTrack: gaps.onTrack})
	a, bh, c, markB := r.a, r.bh, r.c, r.markB

	// hall-b is a thumbnail only: told to send low alone, and it does.
	waitLayers(t, bh, markB, "hall-b/camera", "low")
	if got := settledFlow(t, b, room, bh, "hall-b/camera", "low"); got != [3]bool{true, false, false} {
		t.Errorf("hall-b's layers flowing %v, want low only", got)
	}
	// hall-a's high layer is the floor's; nobody wants its medium.
	if got := settledFlow(t, b, room, a, "hall-a/camera", "low", "high"); got != [3]bool{true, false, true} {
		t.Errorf("hall-a's layers flowing %v, want low and high", got)
	}
	if m := gather(t, b); m["cau_sfu_layers_paused"] != 3 {
		t.Errorf("cau_sfu_layers_paused = %v, want 3", m["cau_sfu_layers_paused"])
	}

	// The floor moves to hall-b: low at once, high within about a second,
	// no gap in the picture.
	markA, markC, markB := a.Mark(), c.Mark(), bh.Mark()
	gaps.start()
	pinned := time.Now()
	if err := b.s.PinFloor(room, "hall-b"); err != nil {
		t.Fatal(err)
	}
	told := waitLayers(t, bh, markB, "hall-b/camera", "low", "high")
	firstEv, err := c.WaitFrom(ctxT(t, 5*time.Second), markC, sfuclient.IsType("layer", func(e sfu.LayerEvent) bool {
		return e.TrackID == sfu.FloorTrack && e.Source == "hall-b"
	}))
	if err != nil {
		t.Fatalf("floor never showed hall-b: %v", err)
	}
	// The first picture of hall-b is low, taken at once, unless high's
	// key frame came first (the publisher answers the resume and the PLI
	// of low in the same frame).
	first := decode[sfu.LayerEvent](t, firstEv).Quality
	high, err := c.WaitFrom(ctxT(t, 5*time.Second), markC, sfuclient.IsType("layer", func(e sfu.LayerEvent) bool {
		return e.TrackID == sfu.FloorTrack && e.Source == "hall-b" && e.Quality == "high"
	}))
	if err != nil {
		t.Fatalf("floor never high on hall-b: %v", err)
	}
	t.Logf("floor moved: hall-b told to resume after %v, %s after %v, high after %v; longest gap %v",
		told.Sub(pinned), first, firstEv.At.Sub(pinned), high.At.Sub(pinned), gaps.max())
	if d := high.At.Sub(pinned); d > 1500*time.Millisecond {
		t.Errorf("high layer %v after the floor moved, want about 1 s at most", d)
	}
	time.Sleep(300 * time.Millisecond)
	if g := gaps.max(); g > 300*time.Millisecond {
		t.Errorf("the floor's picture stopped for %v while it moved", g)
	}
	// hall-a, no longer the floor, goes down to low.
	waitLayers(t, a, markA, "hall-a/camera", "low")
}

// A recording keeps the floor's best layer flowing, and a relay's tap
// the layer it forwards, though no subscriber wants them; without them
// those layers pause.
func TestPauseKeepsForwardedLayers(t *testing.T) {
	b := setup(t, sfu.Config{InitialBitrate: 5_000_000, PauseAfter: pauseAfter})
	const room = "meeting-pause-kept"
	// Everyone watches in low.
	r := newPauseRoom(t, b, room, sfuclient.VideoSpec{Bitrates: referenceRates}, sfu.QualityLow, sfuclient.Options{})
	a, bh, markB := r.a, r.bh, r.markB
	rec, err := b.s.StartRecording(room, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	untap, err := b.s.TapLayer(room, "hall-b/camera", func() int { return 2 }, func(int, bool, []byte) {})
	if err != nil {
		t.Fatal(err)
	}
	waitLayers(t, bh, markB, "hall-b/camera", "low", "high")
	time.Sleep(pauseAfter)
	for _, id := range []sfu.TrackID{"hall-a/camera", "hall-b/camera"} {
		if got := layerFlow(b, room, id, time.Second); got != [3]bool{true, false, true} {
			t.Errorf("%s's layers flowing %v with a recording and a relay, want low and high", id, got)
		}
	}

	markA, markB := a.Mark(), bh.Mark()
	untap()
	if _, err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	waitLayers(t, a, markA, "hall-a/camera", "low")
	waitLayers(t, bh, markB, "hall-b/camera", "low")
	time.Sleep(200 * time.Millisecond)
	for _, id := range []sfu.TrackID{"hall-a/camera", "hall-b/camera"} {
		if got := layerFlow(b, room, id, time.Second); got != [3]bool{true, false, false} {
			t.Errorf("%s's layers flowing %v once nothing forwards more, want low only", id, got)
		}
	}
}

// With pausing off (Config.PauseAfter negative, CAU_RTC_PAUSE_AFTER=0)
// nobody is told to stop a layer: a thumbnail's medium and high, and the
// floor's medium, which TestPauseUnwantedLayers sees paused within
// pauseAfter, keep flowing.
func TestPauseOff(t *testing.T) {
	b := setup(t, sfu.Config{InitialBitrate: 5_000_000, PauseAfter: -1})
	const room = "meeting-pause-off"
	r := newPauseRoom(t, b, room, sfuclient.VideoSpec{Bitrates: referenceRates}, sfu.QualityHigh, sfuclient.Options{})
	a, bh := r.a, r.bh

	time.Sleep(2 * pauseAfter)
	for _, id := range []sfu.TrackID{"hall-a/camera", "hall-b/camera"} {
		if got := layerFlow(b, room, id, time.Second); got != [3]bool{true, true, true} {
			t.Errorf("%s's layers flowing %v with pausing off, want all three", id, got)
		}
	}
	for name, p := range map[string]*sfuclient.Client{"hall-a": a, "hall-b": bh} {
		for _, ev := range p.Events() {
			if ev.Type == "layers" {
				t.Errorf("%s told %s with pausing off", name, ev.Data)
			}
		}
	}
	if m := gather(t, b); m["cau_sfu_layers_paused"] != 0 || m["cau_sfu_layer_resumes_total"] != 0 {
		t.Errorf("cau_sfu_layers_paused = %v, cau_sfu_layer_resumes_total = %v, want 0 and 0",
			m["cau_sfu_layers_paused"], m["cau_sfu_layer_resumes_total"])
	}
}
