package sfu

import (
	"time"

	"github.com/pion/webrtc/v4"
)

// Layers paused at the publisher (LiveKit calls it dynacast). In a room of
// many halls each sends three simulcast layers, but only the floor's
// camera is watched above its low layer: at 160 halls the SFU received 41,525
// packets/s to forward 10,438. A layer above a track's lowest that nobody
// has wanted for Config.PauseAfter is paused: the publisher is told
// (LayersEvent, "layers") and stops encoding it, which also spares a
// commune hall's thin uplink. What is wanted is what each subscriber asks
// for capped by what its bandwidth plan could give with every layer
// flowing (alloc.go), not the layer it is granted: a paused layer is never
// granted, so it would never be wanted again. The floor's camera in the
// recorder's best layer and each relay's layer (Tap) count too. A layer
// wanted again is resumed at once; the allocator takes it once its first
// key frame has come, and gives the subscribers a layer that flows
// meanwhile (a floor moving to a hall whose high layer is paused shows
// its low layer at once, then high). The lowest layer is never paused:
// thumbnails and floor switches start from it without a round trip. A
// participant without a signaling socket (a WHIP encoder) is never told
// and keeps sending everything; a relayed track is one stream. A negative
// Config.PauseAfter (CAU_RTC_PAUSE_AFTER=0) turns pausing off: no layer
// is paused, so no "layers" message is sent and a publisher keeps
// sending every layer, as its peer connection started.

// Layer states: what the publisher was last told of a simulcast layer.
const (
	layerSending  int32 = iota // as far as the SFU knows, it flows
	layerPaused                // the publisher was told to stop sending it
	layerResuming              // told to send it again; no key frame of it yet
)

// resumeRetry: a layer told to resume whose key frame has not come within
// this is asked for again, by message and PLI (the message was lost with a
// dropped socket, or the publisher needs asking).
const resumeRetry = time.Second

// usable reports whether the allocator may give l to a subscriber: not
// paused, and its key frame came since it was resumed.
func (l *upLayer) usable() bool { return l.state.Load() == layerSending }

// pausable reports whether t's layers may be paused: video of a
// participant with a signaling socket, connected here.
func (t *upTrack) pausable() bool {
	return t.kind == webrtc.RTPCodecTypeVideo && t.owner.via == nil && !t.owner.sinkless() && t.owner.grant.Kind != KindRelay
}

// want notes that a subscriber wants l at now (nanotime); a paused layer is
// resumed at once.
func (l *upLayer) want(now int64) {
	l.wantedAt.Store(now)
	if l.state.Load() == layerPaused {
		l.track.resume(l, now)
	}
}

// resume tells the publisher to send l again.
func (t *upTrack) resume(l *upLayer, now int64) {
	t.pauseMu.Lock()
	if !l.state.CompareAndSwap(layerPaused, layerResuming) {
		t.pauseMu.Unlock()
		return
	}
	l.resumedAt.Store(now)
	ev := t.layersEventLocked()
	t.pauseMu.Unlock()
	m := t.owner.s.metrics
	m.layersPaused.Dec()
	m.layerResumes.Inc()
	t.owner.log.Debug("layer resumed", "track_id", t.id, "layer", Quality(l.index+1).String())
	t.owner.send(ev)
}

// resumed is called by l's reader at its first key frame after a resume:
// the room reallocates now, so the subscribers waiting for it take it.
func (l *upLayer) resumed() {
	if l.state.CompareAndSwap(layerResuming, layerSending) {
		l.flowingAt.Store(nanotime())
		l.track.owner.room.wake()
	}
}

// retire forgets a layer that ended.
func (l *upLayer) retire(m *metrics) {
	if l.state.Swap(layerSending) == layerPaused {
		m.layersPaused.Dec()
	}
}

// layersEventLocked is what the publisher is told of t's layers: every
// quality but those paused. Called with pauseMu held.
func (t *upTrack) layersEventLocked() LayersEvent {
	t.mu.Lock()
	layers := t.layers
	t.mu.Unlock()
	ev := LayersEvent{TrackID: t.id, Source: t.source, Active: make([]string, 0, 3)}
	for i, l := range layers {
		if l == nil || l.state.Load() != layerPaused {
			ev.Active = append(ev.Active, Quality(i+1).String())
		}
	}
	return ev
}

// updatePauses pauses t's layers nobody wanted for after, and asks again
// for resumed layers whose key frame has not come. now is nanotime.
func (t *upTrack) updatePauses(now int64, after time.Duration, pliInterval time.Duration) {
	t.mu.Lock()
	layers := t.layers
	t.mu.Unlock()
	low := -1
	for i, l := range layers {
		if l != nil {
			low = i
			break
		}
	}
	if low < 0 {
		return
	}
	m := t.owner.s.metrics
	t.pauseMu.Lock()
	tell := false
	var ask []*upLayer
	for _, l := range layers[low+1:] {
		if l == nil {
			continue
		}
		switch l.state.Load() {
		case layerSending:
			if now-l.wantedAt.Load() >= int64(after) {
				l.heldRate.Store(int64(layerRate(l)))
				l.state.Store(layerPaused)
				m.layersPaused.Inc()
				tell = true
				t.owner.log.Debug("layer paused", "track_id", t.id, "layer", Quality(l.index+1).String())
			}
		case layerResuming:
			if now-l.resumedAt.Load() >= int64(resumeRetry) {
				l.resumedAt.Store(now)
				tell = true
				ask = append(ask, l)
			}
		}
	}
	var ev LayersEvent
	if tell {
		ev = t.layersEventLocked()
	}
	t.pauseMu.Unlock()
	if tell {
		t.owner.send(ev)
	}
	for _, l := range ask {
		l.requestKeyframe(pliInterval, m)
	}
}

// updatePauses marks what the recording and the relays want and pauses
// or resumes the room's layers accordingly; on each allocation tick,
// after the subscribers' allocations marked theirs.
func (r *room) updatePauses() {
	if r.s.cfg.PauseAfter < 0 {
		return // pausing is off for the process: no layer was ever paused
	}
	r.mu.Lock()
	ts := make([]*upTrack, 0, len(r.tracks))
	for _, t := range r.tracks {
		if t.pausable() {
			ts = append(ts, t)
		}
	}
	r.mu.Unlock()
	now := nanotime()
	for _, t := range ts {
		if taps := t.taps.Load(); taps != nil {
			for _, tp := range *taps {
				if l := t.pickLayer(tp.layer()); l != nil {
					l.want(now)
				}
			}
		}
		t.updatePauses(now, r.s.cfg.PauseAfter, r.s.cfg.PLIInterval)
	}
}

// wake makes the room loop reallocate now (a resumed layer flows again).
func (r *room) wake() {
	select {
	case r.woken <- struct{}{}:
	default:
	}
}

// resendLayers tells a publisher whose socket was replaced (resume) what
// its tracks should send, if anything is paused: a message sent while it
// was away is lost.
func (p *Participant) resendLayers() {
	p.mu.Lock()
	ts := make([]*upTrack, 0, len(p.published))
	for _, t := range p.published {
		ts = append(ts, t)
	}
	p.mu.Unlock()
	for _, t := range ts {
		if !t.pausable() {
			continue
		}
		t.pauseMu.Lock()
		ev := t.layersEventLocked()
		t.pauseMu.Unlock()
		if len(ev.Active) < 3 {
			p.send(ev)
		}
	}
}
