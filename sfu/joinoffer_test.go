package sfu_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
	"github.com/cau-gov/cau/sfu/signal"
)

// TestJoinSubscriptionInFirstOffer: the floor asked for in the join is in
// the SFU's first down offer, beside the room's audio, and its picture
// comes without a second offer (a joining browser's first picture waited
// for one: a round trip and the page's work on another offer).
func TestJoinSubscriptionInFirstOffer(t *testing.T) {
	b := setup(t, sfu.Config{})
	a := b.dial(t, "meeting-9", "hall-a", sfuclient.Options{})
	publishHall(t, a, nil, sfuclient.VideoSpec{Bitrates: []int{200_000}})
	for _, kind := range []string{"audio", "video"} {
		if _, err := a.WaitFor(ctxT(t, 10*time.Second), sfuclient.IsType("track_published", func(e sfu.TrackPublished) bool {
			return e.Track.Kind == kind
		})); err != nil {
			t.Fatalf("hall-a's %s never published: %v", kind, err)
		}
	}

	var mu sync.Mutex
	var offers []string
	viewer := newRecorder()
	b.dial(t, "meeting-9", "hall-c", sfuclient.Options{
		OnTrack:   viewer.onTrack,
		Subscribe: []signal.Subscribe{{TrackID: sfu.FloorTrack, Quality: "high"}},
		OnEvent: func(e sfuclient.Event) {
			if e.Type == "offer" {
				mu.Lock()
				offers = append(offers, string(e.Data))
				mu.Unlock()
			}
		},
	})
	viewer.waitFor(t, 10*time.Second, "the floor's first key frame", func(r *recorder) bool { return r.keys["floor"] > 0 })

	mu.Lock()
	defer mu.Unlock()
	if len(offers) != 1 {
		t.Fatalf("%d down offers before the floor's picture, want 1", len(offers))
	}
	// The offer as JSON: its SDP's line ends are escaped.
	first := offers[0]
	if strings.Count(first, "m=video") != 1 || strings.Count(first, "m=audio") != 1 || !strings.Contains(first, "a=msid:floor floor") {
		t.Errorf("first down offer has not the floor and hall-a's audio:\n%s", first)
	}
}

// TestFirstPictureAtConnect: a joiner whose join asks for the floor gets
// its picture from the cache as soon as its connection is up, not at the
// floor layer's next packet. The publisher sends two frames a second and
// ignores PLIs: waiting for its next packet left the first picture up to
// 500 ms after the first audio; five joiners in a row each have it within
// 150 ms of their first audio (by chance, with the old wait: 0.3⁵).
func TestFirstPictureAtConnect(t *testing.T) {
	b := setup(t, sfu.Config{})
	a := b.dial(t, "meeting-10", "hall-a", sfuclient.Options{})
	publishHall(t, a, nil, sfuclient.VideoSpec{Bitrates: []int{200_000}, FPS: 2, KeyInterval: 2 * time.Second, IgnorePLI: true})
	warm := newRecorder()
	b.dial(t, "meeting-10", "hall-b", sfuclient.Options{OnTrack: warm.onTrack,
		Subscribe: []signal.Subscribe{{TrackID: sfu.FloorTrack, Quality: "high"}}})
	// The cache holds a key frame once one has passed.
	warm.waitFor(t, 10*time.Second, "the floor's first key frame", func(r *recorder) bool { return r.keys["floor"] > 0 })
	for i := range 5 {
		viewer := newRecorder()
		b.dial(t, "meeting-10", fmt.Sprintf("hall-c%d", i), sfuclient.Options{OnTrack: viewer.onTrack,
			Subscribe: []signal.Subscribe{{TrackID: sfu.FloorTrack, Quality: "high"}}})
		viewer.waitFor(t, 10*time.Second, "the floor's picture", func(r *recorder) bool {
			return r.keys["floor"] > 0 && r.packets["hall-a/microphone"] > 0
		})
		viewer.mu.Lock()
		after := viewer.firstKey["floor"].Sub(viewer.first["hall-a/microphone"])
		viewer.mu.Unlock()
		t.Logf("joiner %d: the floor's key frame %v after its first audio", i+1, after.Round(time.Millisecond))
		if after > 150*time.Millisecond {
			t.Errorf("joiner %d: the floor's key frame %v after its first audio, want ≤ 150ms", i+1, after.Round(time.Millisecond))
		}
	}
}
