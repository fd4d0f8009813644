package sfu

import (
	"fmt"

	"github.com/pion/webrtc/v4"
)

// Remote cameras across a relay (thumbnails across nodes). The home room
// has every node's cameras; an edge room has its own halls' and those
// its relay brings down. The relay offers the home's other cameras in the
// edge room (RelayLink.Offer): their owners are ghosts of the link, local
// clients see track_published as for any track, and a subscription to one
// waits, with no source, until the relay brings the track. The relay
// reads who wants what (Wanted) and subscribes on the home once per link,
// whatever the halls behind it; the track arrives as the ghost's and the
// waiting subscriptions take it (room.publish).

// Offer announces t, a camera of the home room whose publisher is on
// another node, in the link's room.
func (l *RelayLink) Offer(t TrackInfo) error {
	if t.Kind != webrtc.RTPCodecTypeVideo.String() || t.ID == "" {
		return fmt.Errorf("%w: offer of %q: only video is offered", ErrInvalid, t.ID)
	}
	if _, err := l.p.ghost(t.Participant); err != nil {
		return fmt.Errorf("offer %s: %w", t.ID, err)
	}
	r := l.p.room
	r.mu.Lock()
	if r.offered == nil {
		r.offered = map[TrackID]TrackInfo{}
	}
	_, had := r.offered[t.ID]
	_, real := r.tracks[t.ID]
	r.offered[t.ID] = t
	r.mu.Unlock()
	if !had && !real {
		r.broadcast(TrackPublished{Track: t}, nil)
	}
	return nil
}

// Withdraw ends the offer of a track (unpublished at home): its waiting
// subscriptions end and local clients see track_unpublished.
func (l *RelayLink) Withdraw(id TrackID) {
	r := l.p.room
	r.mu.Lock()
	_, had := r.offered[id]
	delete(r.offered, id)
	_, real := r.tracks[id]
	r.mu.Unlock()
	if !had || real {
		return // a track that arrived ends by itself, as any
	}
	for _, q := range r.others(nil) {
		q.removeDown(id)
	}
	r.broadcast(TrackUnpublished{TrackID: id}, nil)
}

// withdrawAll ends every offer (the link closed).
func (l *RelayLink) withdrawAll() {
	r := l.p.room
	r.mu.Lock()
	ids := make([]TrackID, 0, len(r.offered))
	for id := range r.offered {
		ids = append(ids, id)
	}
	r.mu.Unlock()
	for _, id := range ids {
		l.Withdraw(id)
	}
}

// offer returns an offered track not (yet) published here.
func (r *room) offer(id TrackID) (TrackInfo, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.offered[id]
	return t, ok && r.tracks[id] == nil
}

// offeredLocked are the offers whose track has not arrived. Called with
// r.mu held.
func (r *room) offeredLocked() []TrackInfo {
	out := make([]TrackInfo, 0, len(r.offered))
	for id, t := range r.offered {
		if r.tracks[id] == nil {
			out = append(out, t)
		}
	}
	return out
}

// attachWaiting gives t to the subscriptions that waited for it (offered
// before it arrived).
func (r *room) attachWaiting(t *upTrack) {
	for _, q := range r.others(t.owner) {
		q.mu.Lock()
		d := q.downs[t.id]
		q.mu.Unlock()
		if d != nil {
			d.attach(t)
		}
	}
}

// attach sets a waiting subscription's source; false if it had one.
func (d *downTrack) attach(t *upTrack) bool {
	if d.floor || d.slot > 0 || !d.src.CompareAndSwap(nil, t) {
		return false
	}
	t.addSub(d)
	return true
}

// Wanted is the best quality the room's subscribers want of a track
// (relays of nodes below this one in a chain among them): what a relay
// asks of the node it relays to for an offered camera.
func (s *SFU) Wanted(room RoomID, id TrackID) Quality {
	q := QualityOff
	for _, p := range s.members(room) {
		p.mu.Lock()
		d := p.downs[id]
		p.mu.Unlock()
		if d != nil {
			q = max(q, Quality(d.want.Load()))
		}
	}
	return q
}
