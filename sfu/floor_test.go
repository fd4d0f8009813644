package sfu_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

func TestFloorActiveSpeakerPinAndMute(t *testing.T) {
	b := setup(t, sfu.Config{StatsInterval: 300 * time.Millisecond})
	rc := newRollCall()
	b.s.SetObserver(rc)
	spec := sfuclient.VideoSpec{Bitrates: []int{200_000}}
	a := b.dial(t, "meeting-7", "hall-a", sfuclient.Options{})
	publishHallLevel(t, a, nil, spec, 25) // speaking
	bh := b.dial(t, "meeting-7", "hall-b", sfuclient.Options{})
	publishHallLevel(t, bh, nil, spec, 127) // silent room
	viewer := newRecorder()
	c := b.dial(t, "meeting-7", "hall-c", sfuclient.Options{OnTrack: viewer.onTrack})
	mod := b.dial(t, "meeting-7", "console-1", sfuclient.Options{}, permSubscribe, permModerate)

	if err := c.Subscribe(sfu.FloorTrack, sfu.QualityHigh); err != nil {
		t.Fatal(err)
	}
	// The loud hall becomes the floor, and C sees its picture.
	if _, err := c.WaitFor(ctxT(t, 10*time.Second), sfuclient.IsType("active_speakers", func(e sfu.ActiveSpeakers) bool {
		return len(e.Speakers) == 1 && e.Speakers[0] == "hall-a"
	})); err != nil {
		t.Fatalf("hall-a never the active speaker: %v", err)
	}
	waitFloorSource(t, c, "hall-a")
	viewer.waitFor(t, 5*time.Second, "floor picture", func(r *recorder) bool { return r.keys["floor"] > 0 })

	// The chair grants hall-b the floor.
	mark := c.Mark()
	if err := b.s.PinFloor("meeting-7", "hall-b"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitFrom(ctxT(t, 5*time.Second), mark, sfuclient.IsType("floor", func(e sfu.FloorEvent) bool {
		return e.Identity == "hall-b" && e.Pinned
	})); err != nil {
		t.Fatalf("no pinned floor event: %v", err)
	}
	waitFloorSource(t, c, "hall-b")
	keys := viewer.keyCount("floor")
	viewer.waitFor(t, 5*time.Second, "key frame of the new floor", func(r *recorder) bool { return r.keys["floor"] > keys })
	rc.mu.Lock()
	floors := slices.Clone(rc.floors)
	rc.mu.Unlock()
	// The first camera to arrive takes the floor until someone is heard;
	// on a loaded machine hall-b's first packets can come before hall-a's.
	if len(floors) == 3 && floors[0] == "hall-b" {
		floors = floors[1:]
	}
	if !slices.Equal(floors, []sfu.ParticipantID{"hall-a", "hall-b"}) {
		t.Errorf("observer floors = %v, want [hall-a hall-b]", floors)
	}
	if err := b.s.PinFloor("meeting-7", "hall-nobody"); !errors.Is(err, sfu.ErrNoParticipant) {
		t.Errorf("pin to a stranger: %v", err)
	}

	// A hall cannot mute another; the console can.
	mark = c.Mark()
	if err := c.MuteParticipant("hall-a", true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitFrom(ctxT(t, 5*time.Second), mark, sfuclient.IsType("error", func(e sfu.ErrorEvent) bool {
		return e.Code == "not_allowed"
	})); err != nil {
		t.Errorf("hall muting a hall: no not_allowed error: %v", err)
	}
	viewer.waitFor(t, 5*time.Second, "hall-a audio", func(r *recorder) bool { return r.packets["hall-a/microphone"] > 10 })
	if err := mod.MuteParticipant("hall-a", true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WaitFor(ctxT(t, 5*time.Second), sfuclient.IsType("server_muted", func(e sfu.ServerMuted) bool { return e.Muted })); err != nil {
		t.Fatalf("hall-a not told it was muted: %v", err)
	}
	// After a moment for packets in flight, no more of hall-a's audio.
	settle := time.NewTimer(300 * time.Millisecond)
	<-settle.C
	n := packets(viewer, "hall-a/microphone")
	window := time.NewTimer(time.Second)
	<-window.C
	if m := packets(viewer, "hall-a/microphone"); m != n {
		t.Errorf("hall-a audio still forwarded while muted: %d more packets", m-n)
	}
	if err := b.s.SetMuted("meeting-7", "hall-a", false); err != nil {
		t.Fatal(err)
	}
	viewer.waitFor(t, 5*time.Second, "hall-a audio after unmute", func(r *recorder) bool { return r.packets["hall-a/microphone"] > n+10 })

	// The console gets everyone's link stats.
	if _, err := mod.WaitFor(ctxT(t, 5*time.Second), sfuclient.IsType("stats", func(e sfu.StatsEvent) bool {
		for _, p := range e.Participants {
			if p.Identity == "hall-a" && p.BitrateIn > 0 && len(e.Participants) == 4 {
				return true
			}
		}
		return false
	})); err != nil {
		t.Errorf("no stats for the console: %v", err)
	}
	// A hall gets only its own.
	if ev, err := c.WaitFor(ctxT(t, 5*time.Second), sfuclient.IsType[sfu.StatsEvent]("stats", nil)); err != nil {
		t.Errorf("no stats for hall-c: %v", err)
	} else if st := decode[sfu.StatsEvent](t, ev); len(st.Participants) != 1 || st.Participants[0].Identity != "hall-c" {
		t.Errorf("hall-c stats = %+v", st)
	}
	if st := b.s.RoomStats("meeting-7"); len(st) != 4 {
		t.Errorf("RoomStats = %d participants, want 4", len(st))
	}
	m := gather(t, b)
	for name, ok := range map[string]bool{
		"cau_sfu_participants":            m["cau_sfu_participants"] == 4,
		"cau_sfu_tracks":                  m["cau_sfu_tracks"] == 4,
		"cau_sfu_rooms":                   m["cau_sfu_rooms"] == 1,
		"cau_sfu_packets_forwarded_total": m["cau_sfu_packets_forwarded_total"] > 100,
		"cau_sfu_keyframe_requests_total": m["cau_sfu_keyframe_requests_total"] > 0,
		"cau_sfu_layer_switches_total":    m["cau_sfu_layer_switches_total"] > 0,
		"cau_sfu_forward_delay_seconds":   m["cau_sfu_forward_delay_seconds"] > 10, // sampled 1 in 16
		"cau_sfu_packets_received_total":  m["cau_sfu_packets_received_total"] > 100,
	} {
		if !ok {
			t.Errorf("metric %s = %v", name, m[name])
		}
	}
}

// gather reads the SFU's metrics: gauges and counters by value,
// histograms by sample count.
func gather(t *testing.T, b bundle) map[string]float64 {
	t.Helper()
	fams, err := b.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			switch {
			case m.GetGauge() != nil:
				out[f.GetName()] += m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				out[f.GetName()] += m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				out[f.GetName()] += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func waitFloorSource(t *testing.T, c *sfuclient.Client, src sfu.ParticipantID) {
	t.Helper()
	if _, err := c.WaitFor(ctxT(t, 10*time.Second), sfuclient.IsType("layer", func(e sfu.LayerEvent) bool {
		return e.TrackID == sfu.FloorTrack && e.Source == src && e.Quality != "off"
	})); err != nil {
		t.Fatalf("floor track never showed %s: %v", src, err)
	}
}

func (r *recorder) keyCount(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys[id]
}

// The floor is never empty while someone publishes a camera: the first
// camera takes it, unpinning returns it to the active speaker, and when the
// floor leaves, the first hall still publishing takes it.
func TestFloorFallbackAndUnpin(t *testing.T) {
	b := setup(t, sfu.Config{})
	spec := sfuclient.VideoSpec{Bitrates: []int{200_000}}
	viewer := newRecorder()
	c := b.dial(t, "meeting-8", "hall-c", sfuclient.Options{OnTrack: viewer.onTrack}, permSubscribe)
	if err := c.Subscribe(sfu.FloorTrack, sfu.QualityHigh); err != nil {
		t.Fatal(err)
	}
	floorIs := func(what string, mark int, id sfu.ParticipantID, pinned bool) {
		t.Helper()
		if _, err := c.WaitFrom(ctxT(t, 10*time.Second), mark, sfuclient.IsType("floor", func(e sfu.FloorEvent) bool {
			return e.Identity == id && e.Pinned == pinned
		})); err != nil {
			t.Fatalf("%s: no floor event for %s (pinned %v): %v", what, id, pinned, err)
		}
	}

	// A silent hall alone: its camera is the floor, no one had to speak.
	mark := c.Mark()
	a := b.dial(t, "meeting-8", "hall-a", sfuclient.Options{})
	publishHallLevel(t, a, nil, spec, 127)
	floorIs("first camera", mark, "hall-a", false)
	waitFloorSource(t, c, "hall-a")
	viewer.waitFor(t, 5*time.Second, "the silent hall's picture", func(r *recorder) bool { return r.keys["floor"] > 0 })

	// A speaking hall takes it after the hold.
	mark = c.Mark()
	bh := b.dial(t, "meeting-8", "hall-b", sfuclient.Options{})
	publishHallLevel(t, bh, nil, spec, 25)
	floorIs("active speaker", mark, "hall-b", false)

	// The chair pins the silent hall, then ends its turn: back to the speaker.
	mark = c.Mark()
	if err := b.s.PinFloor("meeting-8", "hall-a"); err != nil {
		t.Fatal(err)
	}
	floorIs("pinned", mark, "hall-a", true)
	mark = c.Mark()
	if err := b.s.PinFloor("meeting-8", ""); err != nil {
		t.Fatal(err)
	}
	floorIs("unpinned", mark, "hall-b", false)

	// The speaker leaves: the floor goes to the hall still publishing.
	mark = c.Mark()
	if err := bh.Close(); err != nil {
		t.Fatal(err)
	}
	floorIs("speaker left", mark, "hall-a", false)
	waitFloorSource(t, c, "hall-a")
}

// TestJoinerToldActiveSpeakers: a hall that joins after the active
// speakers last changed is told them as it joins, not at the next change
// (TestFloorActiveSpeakerPinAndMute's viewer, dialed late on a loaded
// machine, waited 10 s for a list that had been sent before it came).
func TestJoinerToldActiveSpeakers(t *testing.T) {
	b := setup(t, sfu.Config{})
	a := b.dial(t, "meeting-speakers", "hall-a", sfuclient.Options{})
	publishHallLevel(t, a, nil, sfuclient.VideoSpec{Bitrates: []int{200_000}}, 25) // speaking
	isA := sfuclient.IsType("active_speakers", func(e sfu.ActiveSpeakers) bool {
		return len(e.Speakers) == 1 && e.Speakers[0] == "hall-a"
	})
	if _, err := a.WaitFor(ctxT(t, 10*time.Second), isA); err != nil {
		t.Fatalf("hall-a never the active speaker: %v", err)
	}
	c := b.dial(t, "meeting-speakers", "hall-c", sfuclient.Options{})
	if _, err := c.WaitFor(ctxT(t, 2*time.Second), isA); err != nil {
		t.Errorf("a hall joining after hall-a became the active speaker was not told: %v", err)
	}
}
