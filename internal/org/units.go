package org

import (
	"context"
	"fmt"
	"regexp"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
)

// Levels lists the configured levels of the tree.
func (s *Service) Levels(ctx context.Context) ([]Level, error) { return s.st.Levels(ctx) }

var levelRe = regexp.MustCompile(`^[a-z][a-z0-9_]{1,31}$`)

// SaveLevel adds a level or changes one's rank and names (province-wide
// admins only: levels shape every unit). A new rank must keep every
// existing parent ranked above its children, so e.g. the district level
// cannot be put below communes while districts still hold communes.
func (s *Service) SaveLevel(ctx context.Context, p *auth.Principal, l Level) (Level, error) {
	if !p.HasGlobal(auth.RoleAdmin) {
		return Level{}, ErrForbidden
	}
	l.NameVI, l.NameEN = clean(l.NameVI), clean(l.NameEN)
	fields := map[string]fault.Problem{}
	if !levelRe.MatchString(l.Code) {
		fields["code"] = fault.WrongFormat
	}
	if l.Rank < 0 || l.Rank > 100 {
		fields["rank"] = fault.OutOfRange
	}
	checkName(fields, "name_vi", l.NameVI)
	checkName(fields, "name_en", l.NameEN)
	if err := fault.Check(fields); err != nil {
		return Level{}, err
	}
	ranks, err := s.ranks(ctx)
	if err != nil {
		return Level{}, err
	}
	old, exists := ranks[l.Code]
	if exists && old != l.Rank {
		ranks[l.Code] = l.Rank
		all, err := s.st.Units(ctx)
		if err != nil {
			return Level{}, err
		}
		byID := make(map[auth.UnitID]Unit, len(all))
		for _, u := range all {
			byID[u.ID] = u
		}
		for _, u := range all {
			if u.ParentID != nil && ranks[byID[*u.ParentID].Level] >= ranks[u.Level] {
				return Level{}, ErrLevel
			}
		}
	}
	action := "unit_level.create"
	if exists {
		action = "unit_level.update"
	}
	e := entry(p, action, "unit_level", l.Code, map[string]any{"rank": l.Rank, "name_vi": l.NameVI, "name_en": l.NameEN})
	return l, s.st.SaveLevel(ctx, l, e, s.now())
}

// Units lists the whole tree (flat, parents before children).
func (s *Service) Units(ctx context.Context) ([]Unit, error) { return s.st.Units(ctx) }

// UnitInput creates a unit.
type UnitInput struct {
	ParentID *auth.UnitID
	Level    string
	Code     string
	Name     string
}

// ranks maps each level code to its rank (0 is the top).
func (s *Service) ranks(ctx context.Context) (map[string]int, error) {
	ls, err := s.st.Levels(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(ls))
	for _, l := range ls {
		out[l.Code] = l.Rank
	}
	return out, nil
}

// requireUnitAdmin checks p may change the unit record itself. That is
// decided one level up: a district admin manages what is inside its
// district (communes, halls, people) but the district unit — its name,
// code, level, place and whether it exists — belongs to whoever administers
// the province. The root is a global admin's alone.
func (s *Service) requireUnitAdmin(ctx context.Context, p *auth.Principal, u Unit) error {
	if u.ParentID == nil {
		if p.HasGlobal(auth.RoleAdmin) {
			return nil
		}
		return ErrForbidden
	}
	return s.requireAdmin(ctx, p, *u.ParentID)
}

// CreateUnit adds a unit under an active parent. The root exists from the
// start (seed or first install), so a parent is always required.
func (s *Service) CreateUnit(ctx context.Context, p *auth.Principal, in UnitInput) (Unit, error) {
	in.Code, in.Name = clean(in.Code), clean(in.Name)
	fields := map[string]fault.Problem{}
	checkCode(fields, "code", in.Code)
	checkName(fields, "name", in.Name)
	ranks, err := s.ranks(ctx)
	if err != nil {
		return Unit{}, err
	}
	rank, ok := ranks[in.Level]
	if !ok {
		fields["level"] = fault.UnknownValue
	}
	if in.ParentID == nil {
		fields["parent_id"] = fault.Required
	}
	if err := fault.Check(fields); err != nil {
		return Unit{}, err
	}
	parent, err := s.activeUnit(ctx, "parent_id", *in.ParentID)
	if err != nil {
		return Unit{}, err
	}
	if err := s.requireAdmin(ctx, p, parent.ID); err != nil {
		return Unit{}, err
	}
	if rank <= ranks[parent.Level] {
		return Unit{}, ErrLevel
	}
	u := Unit{ParentID: &parent.ID, Level: in.Level, Code: in.Code, Name: in.Name, Active: true}
	e := entry(p, "unit.create", "unit", "", map[string]any{"code": in.Code, "name": in.Name, "level": in.Level, "parent_id": parent.ID})
	return s.st.CreateUnit(ctx, u, e, s.now())
}

