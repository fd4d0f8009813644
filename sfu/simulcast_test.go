package sfu_test

import (
	"slices"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

var (
	simulcastRIDs  = []string{"q", "h", "f"}
	referenceRates = []int{150_000, 500_000, 1_500_000} // the reference hall's layers
)

func allEqual(ls []int, n, v int) bool {
	return len(ls) >= n && !slices.ContainsFunc(ls, func(x int) bool { return x != v })
}

func TestSimulcastLayerPerSubscriber(t *testing.T) {
	// A generous starting estimate: this test is about choosing layers,
	// the bandwidth tests are about estimating.
	b := setup(t, sfu.Config{InitialBitrate: 5_000_000})
	pub := b.dial(t, "meeting-2", "hall-province", sfuclient.Options{})
	publishHall(t, pub, simulcastRIDs, sfuclient.VideoSpec{Bitrates: referenceRates})

	subs := map[sfu.Quality]*recorder{}
	for _, q := range []sfu.Quality{sfu.QualityHigh, sfu.QualityLow, sfu.QualityOff} {
		r := newRecorder()
		c := b.dial(t, "meeting-2", "hall-"+q.String(), sfuclient.Options{OnTrack: r.onTrack})
		waitTrack(t, c, "hall-province/camera")
		if err := c.Subscribe("hall-province/camera", q); err != nil {
			t.Fatal(err)
		}
		subs[q] = r
	}
	const cam = "hall-province/camera"
	subs[sfu.QualityHigh].waitFor(t, 10*time.Second, "high layer only", func(r *recorder) bool {
		ls := r.layers[cam]
		return len(ls) > 60 && allEqual(ls[len(ls)-60:], 60, 2)
	})
	subs[sfu.QualityLow].waitFor(t, 10*time.Second, "low layer only", func(r *recorder) bool {
		return allEqual(r.layers[cam], 30, 0)
	})
	subs[sfu.QualityOff].waitFor(t, 5*time.Second, "audio", func(r *recorder) bool {
		return r.packets["hall-province/microphone"] > 25
	})
	if n := subs[sfu.QualityOff].lastLayers(cam, 1000); len(n) != 0 {
		t.Errorf("off subscriber got %d video packets", len(n))
	}
	// The low subscriber never saw another layer, even at the start.
	if ls := subs[sfu.QualityLow].lastLayers(cam, 100000); slices.ContainsFunc(ls, func(x int) bool { return x != 0 }) {
		t.Errorf("low subscriber got other layers: %v", ls)
	}
}

func TestLateJoinerGetsKeyframeFast(t *testing.T) {
	b := setup(t, sfu.Config{})
	pub := b.dial(t, "meeting-3", "hall-a", sfuclient.Options{})
	// Periodic key frames far apart: the picture must come from the
	// SFU's request.
	_, video := publishHall(t, pub, simulcastRIDs, sfuclient.VideoSpec{Bitrates: referenceRates, KeyInterval: time.Minute})

	first := newRecorder()
	c1 := b.dial(t, "meeting-3", "hall-b", sfuclient.Options{OnTrack: first.onTrack})
	waitTrack(t, c1, "hall-a/camera")
	if err := c1.Subscribe("hall-a/camera", sfu.QualityMedium); err != nil {
		t.Fatal(err)
	}
	first.waitFor(t, 10*time.Second, "first subscriber's picture", func(r *recorder) bool { return r.keys["hall-a/camera"] > 0 })
	time.Sleep(time.Second) // the publisher is well past its last key frame

	late := newRecorder()
	c2 := b.dial(t, "meeting-3", "hall-c", sfuclient.Options{OnTrack: late.onTrack})
	waitTrack(t, c2, "hall-a/camera")
	// The late joiner's down connection is up (it gets audio at once).
	late.waitFor(t, 10*time.Second, "audio", func(r *recorder) bool { return r.packets["hall-a/microphone"] > 0 })
	plis := video.PLIs()
	start := time.Now()
	if err := c2.Subscribe("hall-a/camera", sfu.QualityMedium); err != nil {
		t.Fatal(err)
	}
	late.waitFor(t, 5*time.Second, "late joiner's key frame", func(r *recorder) bool { return r.keys["hall-a/camera"] > 0 })
	late.mu.Lock()
	got := late.firstKey["hall-a/camera"].Sub(start)
	late.mu.Unlock()
	t.Logf("late joiner's first key frame %v after subscribing (PLIs %d → %d)", got, plis, video.PLIs())
	if got > 500*time.Millisecond {
		t.Errorf("first key frame %v after subscribing, want ≤ 500ms", got)
	}
}

// A subscriber moved between layers sees one stream of VP8 pictures: each
// frame's picture ID the one after the last, across every switch, though
// each layer's encoder numbers its own from a random start (a receiver's
// reference finder holds frames back over a jump; vp8munge.go).
func TestPictureIDsContinueAcrossSwitches(t *testing.T) {
	b := setup(t, sfu.Config{InitialBitrate: 5_000_000})
	pub := b.dial(t, "meeting-2", "hall-province", sfuclient.Options{})
	publishHall(t, pub, simulcastRIDs, sfuclient.VideoSpec{Bitrates: referenceRates})
	const cam = "hall-province/camera"
	r := newRecorder()
	c := b.dial(t, "meeting-2", "hall-district", sfuclient.Options{OnTrack: r.onTrack})
	waitTrack(t, c, cam)
	frames := 0
	for _, q := range []sfu.Quality{sfu.QualityHigh, sfu.QualityLow, sfu.QualityMedium, sfu.QualityHigh} {
		if err := c.Subscribe(cam, q); err != nil {
			t.Fatal(err)
		}
		want := int(q) - 1 // the synthetic layer's index
		r.waitFor(t, 10*time.Second, "layer "+q.String(), func(r *recorder) bool {
			ls := r.layers[cam]
			return len(r.pictures[cam]) > frames+10 && len(ls) > 20 && allEqual(ls[len(ls)-20:], 20, want)
		})
		frames = len(r.pictures[cam])
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	pics, switches := r.pictures[cam], 0
	for i := 1; i < len(pics); i++ {
		if pics[i] != (pics[i-1]+1)&0x7fff {
			t.Errorf("frame %d: picture ID %d after %d", i, pics[i], pics[i-1])
		}
	}
	ls := r.layers[cam]
	for i := 1; i < len(ls); i++ {
		if ls[i] != ls[i-1] {
			switches++
		}
	}
	if switches < 3 {
		t.Errorf("%d layer switches seen, want 3 or more", switches)
	}
	t.Logf("%d frames over %d switches, picture IDs %d to %d", len(pics), switches, pics[0], pics[len(pics)-1])
}
