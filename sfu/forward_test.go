package sfu_test

import (
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

func TestTwoPublishersSeeEachOther(t *testing.T) {
	// Either write path: each subscriber's writer goroutine, or the
	// publisher's reader writing to every subscriber in one batched pass.
	for _, tc := range []struct {
		name string
		cfg  sfu.Config
	}{{"fan-out pass", sfu.Config{}}, {"writer goroutines", sfu.Config{QueuedWrites: true}}} {
		t.Run(tc.name, func(t *testing.T) { twoPublishersSeeEachOther(t, tc.cfg) })
	}
}

func twoPublishersSeeEachOther(t *testing.T, cfg sfu.Config) {
	b := setup(t, cfg)
	ra, rb := newRecorder(), newRecorder()
	a := b.dial(t, "meeting-1", "hall-a", sfuclient.Options{OnTrack: ra.onTrack})
	c := b.dial(t, "meeting-1", "hall-b", sfuclient.Options{OnTrack: rb.onTrack})
	publishHall(t, a, nil, sfuclient.VideoSpec{Bitrates: []int{300_000}})
	publishHall(t, c, nil, sfuclient.VideoSpec{Bitrates: []int{300_000}})

	waitTrack(t, a, "hall-b/camera")
	waitTrack(t, c, "hall-a/camera")
	if err := a.Subscribe("hall-b/camera", sfu.QualityHigh); err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe("hall-a/camera", sfu.QualityHigh); err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		r     *recorder
		other string
	}{{ra, "hall-b"}, {rb, "hall-a"}} {
		x.r.waitFor(t, 10*time.Second, x.other+" audio and video", func(r *recorder) bool {
			return r.packets[x.other+"/microphone"] > 20 && r.keys[x.other+"/camera"] > 0 && r.packets[x.other+"/camera"] > 20
		})
	}
}

func waitTrack(t *testing.T, c *sfuclient.Client, id sfu.TrackID) {
	t.Helper()
	for _, tr := range c.Joined().Tracks {
		if tr.ID == id {
			return
		}
	}
	_, err := c.WaitFor(ctxT(t, 10*time.Second), sfuclient.IsType("track_published", func(e sfu.TrackPublished) bool { return e.Track.ID == id }))
	if err != nil {
		t.Fatalf("track %s never published: %v", id, err)
	}
}