// UpdateUnit renames a unit or changes its code or level.
func (s *Service) UpdateUnit(ctx context.Context, p *auth.Principal, id auth.UnitID, name, code, level *string) (Unit, error) {
	u, err := s.st.Unit(ctx, id)
	if err != nil {
		return Unit{}, err
	}
	if err := s.requireUnitAdmin(ctx, p, u); err != nil {
		return Unit{}, err
	}
	before := u
	fields := map[string]fault.Problem{}
	if name != nil {
		u.Name = clean(*name)
		checkName(fields, "name", u.Name)
	}
	if code != nil {
		u.Code = clean(*code)
		checkCode(fields, "code", u.Code)
	}
	if level != nil {
		ranks, err := s.ranks(ctx)
		if err != nil {
			return Unit{}, err
		}
		if _, ok := ranks[*level]; !ok {
			fields["level"] = fault.UnknownValue
		}
		u.Level = *level
	}
	if err := fault.Check(fields); err != nil {
		return Unit{}, err
	}
	if err := s.checkLevels(ctx, u); err != nil {
		return Unit{}, err
	}
	action := "unit.update"
	if code == nil && level == nil {
		action = "unit.rename"
	}
	e := entry(p, action, "unit", id, map[string]any{
		"before": map[string]any{"name": before.Name, "code": before.Code, "level": before.Level},
		"after":  map[string]any{"name": u.Name, "code": u.Code, "level": u.Level}})
	return s.st.UpdateUnit(ctx, u, e, s.now())
}

// checkLevels verifies u ranks below its parent and above each of its
// children (inactive children too: they may be reactivated).
func (s *Service) checkLevels(ctx context.Context, u Unit) error {
	ranks, err := s.ranks(ctx)
	if err != nil {
		return err
	}
	rank := ranks[u.Level]
	all, err := s.st.Units(ctx)
	if err != nil {
		return err
	}
	for _, o := range all {
		if u.ParentID != nil && o.ID == *u.ParentID && ranks[o.Level] >= rank {
			return ErrLevel
		}
		if o.ParentID != nil && *o.ParentID == u.ID && ranks[o.Level] <= rank {
			return ErrLevel
		}
	}
	return nil
}

// MoveUnit puts a unit (with its subtree) under another parent: after the
// 2025 reform communes move from a district straight under the province.
func (s *Service) MoveUnit(ctx context.Context, p *auth.Principal, id, newParent auth.UnitID) (Unit, error) {
	u, err := s.st.Unit(ctx, id)
	if err != nil {
		return Unit{}, err
	}
	if u.ParentID == nil {
		return Unit{}, ErrRoot
	}
	parent, err := s.unitOrField(ctx, "parent_id", newParent)
	if err != nil {
		return Unit{}, err
	}
	// Both the unit's current place and its new one must be within the admin's scope.
	if err := s.requireUnitAdmin(ctx, p, u); err != nil {
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
	if u.Active && !parent.Active {
		return Unit{}, fault.Field("parent_id", fault.Inactive)
	}
	old := *u.ParentID
	u.ParentID = &parent.ID
	if err := s.checkLevels(ctx, u); err != nil {
		return Unit{}, err
	}
	e := entry(p, "unit.move", "unit", id, map[string]any{"from_parent_id": old, "to_parent_id": parent.ID})
	return s.st.UpdateUnit(ctx, u, e, s.now())
}

// SetUnitActive deactivates or reactivates a unit. Deactivation does not
// cascade: it is refused while the unit has active children, halls or
// users, so an administrator closes a unit bottom-up and sees each step
// (a merged commune's people usually move to the new unit, not vanish).
// Reactivation needs an active parent.
func (s *Service) SetUnitActive(ctx context.Context, p *auth.Principal, id auth.UnitID, active bool) (Unit, error) {
	u, err := s.st.Unit(ctx, id)
	if err != nil {
		return Unit{}, err
	}
	if u.ParentID == nil {
		return Unit{}, ErrRoot
	}
	if err := s.requireUnitAdmin(ctx, p, u); err != nil {
		return Unit{}, err
	}
	if active {
		parent, err := s.st.Unit(ctx, *u.ParentID)
		if err != nil {
			return Unit{}, err
		}
		if !parent.Active {
			return Unit{}, fault.Field("parent_id", fault.Inactive)
		}
	} else {
		c, h, us, err := s.st.UnitDependents(ctx, id)
		if err != nil {
			return Unit{}, err
		}
		if c+h+us > 0 {
			return Unit{}, fmt.Errorf("%w (active children: %d, halls: %d, users: %d)", ErrInUse, c, h, us)
		}
	}
	if u.Active == active {
		return u, nil // nothing to change, nothing to audit
	}
	u.Active = active
	action := "unit.reactivate"
	if !active {
		action = "unit.deactivate"
	}
	return s.st.UpdateUnit(ctx, u, entry(p, action, "unit", id, nil), s.now())
}
