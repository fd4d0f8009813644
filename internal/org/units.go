package org

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cau-gov/cau/internal/auth"
)

// Levels lists the configured levels of the tree.
func (s *Service) Levels(ctx context.Context) ([]Level, error) { return s.st.Levels(ctx) }

// Units lists the whole tree (flat, parents before children).
func (s *Service) Units(ctx context.Context) ([]Unit, error) { return s.st.Units(ctx) }

// UnitInput creates or changes a unit.
type UnitInput struct {
	ParentID *auth.UnitID
	Level    string
	Code     string
	Name     string
}

func (s *Service) levelRank(ctx context.Context, code string) (int, bool, error) {
	ls, err := s.st.Levels(ctx)
	if err != nil {
		return 0, false, err
	}
	for _, l := range ls {
		if l.Code == code {
			return l.Rank, true, nil
		}
	}
	return 0, false, nil
}

// CreateUnit adds a unit under a parent (a root only when none exists, by a global admin).
func (s *Service) CreateUnit(ctx context.Context, p *auth.Principal, in UnitInput, ip string) (Unit, error) {
	in.Code, in.Name = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name)
	fields := map[string]string{}
	checkCode(fields, "code", in.Code)
	checkName(fields, "name", in.Name)
	rank, ok, err := s.levelRank(ctx, in.Level)
	if err != nil {
		return Unit{}, err
	}
	if !ok {
		fields["level"] = "unknown level (see GET /api/v1/unit-levels)"
	}
	if in.ParentID == nil {
		fields["parent_id"] = "required: the province root exists already"
	}
	if err := invalid(fields); err != nil {
		return Unit{}, err
	}
	parent, err := s.st.Unit(ctx, *in.ParentID)
	if err != nil {
		return Unit{}, &ValidationError{Fields: map[string]string{"parent_id": "no such unit"}}
	}
	if err := s.requireAdmin(ctx, p, parent.ID); err != nil {
		return Unit{}, err
	}
	if prank, _, err := s.levelRank(ctx, parent.Level); err != nil {
		return Unit{}, err
	} else if rank <= prank {
		return Unit{}, ErrLevel
	}
	u := Unit{ParentID: &parent.ID, Level: in.Level, Code: in.Code, Name: in.Name, Active: true}
	e := entry(p, "unit.create", "unit", "", ip, map[string]any{"code": in.Code, "name": in.Name, "level": in.Level, "parent_id": parent.ID})
	return s.st.CreateUnit(ctx, u, e, s.now())
}

// UpdateUnit renames a unit or changes its code or level.
func (s *Service) UpdateUnit(ctx context.Context, p *auth.Principal, id auth.UnitID, name, code, level *string, ip string) (Unit, error) {
	u, err := s.st.Unit(ctx, id)
	if err != nil {
		return Unit{}, err
	}
	if err := s.requireAdmin(ctx, p, id); err != nil {
		return Unit{}, err
	}
	before := u
	fields := map[string]string{}
	if name != nil {
		u.Name = strings.TrimSpace(*name)
		checkName(fields, "name", u.Name)
	}
	if code != nil {
		u.Code = strings.TrimSpace(*code)
		checkCode(fields, "code", u.Code)
	}
	if level != nil {
		if _, ok, err := s.levelRank(ctx, *level); err != nil {
			return Unit{}, err
		} else if !ok {
			fields["level"] = "unknown level"
		}
		u.Level = *level
	}
	if err := invalid(fields); err != nil {
		return Unit{}, err
	}
	if err := s.checkLevels(ctx, u); err != nil {
		return Unit{}, err
	}
	e := entry(p, "unit.update", "unit", id, ip, map[string]any{
		"before": map[string]any{"name": before.Name, "code": before.Code, "level": before.Level},
		"after":  map[string]any{"name": u.Name, "code": u.Code, "level": u.Level}})
	return s.st.UpdateUnit(ctx, u, e, s.now())
}

// checkLevels verifies u ranks below its parent and above its children.
func (s *Service) checkLevels(ctx context.Context, u Unit) error {
	rank, _, err := s.levelRank(ctx, u.Level)
	if err != nil {
		return err
	}
	all, err := s.st.Units(ctx)
	if err != nil {
		return err
	}
	ranks := map[string]int{}
	ls, _ := s.st.Levels(ctx)
	for _, l := range ls {
		ranks[l.Code] = l.Rank
	}
	for _, o := range all {
		if u.ParentID != nil && o.ID == *u.ParentID && ranks[o.Level] >= rank {
			return ErrLevel
		}
		if o.ParentID != nil && *o.ParentID == u.ID && o.Active && ranks[o.Level] <= rank {
			return ErrLevel
		}
	}
	return nil
}

// MoveUnit puts a unit (with its subtree) under another parent.
func (s *Service) MoveUnit(ctx context.Context, p *auth.Principal, id, newParent auth.UnitID, ip string) (Unit, error) {
	u, err := s.st.Unit(ctx, id)
	if err != nil {
		return Unit{}, err
	}
	if u.ParentID == nil {
		return Unit{}, ErrRoot
	}
	parent, err := s.st.Unit(ctx, newParent)
	if err != nil {
		return Unit{}, &ValidationError{Fields: map[string]string{"parent_id": "no such unit"}}
	}
	// Both the unit's current place and its new one must be within the admin's scope.
	if err := s.requireAdmin(ctx, p, *u.ParentID); err != nil {
		return Unit{}, err
	}
	if err := s.requireAdmin(ctx, p, parent.ID); err != nil {
		return Unit{}, err
	}
	anc, err := s.st.Ancestry(ctx, parent.ID)
	if err != nil {
		return Unit{}, err
	}
	if containsUnit(anc, id) {
		return Unit{}, ErrCycle
	}
	old := *u.ParentID
	u.ParentID = &parent.ID
	if err := s.checkLevels(ctx, u); err != nil {
		return Unit{}, err
	}
	e := entry(p, "unit.move", "unit", id, ip, map[string]any{"from_parent_id": old, "to_parent_id": parent.ID})
	return s.st.UpdateUnit(ctx, u, e, s.now())
}

// SetUnitActive deactivates (refused while it has active children, halls
// or users) or reactivates a unit.
func (s *Service) SetUnitActive(ctx context.Context, p *auth.Principal, id auth.UnitID, active bool, ip string) (Unit, error) {
	u, err := s.st.Unit(ctx, id)
	if err != nil {
		return Unit{}, err
	}
	if u.ParentID == nil {
		return Unit{}, ErrRoot
	}
	if err := s.requireAdmin(ctx, p, *u.ParentID); err != nil {
		return Unit{}, err
	}
	if !active {
		c, h, us, err := s.st.UnitDependents(ctx, id)
		if err != nil {
			return Unit{}, err
		}
		if c+h+us > 0 {
			return Unit{}, errors.Join(ErrInUse, &inUseDetail{c, h, us})
		}
	}
	u.Active = active
	action := "unit.reactivate"
	if !active {
		action = "unit.deactivate"
	}
	return s.st.UpdateUnit(ctx, u, entry(p, action, "unit", id, ip, nil), s.now())
}

type inUseDetail struct{ children, halls, users int }

func (d *inUseDetail) Error() string {
	return fmt.Sprintf("active children: %d, halls: %d, users: %d", d.children, d.halls, d.users)
}
