package sfu

import (
	"slices"
	"strings"

	"github.com/pion/webrtc/v4"
)

// Bandwidth allocation tuning.
const (
	// upgradeMargin: a higher layer is taken only when the estimate
	// exceeds its rate by this factor, so the choice does not flap.
	upgradeMargin = 1.15
	// keepMargin: the lowest layer, once sent, is kept while the estimate
	// covers this share of its rate (see allocateOnce).
	keepMargin = 0.85
	// overhead scales measured RTP payload rates to wire rates (SRTP,
	// UDP and IP headers are about 50 bytes on a 1000-byte packet, much
	// more on 100-byte Opus packets).
	overhead = 1.1
	// audioOverhead is the same for audio's small packets.
	audioOverhead = 1.5
	// nominal rates (bit/s) until a layer has been measured: the reference
	// hall's simulcast layers and Opus speech.
	nominalAudio = 40_000
)

var nominalLayer = [3]int{150_000, 500_000, 1_500_000}

func layerRate(l *upLayer) int {
	if r := int(l.rate.bps.Load()); r > 0 {
		return int(float64(r) * overhead)
	}
	return nominalLayer[l.index]
}

// allocate shares the subscriber's estimated downlink: audio first, then
// the floor, then screen shares, then the other video by wanted quality.
// Each video track gets the best layer at or below what it wants that fits
// what is left; one that fits nothing is paused rather than starve audio.
func (p *Participant) allocate() {
	p.allocMu.Lock()
	defer p.allocMu.Unlock()
	if p.allocateOnce() {
		p.allocateOnce() // a probe proved more bandwidth: use it now
	}
}

func (p *Participant) allocateOnce() bool {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return false
	}
	downs := make([]*downTrack, 0, len(p.downs))
	for _, d := range p.downs {
		downs = append(downs, d)
	}
	bwe := p.bwe
	noFeedback := p.noFeedback
	p.mu.Unlock()

	est, sig := p.s.cfg.InitialBitrate, linkSignals{}
	if noFeedback {
		est = p.s.cfg.MaxBitrate
	}
	if bwe != nil {
		if e := bwe(); e != nil {
			est = e.GetTargetBitrate()
			if p.probe.active || limitedBefore(p) || p.probe.proven > 0 {
				sig = readSignals(e)
			}
		}
	}
	if sig.loss > lossyLink && !p.probe.active {
		// A link losing this much is full (a bottleneck queue dropping),
		// whatever a probe proved before: the proven rate goes, and no
		// probe starts until the loss falls (see probeStep).
		p.congestedAt.Store(nanotime())
	}
	gccEst := est
	est = p.estimateWithProbe(est)
	p.estimate.Store(int64(est))
	// A rate a probe proved had headroom built in: no second margin.
	margin := upgradeMargin
	if est > gccEst {
		margin = 1
	}
	budget := est
	var slots []*downTrack
	for _, d := range downs {
		if d.slot > 0 {
			slots = append(slots, d)
		}
	}
	if len(slots) > 0 {
		slices.SortFunc(slots, func(a, b *downTrack) int { return a.slot - b.slot })
		p.pointSlots(slots)
	}
	video := downs[:0]
	for _, d := range downs {
		if d.kind != webrtc.RTPCodecTypeVideo {
			if t := d.src.Load(); t != nil && !t.forwardingOff() {
				rate := nominalAudio
				if l := d.cur.Load(); l != nil && l.rate.bps.Load() > 0 {
					rate = int(float64(l.rate.bps.Load()) * audioOverhead)
				}
				budget -= rate
			}
			continue
		}
		video = append(video, d)
	}
	// Ties go by track ID: downs come from a map, and a random order gave
	// the budget to a different one of equal tracks at every allocation
	// (strip cameras on a weak link took turns, low and off, many times
	// a second).
	slices.SortFunc(video, func(a, b *downTrack) int {
		if d := priority(b) - priority(a); d != 0 {
			return d
		}
		return strings.Compare(string(a.id), string(b.id))
	})
	// The first video track held below what it wants, and what the
	// allocation would need in all to give it that, for the prober.
	var limited *downTrack
	limitedNeed := 0
	for _, d := range video {
		want := Quality(d.want.Load())
		var t *upTrack
		if d.floor {
			t = p.room.floorCamera(p, d.src.Load())
			// A subscriber that did not negotiate the floor hall's codec
			// (a VP8-only player while an H.264 encoder holds the floor)
			// gets no picture rather than packets it cannot decode: the
			// floor pauses for it ("layer" off) until a hall in a codec
			// it has takes the floor.
			if t != nil && !d.sends(t) {
				t = nil
			}
		} else {
			t = d.src.Load()
		}
		if want == QualityOff || t == nil || t.forwardingOff() {
			d.setTarget(nil)
			continue
		}
		cur := d.target.Load()
		var chosen *upLayer
		for i := int(want) - 1; i >= 0; i-- {
			l := t.layerAt(i)
			if l == nil {
				continue
			}
			need := layerRate(l)
			switch {
			case i == 0 && (cur == nil || cur.index == 0):
				// The lowest layer, resumed or kept: a paused picture is
				// the worst outcome, and a lossy line's estimate sits well
				// below what it carries (about 290 kbit/s for a 400 kbit/s
				// line with 3% loss), so the low layer goes while the
				// estimate covers most of it; resuming takes all of it
				// (hysteresis: each resume costs a key frame).
				if cur != nil {
					need = int(float64(need) * keepMargin)
				}
			case cur == nil || cur.index < i:
				// Going up (or resuming): only with room to spare.
				need = int(float64(need) * margin)
			default:
				// Staying, or a new floor source on the same layer: no
				// margin (the rates are alike; with one, a commune hall's
				// floor was paused at every change of speaker).
			}
			if need <= budget {
				chosen = l
				break
			}
		}
		if chosen == nil && want != QualityOff && t.layerAt(0) == nil && t.layerAt(1) == nil {
			// One layer only (no simulcast): send it if anything is left.
			if l := t.layerAt(2); l != nil && budget > 0 {
				chosen = l
			}
		}
		if limited == nil {
			// est-budget is what the tracks before this one take; the
			// best layer it wants would replace what it has.
			for i := int(want) - 1; i > layerIndex(chosen); i-- {
				if l := t.layerAt(i); l != nil {
					limited = d
					limitedNeed = est - budget + int(float64(layerRate(l))*upgradeMargin)
					break
				}
			}
		}
		if chosen != nil {
			budget -= layerRate(chosen)
		}
		if chosen != cur {
			p.log.Debug("allocation", "track_id", d.id, "layer", layerName(chosen), "was", layerName(cur), "estimate", est)
		}
		d.setTarget(chosen)
	}
	p.wasLimited = limited != nil
	return p.probeStep(limited, est-max(budget, 0), limitedNeed, est, gccEst, sig)
}

// priority orders video for allocation: the floor, then screen shares,
// then by wanted quality.
func priority(d *downTrack) int {
	switch {
	case d.floor:
		return 100
	case d.src.Load() != nil && d.src.Load().source == SourceScreen:
		return 50
	}
	return int(d.want.Load())
}

func (t *upTrack) layerAt(i int) *upLayer {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.layers[i]
}

// layerIndex is l's index, -1 for none.
func layerIndex(l *upLayer) int {
	if l == nil {
		return -1
	}
	return l.index
}

func layerName(l *upLayer) string {
	if l == nil {
		return "off"
	}
	return Quality(l.index + 1).String()
}

// limitedBefore reports whether the last allocation held a track below
// what it wants (a probe may start now and needs the link's signals).
func limitedBefore(p *Participant) bool { return p.wasLimited }
