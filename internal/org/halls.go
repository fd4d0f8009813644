package org

import (
	"context"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
)

// Halls lists halls (every signed-in user may: secretaries pick them).
func (s *Service) Halls(ctx context.Context, f HallFilter) ([]Hall, error) { return s.st.Halls(ctx, f) }

// CreateHall adds a hall to an active unit.
func (s *Service) CreateHall(ctx context.Context, p *auth.Principal, unit auth.UnitID, code, name string) (Hall, error) {
	code, name = clean(code), clean(name)
	fields := map[string]fault.Problem{}
	checkCode(fields, "code", code)
	checkName(fields, "name", name)
	if unit <= 0 {
		fields["unit_id"] = fault.Required
	}
	if err := fault.Check(fields); err != nil {
		return Hall{}, err
	}
	if _, err := s.activeUnit(ctx, "unit_id", unit); err != nil {
		return Hall{}, err
	}
	if err := s.requireAdmin(ctx, p, unit); err != nil {
		return Hall{}, err
	}
	h := Hall{UnitID: unit, Code: code, Name: name, Active: true}
	e := entry(p, "hall.create", "hall", "", map[string]any{"unit_id": unit, "code": code, "name": name})
	return s.st.CreateHall(ctx, h, e, s.now())
}

// HallChange holds the fields a PATCH may set (nil: unchanged).
type HallChange struct {
	Name, Code *string
	UnitID     *auth.UnitID
	Active     *bool
}

// UpdateHall renames a hall, changes its code, moves it to another unit,
// or (de)activates it. A hall is never deleted: meetings and recordings
// keep pointing at it.
func (s *Service) UpdateHall(ctx context.Context, p *auth.Principal, id auth.HallID, c HallChange) (Hall, error) {
	h, err := s.st.Hall(ctx, id)
	if err != nil {
		return Hall{}, err
	}
	if err := s.requireAdmin(ctx, p, h.UnitID); err != nil {
		return Hall{}, err
	}
	before := h
	fields := map[string]fault.Problem{}
	if c.Name != nil {
		h.Name = clean(*c.Name)
		checkName(fields, "name", h.Name)
	}
	if c.Code != nil {
		h.Code = clean(*c.Code)
		checkCode(fields, "code", h.Code)
	}
	if err := fault.Check(fields); err != nil {
		return Hall{}, err
	}
	if c.Active != nil {
		h.Active = *c.Active
	}
	if c.UnitID != nil && *c.UnitID != h.UnitID {
		if _, err := s.unitOrField(ctx, "unit_id", *c.UnitID); err != nil {
			return Hall{}, err
		}
		if err := s.requireAdmin(ctx, p, *c.UnitID); err != nil {
			return Hall{}, err
		}
		h.UnitID = *c.UnitID
	}
	if h.Active && (h.UnitID != before.UnitID || !before.Active) {
		// An active hall lives in an active unit.
		if _, err := s.activeUnit(ctx, "unit_id", h.UnitID); err != nil {
			return Hall{}, err
		}
	}
	if h == before {
		return h, nil // nothing to change, nothing to audit
	}
	action := "hall.update"
	switch {
	case before.Active && !h.Active:
		action = "hall.deactivate"
	case !before.Active && h.Active:
		action = "hall.reactivate"
	}
	e := entry(p, action, "hall", id, map[string]any{
		"before": map[string]any{"name": before.Name, "code": before.Code, "unit_id": before.UnitID, "active": before.Active},
		"after":  map[string]any{"name": h.Name, "code": h.Code, "unit_id": h.UnitID, "active": h.Active}})
	return s.st.UpdateHall(ctx, h, e, s.now())
}
