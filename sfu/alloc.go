package sfu

import (
	"log/slog"
	"slices"
	"time"

	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/webrtc/v4"
)

// Bandwidth allocation tuning.
const (
	// upgradeMargin: a higher layer is taken only when the estimate
	// exceeds its rate by this factor, so the choice does not flap.
	upgradeMargin = 1.15
	// keepMargin: the lowest layer, once sent, is kept while the estimate
	// covers this share of its rate (see plan).
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

var nominalLayer = [3]int{100_000, 500_000, 1_500_000}

// layerRate is l's wire rate as the allocator counts it: measured, else
// nominal; a layer paused at the publisher, or flowing again for less
// than rateSettle, counts at least at the rate it had when paused (its
// meter decays while it is paused and climbs back after: a resumed
// medium layer measured at a tenth of its rate was given to a 400 kbit/s
// commune line).
func layerRate(l *upLayer) int {
	r := int(float64(l.rate.bps.Load()) * overhead)
	if h := int(l.heldRate.Load()); h > 0 && (l.state.Load() != layerSending || nanotime()-l.flowingAt.Load() < int64(rateSettle)) {
		return max(r, h)
	}
	if r > 0 {
		return r
	}
	return nominalLayer[l.index]
}

// rateSettle is how long a resumed layer's meter takes to show most of
// its rate (it keeps a second of memory, sampled four times a second).
const rateSettle = 2 * time.Second

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

// allocateOnce gathers the estimate and what each track asks, plans (a
// pure function: plan.go) and applies the plan; it reports whether a probe
// just proved more bandwidth.
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

	now := nanotime()
	gccEst, sig := p.s.cfg.InitialBitrate, linkSignals{}
	if noFeedback {
		gccEst = p.s.cfg.MaxBitrate
	}
	var e cc.BandwidthEstimator
	if bwe != nil {
		e = bwe()
	}
	if e != nil {
		gccEst, sig = e.GetTargetBitrate(), readSignals(e)
	}
	if e != nil && p.downReady.Load() {
		p.lineLoss += (sig.loss - p.lineLoss) * lineLossWeight
		p.peakLoss = max(p.peakLoss, sig.loss)
	}
	if sig.loss > lossyLink && p.lineLoss > lossyLink/2 && !p.probe.active {
		// A link losing this much is full (a bottleneck queue dropping),
		// whatever a probe proved before: the proven rate goes, and no
		// probe starts until the loss falls (see probeStep). Not on one
		// reading: GCC's loss averages 200 ms, a dozen packets of audio
		// alone, and on a 3 % line two lost of them read 10 %; that
		// threw away what probes had just proved, again and again, and
		// held a weak hall's floor paused (cau loadtest --weak-share
		// --debug). A queue that overflows lifts the line's slower
		// average past half of lossyLink within an allocation or two.
		p.congestedAt.Store(now)
	}
	if c := p.congestedAt.Load(); c > p.testedReset {
		p.testedReset = c
		p.tested.reset(now, p.lastUsed)
	}
	in := linkInput{gcc: gccEst, sig: sig, proven: p.provenRate()}
	switch {
	case e == nil:
		in.sig = linkSignals{} // no estimator: the configured rate as it is
	case p.peakLoss >= gccHoldLoss || p.congestedAt.Load() > p.downSince.Load():
		// A line that has lost packets or been congested is held to what
		// it carried (bandwidth.go); a clean one climbs on GCC's estimate
		// at once, as before.
		in.tested = max(p.tested.max(now), p.lastUsed, 1)
	}
	est := usableEstimate(in)
	if est.ceiling > 0 && p.lineLoss >= gccHoldLoss/2 {
		// Still losing (a 3 % line's average stays above 1 %; one that
		// cleared reads clean within a second): see keyframeSpare.
		est.loss = p.lineLoss
	}
	p.estimate.Store(int64(est.bps))

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
	feeds, demands := p.gather(downs)
	// Until feedback has had a second to test the initial estimate, video
	// gets its lowest layer: a commune hall joining on a 400 kbit/s line
	// was given the medium layer on the 1 Mbit/s initial estimate, the
	// line's queue overflowed, the estimate collapsed to ~100 kbit/s and
	// the picture stayed paused for 5–10 s (GCC holds its estimate under
	// 2–10% loss). Then layers above the lowest stay within the tested
	// ceiling; a clean link climbs by probes.
	est.unconfirmed = bwe != nil && !noFeedback && !p.estimateTested()
	est.recent = p.recentEst.add(now, est.bps)
	pl := plan(est, demands)
	if flowing, ok := withoutPaused(feeds, demands); ok {
		// What the plan gives with every layer flowing is what is wanted
		// (a paused layer is never given, so it must not count); the plan
		// applied gives the layers that flow, and the prober works for the
		// first.
		ideal := pl
		pl = plan(est, flowing)
		pl.limited, pl.limitedNeed = ideal.limited, ideal.limitedNeed
		markWanted(feeds, demands, ideal, now)
	} else {
		markWanted(feeds, demands, pl, now)
	}
	limited := p.apply(feeds, demands, pl, est.bps)
	if e != nil && p.log.Enabled(p.ctx, slog.LevelDebug) {
		// One line an allocation: what each decision was made on.
		st := e.GetStats()
		p.log.Debug("estimate", "gcc", gccEst, "delay_target", sig.delayTarget, "loss_target", st["lossTargetBitrate"], "loss", sig.loss,
			"line_loss", p.lineLoss, "queueing", sig.queueing, "state", st["state"], "usage", st["usage"], "acked", sig.acked,
			"received", sig.received, "sent", sig.sent,
			"usable", est.bps, "recent", est.recent, "ceiling", est.ceiling, "proven", in.proven, "used", pl.used)
	}
	p.lastUsed = pl.used
	p.burst.setRate(min(est.bps, max(in.tested, pl.used)))
	if e != nil {
		p.rtx.setRate(est.bps, pl.used)
	}
	if e != nil && p.downReady.Load() && !sig.queueing && sig.loss <= lossyLink && now-p.congestedAt.Load() >= int64(calmAfterCongestion) {
		p.tested.record(now, pl.used)
	}
	return p.probeStep(limited, pl.used, pl.limitedNeed, est.bps, gccEst, sig)
}

