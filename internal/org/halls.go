package org

import (
	"context"
	"strings"

	"github.com/cau-gov/cau/internal/auth"
)

// Halls lists halls (every signed-in user may: secretaries pick them).
func (s *Service) Halls(ctx context.Context, f HallFilter) ([]Hall, error) { return s.st.Halls(ctx, f) }

// CreateHall adds a hall to a unit.
func (s *Service) CreateHall(ctx context.Context, p *auth.Principal, unit auth.UnitID, code, name, ip string) (Hall, error) {
	code, name = strings.TrimSpace(code), strings.TrimSpace(name)
	fields := map[string]string{}
	checkCode(fields, "code", code)
	checkName(fields, "name", name)
	if err := invalid(fields); err != nil {
		return Hall{}, err
	}
	u, err := s.st.Unit(ctx, unit)
	if err != nil {
		return Hall{}, &ValidationError{Fields: map[string]string{"unit_id": "no such unit"}}
	}
	if !u.Active {
		return Hall{}, &ValidationError{Fields: map[string]string{"unit_id": "the unit is deactivated"}}
	}
	if err := s.requireAdmin(ctx, p, unit); err != nil {
		return Hall{}, err
	}
	h := Hall{UnitID: unit, Code: code, Name: name, Active: true}
	e := entry(p, "hall.create", "hall", "", ip, map[string]any{"unit_id": unit, "code": code, "name": name})
	return s.st.CreateHall(ctx, h, e, s.now())
}

// UpdateHall renames a hall, changes its code, moves it to another unit,
// or (de)activates it.
func (s *Service) UpdateHall(ctx context.Context, p *auth.Principal, id auth.HallID, name, code *string, unit *auth.UnitID, active *bool, ip string) (Hall, error) {
	h, err := s.st.Hall(ctx, id)
	if err != nil {
		return Hall{}, err
	}
	if err := s.requireAdmin(ctx, p, h.UnitID); err != nil {
		return Hall{}, err
	}
	before := h
	fields := map[string]string{}
	if name != nil {
		h.Name = strings.TrimSpace(*name)
		checkName(fields, "name", h.Name)
	}
	if code != nil {
		h.Code = strings.TrimSpace(*code)
		checkCode(fields, "code", h.Code)
	}
	if err := invalid(fields); err != nil {
		return Hall{}, err
	}
	if unit != nil && *unit != h.UnitID {
		if _, err := s.st.Unit(ctx, *unit); err != nil {
			return Hall{}, &ValidationError{Fields: map[string]string{"unit_id": "no such unit"}}
		}
		if err := s.requireAdmin(ctx, p, *unit); err != nil {
			return Hall{}, err
		}
		h.UnitID = *unit
	}
	if active != nil {
		h.Active = *active
	}
	e := entry(p, "hall.update", "hall", id, ip, map[string]any{
		"before": map[string]any{"name": before.Name, "code": before.Code, "unit_id": before.UnitID, "active": before.Active},
		"after":  map[string]any{"name": h.Name, "code": h.Code, "unit_id": h.UnitID, "active": h.Active}})
	return s.st.UpdateHall(ctx, h, e, s.now())
}
