package sfu_test

import (
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