// feedbackSettle is how long after the down connection connects the
// estimate counts as untested.
const feedbackSettle = time.Second

// estimateTested reports whether feedback has had feedbackSettle to test
// the initial estimate since the down connection connected.
func (p *Participant) estimateTested() bool {
	since := p.downSince.Load()
	return since != 0 && nanotime()-since >= int64(feedbackSettle)
}

// feed is a down track and the layers of its source when gathered.
type feed struct {
	d      *downTrack
	layers [3]*upLayer
}

// gather reads what each down track asks for now: its source (the floor's
// hall for the floor), the layers published and their rates.
func (p *Participant) gather(downs []*downTrack) ([]feed, []demand) {
	feeds := make([]feed, 0, len(downs))
	demands := make([]demand, 0, len(downs))
	floor := p.room.floorID()
	for _, d := range downs {
		f := feed{d: d}
		dm := demand{id: d.id, cur: layerIndex(d.target.Load())}
		if d.kind != webrtc.RTPCodecTypeVideo {
			dm.audio, dm.cur = true, min(dm.cur, 0)
			t := d.src.Load()
			// A viewer's slots are pointed by pointSlots, not planned.
			dm.must = d.slot > 0 || t == nil || t.owner.id == floor
			if t != nil {
				f.layers[0] = t.pickLayer(2)
			}
			if t != nil && !t.forwardingOff() {
				dm.rate = nominalAudio
				if l := f.layers[0]; l != nil && d.audioRate(l) > 0 {
					dm.rate = int(float64(d.audioRate(l)) * audioOverhead)
				}
			}
			feeds, demands = append(feeds, f), append(demands, dm)
			continue
		}
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
		dm.priority = priority(d)
		if t != nil && !t.forwardingOff() {
			dm.want = Quality(d.want.Load())
			for i := range f.layers {
				if l := t.layerAt(i); l != nil {
					f.layers[i], dm.layers[i] = l, layerRate(l)
					dm.keys[i] = int(l.cache.keySize.Load())
				}
			}
		}
		feeds, demands = append(feeds, f), append(demands, dm)
	}
	return feeds, demands
}

// withoutPaused returns demands with the layers the allocator may not
// give (paused at the publisher, or resumed and waiting for their key
// frame: pause.go) taken out, and false when there are none.
func withoutPaused(feeds []feed, demands []demand) ([]demand, bool) {
	var out []demand
	for i, f := range feeds {
		if demands[i].audio {
			continue
		}
		for k, l := range f.layers {
			if l == nil || demands[i].layers[k] == 0 || l.usable() {
				continue
			}
			if out == nil {
				out = slices.Clone(demands)
			}
			out[i].layers[k] = 0
		}
	}
	return out, out != nil
}

// markWanted notes the layer pl gives each video track as wanted
// (pause.go).
func markWanted(feeds []feed, demands []demand, pl allocation, now int64) {
	for i, f := range feeds {
		if k := pl.layers[i]; !demands[i].audio && k >= 0 && f.layers[k] != nil {
			f.layers[k].want(now)
		}
	}
}

// apply sets each video track's target to its planned layer and returns
// the track the plan held below what it wants, for the prober.
func (p *Participant) apply(feeds []feed, demands []demand, pl allocation, est int) *downTrack {
	for i, f := range feeds {
		if demands[i].audio {
			if f.d.slot > 0 || f.layers[0] == nil {
				continue
			}
			want := f.layers[0]
			if pl.layers[i] < 0 {
				want = nil
			}
			if f.d.target.Load() != want {
				p.log.Debug("audio allocation", "track_id", f.d.id, "sent", want != nil, "estimate", est)
				f.d.setTarget(want)
			}
			continue
		}
		var chosen *upLayer
		if k := pl.layers[i]; k >= 0 {
			chosen = f.layers[k]
		}
		if cur := f.d.target.Load(); chosen != cur {
			key := 0
			if k := pl.layers[i]; k >= 0 {
				key = demands[i].keys[k]
			}
			p.log.Debug("allocation", "track_id", f.d.id, "layer", layerName(chosen), "was", layerName(cur), "estimate", est, "key_bytes", key)
		}
		f.d.setTarget(chosen)
	}
	if pl.limited < 0 {
		return nil
	}
	return feeds[pl.limited].d
}

// floorID is the participant holding the floor, "" none.
func (r *room) floorID() ParticipantID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.floor
}

// floorPriority is the floor's priority, above any other video.
const floorPriority = 100

// priority orders video for allocation: the floor, then screen shares,
// then by wanted quality.
func priority(d *downTrack) int {
	switch {
	case d.floor:
		return floorPriority
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
