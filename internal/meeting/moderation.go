package meeting

import (
	"context"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
)

// Moderation actions on a hall or a person of the call.
const (
	// ActMute stops their microphone in the SFU, for every later
	// reconnect too, and for one who has not joined yet.
	ActMute = "mute"
	// ActUnmute lifts the mute; their own microphone stays as they set it.
	ActUnmute = "unmute"
	// ActAskUnmute lifts the mute and asks them to turn their microphone
	// on: they see the request and decide (a chair never opens a microphone).
	ActAskUnmute = "ask_unmute"
	// ActRemove ends their session in the SFU and revokes their room
	// tokens; no new one is granted until ActReadmit.
	ActRemove = "remove"
	// ActReadmit lets a removed hall or person be granted a token again.
	ActReadmit = "readmit"
)

// States of the call (RoomControl.State).
const (
	RoomOpen   = "open"
	RoomLocked = "locked" // invited halls and who was in; nobody new
	RoomEnded  = "ended"  // everyone out; no joins until reopened
)

// RoomControl is the call's moderation state.
type RoomControl struct {
	State string `json:"state"`
	// SecretaryModerates: the chair lets the secretary moderate too.
	SecretaryModerates bool `json:"secretary_moderates"`
	// HasChair: without a chair, the secretary moderates.
	HasChair bool `json:"has_chair"`
}

// Standing is one hall's or person's moderation and presence.
type Standing struct {
	Muted   bool
	Removed bool
	Present bool // connected (a hall), checked in or online (a person)
}

// PersonState is a person's moderation in the snapshot.
type PersonState struct {
	UserID  auth.UserID `json:"user_id"`
	Muted   bool        `json:"muted"`
	Removed bool        `json:"removed"`
}

// Target is whom a moderation acts on: one hall or one person.
type Target struct {
	HallID *auth.HallID `json:"hall_id"`
	UserID *auth.UserID `json:"user_id"`
}

// identity is the SFU identity of the target.
func (t Target) identity() string {
	if t.HallID != nil {
		return HallIdentity(*t.HallID)
	}
	return UserIdentity(*t.UserID)
}

// moderator returns p's access if p may moderate the call: the chair, and
// the secretary when the chair allows it or the meeting has no chair.
func (s *Service) moderator(ctx context.Context, id ID, p *auth.Principal) (Access, RoomControl, error) {
	a, err := s.Access(ctx, id, p)
	if err != nil {
		return a, RoomControl{}, err
	}
	rc, err := s.store.RoomControl(ctx, id)
	if err != nil {
		return a, rc, err
	}
	if !mayModerate(a, rc) {
		return a, rc, ErrForbidden
	}
	return a, rc, nil
}

func mayModerate(a Access, rc RoomControl) bool {
	return a.Has(RoleChair) || a.Has(RoleSecretary) && (rc.SecretaryModerates || !rc.HasChair)
}

// Moderate mutes, unmutes, asks to unmute, removes or readmits a hall or a
// person. The change, its event and its audit row commit together; then
// the SFU applies it. A removal revokes every room token issued up to the
// moment after the commit: a token asked for before it is refused, and
// none is granted after it until the readmission.
func (s *Service) Moderate(ctx context.Context, p *auth.Principal, id ID, action string, t Target) error {
	bad := map[string]fault.Problem{}
	switch action {
	case ActMute, ActUnmute, ActAskUnmute, ActRemove, ActReadmit:
	default:
		bad["action"] = fault.UnknownValue
	}
	if (t.HallID == nil) == (t.UserID == nil) {
		bad["hall_id"] = fault.Required // hall_id or user_id, not both
	}
	if (t.HallID != nil && *t.HallID <= 0) || (t.UserID != nil && *t.UserID <= 0) {
		bad["hall_id"] = fault.WrongFormat
	}
	if len(bad) > 0 {
		return &fault.Invalid{Fields: bad}
	}
	if _, _, err := s.moderator(ctx, id, p); err != nil {
		return err
	}
	detail := map[string]any{"action": action, "hall_id": t.HallID, "user_id": t.UserID}
	e := entry(p, "session.moderate", id, detail)
	if _, err := s.command(ctx, id, Command{Kind: CmdModerate, Allowed: live, Actor: actor(p), Hall: t.HallID, User: t.UserID,
		Action: action, Audit: &e}); err != nil {
		return err
	}
	media := s.mediaOf()
	if media == nil {
		return nil
	}
	room, ident := RoomName(id), t.identity()
	var err error
	switch action {
	case ActMute:
		err = media.SetMuted(room, ident, true)
	case ActUnmute, ActAskUnmute:
		err = media.SetMuted(room, ident, false)
	case ActRemove:
		at := s.now()
		err = media.Remove(room, ident, at)
		if t.UserID != nil && err == nil {
			// Their watching console goes with them.
			err = media.Remove(room, ConsoleIdentity(*t.UserID), at)
		}
	}
	if err != nil {
		s.log.WarnContext(ctx, "moderate", "meeting_id", id, "identity", ident, "action", action, "error", err)
	}
	return nil
}

