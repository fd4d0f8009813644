package meeting

import (
	"context"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
)

// ItemInput is an agenda item as the secretary writes it.
type ItemInput struct {
	Title           string       `json:"title"`
	Description     string       `json:"description"`
	PresenterUserID *auth.UserID `json:"presenter_user_id"`
	PresenterUnitID *auth.UnitID `json:"presenter_unit_id"`
	PlannedMinutes  int          `json:"planned_minutes"`
	// PlannedAt is the planned start (RFC 3339; null: not planned).
	PlannedAt *time.Time `json:"planned_at"`
	// Position inserts at 1..n+1 (0: at the end).
	Position int `json:"position"`
}

func (in *ItemInput) validate() error {
	bad := map[string]fault.Problem{}
	in.Title = strings.TrimSpace(in.Title)
	if p := fault.Length(len([]rune(in.Title)), 1, 500); !p.IsZero() {
		bad["title"] = p
	}
	if len([]rune(in.Description)) > 5000 {
		bad["description"] = fault.TooLong
	}
	if in.PlannedMinutes < 0 || in.PlannedMinutes > 1440 {
		bad["planned_minutes"] = fault.OutOfRange
	}
	if in.Position < 0 {
		bad["position"] = fault.OutOfRange
	}
	if len(bad) > 0 {
		return &fault.Invalid{Fields: bad}
	}
	return nil
}

// Agenda returns the items in order, for anyone who sees the meeting.
func (s *Service) Agenda(ctx context.Context, p *auth.Principal, id ID) ([]Item, error) {
	if _, err := s.Access(ctx, id, p); err != nil {
		return nil, err
	}
	return s.store.Agenda(ctx, id)
}

// AddItem inserts an item (before or during the meeting).
func (s *Service) AddItem(ctx context.Context, p *auth.Principal, id ID, in ItemInput) (Item, error) {
	if _, err := s.manage(ctx, id, p); err != nil {
		return Item{}, err
	}
	if err := in.validate(); err != nil {
		return Item{}, err
	}
	it := Item{MeetingID: id, Position: in.Position, Title: in.Title, Description: in.Description,
		PresenterUserID: in.PresenterUserID, PresenterUnitID: in.PresenterUnitID, PlannedMinutes: in.PlannedMinutes, PlannedAt: in.PlannedAt}
	it, evs, err := s.store.AddItem(ctx, it, editable, entry(p, "agenda.add", id, map[string]any{"title": in.Title, "position": in.Position}))
	if err != nil {
		return Item{}, err
	}
	s.publish(ctx, evs)
	return it, nil
}

// UpdateItem changes an item's title, presenter or planned time.
func (s *Service) UpdateItem(ctx context.Context, p *auth.Principal, id ID, item ItemID, in ItemInput) (Item, error) {
	if _, err := s.manage(ctx, id, p); err != nil {
		return Item{}, err
	}
	in.Position = 0
	if err := in.validate(); err != nil {
		return Item{}, err
	}
	it := Item{ID: item, MeetingID: id, Title: in.Title, Description: in.Description,
		PresenterUserID: in.PresenterUserID, PresenterUnitID: in.PresenterUnitID, PlannedMinutes: in.PlannedMinutes, PlannedAt: in.PlannedAt}
	it, evs, err := s.store.UpdateItem(ctx, it, editable, entry(p, "agenda.update", id, map[string]any{"item_id": item, "title": in.Title}))
	if err != nil {
		return Item{}, err
	}
	s.publish(ctx, evs)
	return it, nil
}

// MoveItem puts an item at position (1..n), shifting the others.
func (s *Service) MoveItem(ctx context.Context, p *auth.Principal, id ID, item ItemID, position int) error {
	if _, err := s.manage(ctx, id, p); err != nil {
		return err
	}
	if position < 1 {
		return fault.Field("position", fault.OutOfRange)
	}
	evs, err := s.store.MoveItem(ctx, id, item, position, editable, entry(p, "agenda.move", id, map[string]any{"item_id": item, "position": position}))
	if err != nil {
		return err
	}
	s.publish(ctx, evs)
	return nil
}

// RemoveItem deletes an item that has not started.
func (s *Service) RemoveItem(ctx context.Context, p *auth.Principal, id ID, item ItemID) error {
	if _, err := s.manage(ctx, id, p); err != nil {
		return err
	}
	evs, err := s.store.RemoveItem(ctx, id, item, editable, entry(p, "agenda.remove", id, map[string]any{"item_id": item}))
	if err != nil {
		return err
	}
	s.publish(ctx, evs)
	return nil
}

func (s *Service) publish(ctx context.Context, evs []Event) {
	if s.pub != nil && len(evs) > 0 {
		s.pub.Publish(ctx, evs)
	}
}
