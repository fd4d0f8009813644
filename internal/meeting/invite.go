package meeting

import (
	"context"
	"fmt"
	"strings"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/notify"
)

// editable are the statuses in which invitations and the agenda change.
var editable = []Status{StatusDraft, StatusPublished, StatusInSession}

// InviteHalls invites the halls sel picks in one action ("all communes of
// this district": unit_id = the district, include_descendants, level
// commune). Halls invited after publication are notified.
func (s *Service) InviteHalls(ctx context.Context, p *auth.Principal, id ID, sel HallSelection) (int, error) {
	a, err := s.manage(ctx, id, p)
	if err != nil {
		return 0, err
	}
	if sel.UnitID == nil && len(sel.HallIDs) == 0 {
		return 0, fault.Field("unit_id", fault.Required)
	}
	if len(sel.HallIDs) > 1000 {
		return 0, fault.Field("hall_ids", fault.OutOfRange)
	}
	if sel.Level != "" && (len(sel.Level) > 32 || strings.ToLower(sel.Level) != sel.Level) {
		return 0, fault.Field("level", fault.UnknownValue)
	}
	n, ids, err := s.store.InviteHalls(ctx, id, sel, editable, entry(p, "meeting.invite_halls", id,
		map[string]any{"unit_id": sel.UnitID, "include_descendants": sel.IncludeDescendants, "level": sel.Level, "hall_ids": sel.HallIDs}),
		s.afterPublish(ctx, a, id))
	if err != nil {
		return 0, err
	}
	s.enqueue(ctx, ids)
	return n, nil
}

// afterPublish is the invitation notice for people added to a meeting that
// is already published (same dedup key as at publication: once each).
func (s *Service) afterPublish(ctx context.Context, a Access, id ID) *notify.Template {
	if a.Status != StatusPublished && a.Status != StatusInSession {
		return nil
	}
	m, err := s.store.Meeting(ctx, id)
	if err != nil {
		return nil
	}
	return s.notice(m, "meeting.invited", fmt.Sprintf("meeting:%d:invited", id), "Giấy mời họp: "+m.Title, "")
}

// RemoveHall withdraws a hall's invitation.
func (s *Service) RemoveHall(ctx context.Context, p *auth.Principal, id ID, hall auth.HallID) error {
	if _, err := s.manage(ctx, id, p); err != nil {
		return err
	}
	return s.store.RemoveHall(ctx, id, hall, editable, entry(p, "meeting.remove_hall", id, map[string]any{"hall_id": hall}))
}

// SetParticipant invites a person with a meeting role (or changes the role).
func (s *Service) SetParticipant(ctx context.Context, p *auth.Principal, id ID, pt Participant) error {
	a, err := s.manage(ctx, id, p)
	if err != nil {
		return err
	}
	if !pt.Role.Valid() {
		return fault.Field("role", fault.UnknownValue)
	}
	if pt.UserID <= 0 {
		return fault.Field("user_id", fault.Required)
	}
	ids, err := s.store.SetParticipant(ctx, id, pt, editable, entry(p, "meeting.set_participant", id,
		map[string]any{"user_id": pt.UserID, "role": pt.Role, "hall_id": pt.HallID}), s.afterPublish(ctx, a, id))
	if err != nil {
		return err
	}
	s.enqueue(ctx, ids)
	return nil
}

// RemoveParticipant withdraws a person's invitation.
func (s *Service) RemoveParticipant(ctx context.Context, p *auth.Principal, id ID, user auth.UserID) error {
	if _, err := s.manage(ctx, id, p); err != nil {
		return err
	}
	return s.store.RemoveParticipant(ctx, id, user, editable, entry(p, "meeting.remove_participant", id, map[string]any{"user_id": user}))
}

// Invitees lists a meeting's people and halls for anyone who sees it.
func (s *Service) Invitees(ctx context.Context, p *auth.Principal, id ID) ([]Participant, []Hall, error) {
	if _, err := s.Access(ctx, id, p); err != nil {
		return nil, nil, err
	}
	people, err := s.store.Participants(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	halls, err := s.store.MeetingHalls(ctx, id)
	return people, halls, err
}