// RoomInput changes the call: its state (open, locked, ended) and whether
// the secretary moderates (the chair only).
type RoomInput struct {
	State              *string `json:"state"`
	SecretaryModerates *bool   `json:"secretary_moderates"`
}

// SetRoom locks, unlocks, ends or reopens the call, or lets the secretary
// moderate. Ending it removes everyone from the SFU room and revokes every
// token issued before; reopening needs new tokens.
func (s *Service) SetRoom(ctx context.Context, p *auth.Principal, id ID, in RoomInput) error {
	if in.State == nil && in.SecretaryModerates == nil {
		return fault.Field("state", fault.Required) // state or secretary_moderates
	}
	if in.State != nil {
		switch *in.State {
		case RoomOpen, RoomLocked, RoomEnded:
		default:
			return fault.Field("state", fault.UnknownValue)
		}
	}
	a, _, err := s.moderator(ctx, id, p)
	if err != nil {
		return err
	}
	if in.SecretaryModerates != nil && !a.Has(RoleChair) {
		return ErrForbidden // only the chair hands moderation to the secretary
	}
	c := Command{Kind: CmdRoom, Allowed: live, Actor: actor(p), SecretaryModerates: in.SecretaryModerates}
	if in.State != nil {
		c.RoomState = *in.State
	}
	e := entry(p, "session.room", id, map[string]any{"state": in.State, "secretary_moderates": in.SecretaryModerates})
	c.Audit = &e
	if _, err := s.command(ctx, id, c); err != nil {
		return err
	}
	if media := s.mediaOf(); media != nil && in.State != nil {
		if err := media.SetRoomState(RoomName(id), *in.State, s.now()); err != nil {
			s.log.WarnContext(ctx, "room state", "meeting_id", id, "state", *in.State, "error", err)
		}
	}
	return nil
}

// admit refuses a join grant the call's moderation forbids: to a removed
// hall or person, to anyone after the call ended, to a newcomer of a
// locked room (halls, moderators and watching consoles still join; so do
// people present, whose browser reloads).
func (s *Service) admit(ctx context.Context, a Access, id ID, hall *auth.HallID, user auth.UserID, watchOnly bool) error {
	if hall != nil && !a.OperatesHall(*hall) {
		return nil // Join refuses it as forbidden, revealing nothing
	}
	rc, err := s.store.RoomControl(ctx, id)
	if err != nil {
		return err
	}
	var st Standing
	if hall != nil {
		st, err = s.store.Standing(ctx, id, Target{HallID: hall})
	} else {
		st, err = s.store.Standing(ctx, id, Target{UserID: &user})
	}
	if err != nil {
		return err
	}
	switch {
	case st.Removed:
		return ErrRemoved
	case rc.State == RoomEnded:
		return ErrCallEnded
	case rc.State == RoomLocked && hall == nil && !watchOnly && !st.Present && !mayModerate(a, rc):
		return ErrRoomLocked
	}
	return nil
}

// reapply puts the stored moderation of one who just joined the SFU room
// back on it: the SFU keeps it in memory, and a restarted or other node
// learns it here.
func (s *Service) reapply(ctx context.Context, id ID, t Target, at time.Time) {
	media := s.mediaOf()
	if media == nil {
		return
	}
	st, err := s.store.Standing(ctx, id, t)
	if err != nil {
		s.log.WarnContext(ctx, "moderation on join", "meeting_id", id, "identity", t.identity(), "error", err)
		return
	}
	if st.Removed {
		err = media.Remove(RoomName(id), t.identity(), at)
	} else if st.Muted {
		err = media.SetMuted(RoomName(id), t.identity(), true)
	}
	if err != nil {
		s.log.WarnContext(ctx, "moderation on join", "meeting_id", id, "identity", t.identity(), "error", err)
	}
}
