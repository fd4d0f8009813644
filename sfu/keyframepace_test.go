package sfu_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// TestFloorChangeOneKeyframeRequest: when the floor moves and every hall's
// floor track switches source at once, the new floor's publisher is asked
// for a key frame about once per layer in use (Config.PLIInterval
// coalesces the subscribers' requests), and every hall shows it.
func TestFloorChangeOneKeyframeRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("16 subscribers")
	}
	const halls = 16
	b := setup(t, sfu.Config{})
	const room = "meeting-switch"
	spec := sfuclient.VideoSpec{Bitrates: []int{150_000, 500_000, 1_500_000}, FPS: 15}
	a := b.dial(t, room, "hall-a", sfuclient.Options{})
	publishHallLevel(t, a, simulcastRIDs, spec, 127)
	bh := b.dial(t, room, "hall-b", sfuclient.Options{})
	_, video := publishHallLevel(t, bh, simulcastRIDs, spec, 127)
	if err := b.s.PinFloor(room, "hall-a"); err != nil {
		t.Fatal(err)
	}
	subs := make([]*sfuclient.Client, halls)
	for i := range subs {
		subs[i] = b.dial(t, room, fmt.Sprintf("hall-%02d", i), sfuclient.Options{}, permSubscribe)
		if err := subs[i].Subscribe(sfu.FloorTrack, sfu.QualityHigh); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range subs {
		waitFloorSource(t, c, "hall-a")
	}
	time.Sleep(time.Second) // hall-b's own joins' requests are behind
	before := video.PLIs()
	marks := make([]int, halls)
	for i, c := range subs {
		marks[i] = c.Mark()
	}
	start := time.Now()
	if err := b.s.PinFloor(room, "hall-b"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var last time.Duration
	for i, c := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.WaitFrom(ctxT(t, 10*time.Second), marks[i], sfuclient.IsType("layer", func(e sfu.LayerEvent) bool {
				return e.TrackID == sfu.FloorTrack && e.Source == "hall-b" && e.Quality != "off"
			})); err != nil {
				t.Errorf("hall %d never switched to hall-b: %v", i, err)
			}
			mu.Lock()
			last = max(last, time.Since(start))
			mu.Unlock()
		}()
	}
	wg.Wait()
	time.Sleep(time.Second)
	plis := video.PLIs() - before
	// A hall whose estimate moves meanwhile (a loaded machine delays
	// feedback, and GCC reads it as queueing) is switched to another
	// layer of hall-b, which takes a key frame of that layer too: one
	// request more at most, each.
	moves := 0
	for i, c := range subs {
		moves += floorMoves(c, marks[i], "hall-b")
	}
	t.Logf("floor change to %d halls: all on hall-b's picture after %v; hall-b asked for %d key frames (3 layers), %d later layer switches",
		halls, last, plis, moves)
	if plis > uint64(6+moves) {
		t.Errorf("hall-b asked for %d key frames for %d halls' switch and %d later layer switches, want at most 2 per layer and 1 per switch",
			plis, halls, moves)
	}
}

// floorMoves counts the times c's floor went to another layer of src
// after its first picture of src, from mark on.
func floorMoves(c *sfuclient.Client, mark int, src sfu.ParticipantID) int {
	moves, seen := 0, false
	for _, ev := range c.Events()[mark:] {
		var e sfu.LayerEvent
		if ev.Type != "layer" || json.Unmarshal(ev.Data, &e) != nil || e.TrackID != sfu.FloorTrack || e.Source != src || e.Quality == "off" {
			continue
		}
		if seen {
			moves++
		}
		seen = true
	}
	return moves
}

// TestJoinStormOneKeyframeRequest: halls that join together, when the
// publisher's last key frame has left the cache, cost it about one key
// frame request per layer, not one each.
func TestJoinStormOneKeyframeRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("16 subscribers")
	}
	const halls = 16
	b := setup(t, sfu.Config{})
	const room = "meeting-join"
	spec := sfuclient.VideoSpec{Bitrates: []int{150_000, 500_000, 1_500_000}, FPS: 15, KeyInterval: time.Hour}
	a := b.dial(t, room, "hall-a", sfuclient.Options{})
	_, video := publishHallLevel(t, a, simulcastRIDs, spec, 127)
	if err := b.s.PinFloor(room, "hall-a"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // the first key frames leave the rings (about 1.5 s)
	before := video.PLIs()
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var last time.Duration
	for i := range halls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := newRecorder()
			c := b.dial(t, room, fmt.Sprintf("hall-%02d", i), sfuclient.Options{OnTrack: rec.onTrack}, permSubscribe)
			if err := c.Subscribe(sfu.FloorTrack, sfu.QualityHigh); err != nil {
				t.Error(err)
				return
			}
			rec.waitFor(t, 10*time.Second, "the floor's key frame", func(r *recorder) bool { return r.keys["floor"] > 0 })
			mu.Lock()
			last = max(last, time.Since(start))
			mu.Unlock()
		}()
	}
	wg.Wait()
	plis := video.PLIs() - before
	t.Logf("%d halls joining at once: all with a picture after %v; the publisher asked for %d key frames (3 layers)", halls, last, plis)
	if plis > 6 {
		t.Errorf("the publisher was asked for %d key frames for %d halls joining, want at most 2 per layer", plis, halls)
	}
}
