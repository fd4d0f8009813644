package sfu

import (
	"fmt"
	"time"
)

// Reasons a participant is told when a moderator ends its session
// (Closed.Reason); clients show their own message for each.
const (
	ReasonRemoved   = "removed"
	ReasonCallEnded = "call_ended"
)

// policy is a room's moderation that outlives its participants (a room
// closes when its last participant leaves; its policy does not): a mute
// applies to an identity that joins later and survives its reconnects; a
// removal refuses the identity's grants issued up to it until they expire;
// a lock admits only halls and who was in; an ended call refuses every
// grant issued before the end. Guarded by SFU.mu.
type policy struct {
	muted    map[ParticipantID]bool
	revoked  map[ParticipantID]revocation
	ended    revocation // the whole room's grants issued up to ended.before
	locked   bool
	admitted map[ParticipantID]bool // may join the locked room: who was in, and halls
}

// revocation refuses grants issued at or before before, until until (the
// longest a grant issued then can live).
type revocation struct{ before, until time.Time }

func (r revocation) refuses(g Grant, now time.Time) bool {
	return now.Before(r.until) && !g.IssuedAt.After(r.before)
}

// holder is who the grant was issued to: a WHEP player's participant ID
// is its token's identity with a suffix.
func (g Grant) holder() ParticipantID {
	if g.Holder != "" {
		return g.Holder
	}
	return g.Identity
}

// policyLocked returns the room's policy, creating it; the caller holds s.mu.
func (s *SFU) policyLocked(room RoomID) *policy {
	p := s.policies[room]
	if p == nil {
		p = &policy{muted: map[ParticipantID]bool{}, revoked: map[ParticipantID]revocation{}, admitted: map[ParticipantID]bool{}}
		s.policies[room] = p
	}
	return p
}

// Admit reports whether the room's moderation admits the grant now: nil,
// or ErrRevoked (the holder was removed, or the call ended, after the
// grant was issued) or ErrLocked. Join checks it too; the HTTP endpoints
// call it first so a refused client gets an answer before any upgrade.
func (s *SFU) Admit(g Grant) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.admitLocked(g, time.Now())
}

func (s *SFU) admitLocked(g Grant, now time.Time) error {
	p := s.policies[g.Room]
	if p == nil {
		return nil
	}
	if p.ended.refuses(g, now) {
		return fmt.Errorf("%w: the call was ended", ErrRevoked)
	}
	if r, ok := p.revoked[g.holder()]; ok {
		if r.refuses(g, now) {
			return fmt.Errorf("%w: %s was removed from the call", ErrRevoked, g.holder())
		}
		if !now.Before(r.until) {
			delete(p.revoked, g.holder())
		}
	}
	if p.locked && !g.Hall && !g.Moderate && g.Kind != KindConsole && !p.admitted[g.holder()] {
		return fmt.Errorf("%w: only invited halls and who was in may join", ErrLocked)
	}
	return nil
}

// mutedLocked reports whether a joining identity starts muted; the caller
// holds s.mu.
func (s *SFU) mutedLocked(room RoomID, id ParticipantID) bool {
	p := s.policies[room]
	return p != nil && p.muted[id]
}

// SetMuted is a server-side mute of a participant's audio: its packets
// stop being forwarded and it is told, as is the room. The mute holds for
// the identity: one not connected yet joins muted, and a reconnect stays
// muted, until unmuted.
func (s *SFU) SetMuted(room RoomID, id ParticipantID, muted bool) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.policyLocked(room).muted[id] = muted
	if !muted {
		delete(s.policies[room].muted, id)
	}
	s.mu.Unlock()
	if p, err := s.participant(room, id); err == nil {
		p.setServerMuted(muted)
	}
	return nil
}

// Remove ends the participant's session (and its WHEP players') with
// ReasonRemoved and refuses every grant of the identity issued at or
// before before, until until: the holder cannot come back without a grant
// issued after the removal.
func (s *SFU) Remove(room RoomID, id ParticipantID, before, until time.Time) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	pol := s.policyLocked(room)
	pol.revoked[id] = revocation{before: before, until: until}
	delete(pol.admitted, id)
	s.mu.Unlock()
	for _, p := range s.members(room) {
		if p.grant.holder() == id {
			p.Leave(ReasonRemoved)
		}
	}
	return nil
}

// SetLocked locks or unlocks a room. A locked room admits halls (grants
// with Hall set), moderators, consoles (they only watch), and identities
// in it when it was locked (so a reload or a reconnect of one who was in
// still works); nobody else.
func (s *SFU) SetLocked(room RoomID, locked bool) error {
	in := s.members(room)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	pol := s.policyLocked(room)
	pol.locked = locked
	clear(pol.admitted)
	if locked {
		for _, p := range in {
			pol.admitted[p.grant.holder()] = true
		}
	}
	return nil
}

// EndCall ends the call for everyone: each participant leaves with
// ReasonCallEnded, and every grant of the room issued at or before before
// is refused until until. Grants issued later (the chair reopened the
// call) are admitted.
func (s *SFU) EndCall(room RoomID, before, until time.Time) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	pol := s.policyLocked(room)
	pol.ended = revocation{before: before, until: until}
	pol.locked = false
	clear(pol.admitted)
	s.mu.Unlock()
	for _, p := range s.members(room) {
		p.Leave(ReasonCallEnded)
	}
	return nil
}

// members are the room's participants now (none if it has no room).
func (s *SFU) members(room RoomID) []*Participant {
	r, err := s.room(room, false)
	if err != nil {
		return nil
	}
	return r.others(nil)
}
