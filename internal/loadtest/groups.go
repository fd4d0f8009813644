package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// Weak halls and the strip of other halls: which halls get a shaped
// downlink, whom each hall watches besides the floor, and the figures
// that tell weak halls from the others.

// DefaultWeakLink is a commune hall's line (BRIEF.md: 300 kbit/s–2 Mbit/s
// with a few percent loss), the defaults of `cau loadtest --weak-*`.
var DefaultWeakLink = LinkProfile{RateBps: 400_000, LossPercent: 3, Delay: 40 * time.Millisecond}

// isWeak reports whether hall i (from 0) of n sits behind a weak link:
// round(share·n) of them, spread evenly over the join order (every
// 1/share-th hall). The first hall, the first floor, stays normal unless
// every hall is weak.
func isWeak(i, n int, share float64) bool {
	w := int(math.Round(share * float64(n)))
	return (i+1)*w/n > i*w/n
}

// stripTargets returns the halls that halls[j] watches in the low layer
// besides the floor: the next k halls in join order, round-robin, so that
// every camera gets k extra subscribers (k < len(halls)).
func stripTargets(halls []*hall, j, k int) []*hall {
	k = min(k, len(halls)-1)
	out := make([]*hall, 0, k)
	for i := 1; i <= k; i++ {
		out = append(out, halls[(j+i)%len(halls)])
	}
	return out
}

// publishWait bounds the wait for a camera to be published.
const publishWait = 10 * time.Second

// subscribeLow subscribes c to camera in the low layer (a strip's or the
// console's thumbnail) once the SFU has said it is published: a hall's
// publication is negotiated when it has joined, but the SFU knows the
// camera only from its first packets, and a subscription sent before is
// refused (no such track). Under load that left a third of the strip
// unsubscribed (TestShortRun: 9–12 of 14 subscriptions).
func subscribeLow(ctx context.Context, c *sfuclient.Client, camera sfu.TrackID) error {
	published := slices.ContainsFunc(c.Joined().Tracks, func(t sfu.TrackInfo) bool { return t.ID == camera })
	if !published {
		wctx, cancel := context.WithTimeout(ctx, publishWait)
		defer cancel()
		_, err := c.WaitFor(wctx, func(ev sfuclient.Event) bool {
			var tp sfu.TrackPublished
			return ev.Type == "track_published" && json.Unmarshal(ev.Data, &tp) == nil && tp.Track.ID == camera
		})
		if err != nil {
			return fmt.Errorf("not published within %s: %w", publishWait, err)
		}
	}
	return c.Subscribe(camera, sfu.QualityLow)
}

// byIndex orders halls by join order (they finish joining in any order).
func byIndex(halls []*hall) {
	sort.Slice(halls, func(a, b int) bool { return halls[a].index < halls[b].index })
}

// groupFigures are a set of halls' figures over the window.
type groupFigures struct {
	halls             int
	loss, audioLoss   float64
	delayP50, delayP9 float64
	floorLayers       map[string]float64 // share of the window on each layer
	floorAtEnd        map[string]int     // halls per layer at the window's end
}

// figures measures halls over the window [start, end]; c0 and c1 are
// the packet counts at its ends, d0 the delays recorded before it.
func figures(halls []*hall, c0, c1 map[*RecvStats]recvCount, d0 map[*RecvStats]*Histogram, start, end time.Time) groupFigures {
	g := groupFigures{halls: len(halls), floorLayers: map[string]float64{}, floorAtEnd: map[string]int{}}
	if len(halls) == 0 {
		return g
	}
	delay := NewHistogram()
	all, audio := map[*RecvStats]recvCount{}, map[*RecvStats]recvCount{}
	var spent time.Duration
	for _, h := range halls {
		for _, s := range h.stats() {
			delay.Merge(s.Delay.Since(d0[s]))
			if c, ok := c1[s]; ok {
				all[s] = c
				if s.Kind == webrtc.RTPCodecTypeAudio {
					audio[s] = c
				}
			}
		}
		on, last := h.floorLayers(start, end)
		for q, d := range on {
			g.floorLayers[q] += float64(d)
			spent += d
		}
		g.floorAtEnd[last]++
	}
	for q := range g.floorLayers {
		g.floorLayers[q] /= float64(spent)
	}
	g.loss, _ = loss(c0, all)
	g.audioLoss, _ = loss(c0, audio)
	g.delayP50, g.delayP9 = ms(delay.Quantile(0.5)), ms(delay.Quantile(0.99))
	return g
}

// floorLayers returns how long the hall's floor track was on each layer
// ("off", "low", "medium", "high") within [start, end], from the layer
// events the SFU sent it, and the layer at end. Before the first event
// the floor is off.
func (h *hall) floorLayers(start, end time.Time) (map[string]time.Duration, string) {
	on := map[string]time.Duration{}
	cur, since := sfu.QualityOff.String(), start
	for _, ev := range h.client.Events() {
		if ev.Type != "layer" || ev.At.After(end) {
			continue
		}
		var le sfu.LayerEvent
		if json.Unmarshal(ev.Data, &le) != nil || le.TrackID != sfu.FloorTrack {
			continue
		}
		if ev.At.After(since) {
			on[cur] += ev.At.Sub(since)
			since = ev.At
		}
		cur = le.Quality
	}
	on[cur] += end.Sub(since)
	return on, cur
}

// delaysNow copies every track's delay histogram, to leave what came
// before the window out of the groups' figures.
func delaysNow(halls []*hall) map[*RecvStats]*Histogram {
	out := map[*RecvStats]*Histogram{}
	for _, h := range halls {
		for _, s := range h.stats() {
			out[s] = s.Delay.Clone()
		}
	}
	return out
}

// countSubscriptions counts the tracks that carried packets in the window.
func countSubscriptions(c0, c1 map[*RecvStats]recvCount) int {
	n := 0
	for s, end := range c1 {
		if end.expected > c0[s].expected {
			n++
		}
	}
	return n
}

// linkStats adds up the weak halls' shaped links; reset starts a new
// longest queue wait (the window's, not the start's before the SFU adapts).
func linkStats(halls []*hall, reset bool) LinkStats {
	var t LinkStats
	for _, h := range halls {
		if h.link == nil {
			continue
		}
		s := h.link.Stats()
		if reset {
			h.link.ResetQueueMax()
		}
		t.Passed += s.Passed
		t.PassedBytes += s.PassedBytes
		t.QueueDrops += s.QueueDrops
		t.LineLosses += s.LineLosses
		t.QueueMax = max(t.QueueMax, s.QueueMax)
	}
	return t
}
