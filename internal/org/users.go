package org

import (
	"context"
	"strings"

	"github.com/cau-gov/cau/internal/auth"
)

// Users lists accounts. Admins see their scope; secretaries and chairs see
// everyone (they invite people from every unit); others see their own unit.
func (s *Service) Users(ctx context.Context, p *auth.Principal, f UserFilter) ([]User, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	switch {
	case p.HasGlobal(auth.RoleAdmin), p.HasAnywhere(auth.RoleSecretary, auth.RoleChair):
	case p.Has(auth.RoleAdmin):
		// A scoped admin lists the subtree of each scope; the simple rule:
		// the filter's unit must be inside a scope, defaulting to the first scope.
		if f.UnitID == nil {
			for _, g := range p.Grants {
				if g.Role == auth.RoleAdmin && g.ScopeUnitID != nil {
					f.UnitID, f.IncludeDescendants = g.ScopeUnitID, true
					break
				}
			}
		}
		if err := s.requireAdmin(ctx, p, *f.UnitID); err != nil {
			return nil, err
		}
	default:
		own := p.UnitID
		f.UnitID, f.IncludeDescendants = &own, false
	}
	return s.st.Users(ctx, f)
}

// UserInput creates a user.
type UserInput struct {
	UnitID   auth.UnitID
	Username string
	FullName string
	Email    string
	Position string
	Password string // empty: a temporary one is generated and returned once
	Grants   []auth.RoleGrant
}

// CreateUser adds an account; it returns the temporary password when none was given.
func (s *Service) CreateUser(ctx context.Context, p *auth.Principal, in UserInput, ip string) (User, string, error) {
	in.Username = auth.NormalizeUsername(in.Username)
	in.FullName, in.Email, in.Position = strings.TrimSpace(in.FullName), strings.TrimSpace(in.Email), strings.TrimSpace(in.Position)
	fields := map[string]string{}
	if !usernameRe.MatchString(in.Username) {
		fields["username"] = "2–64 lowercase letters, digits, '.', '_' or '-'"
	}
	checkName(fields, "full_name", in.FullName)
	checkEmail(fields, in.Email)
	if len(in.Position) > 200 {
		fields["position"] = "at most 200 characters"
	}
	generated := ""
	if in.Password == "" {
		generated = newPassword()
		in.Password = generated
	} else if n := len([]rune(in.Password)); n < auth.MinPasswordLength || len(in.Password) > 256 {
		fields["password"] = "10–256 characters"
	}
	if err := invalid(fields); err != nil {
		return User{}, "", err
	}
	u, err := s.st.Unit(ctx, in.UnitID)
	if err != nil {
		return User{}, "", &ValidationError{Fields: map[string]string{"unit_id": "no such unit"}}
	}
	if !u.Active {
		return User{}, "", &ValidationError{Fields: map[string]string{"unit_id": "the unit is deactivated"}}
	}
	if err := s.requireAdmin(ctx, p, in.UnitID); err != nil {
		return User{}, "", err
	}
	if err := s.checkGrants(ctx, p, in.Grants); err != nil {
		return User{}, "", err
	}
	hash, err := auth.HashPassword(in.Password, s.params)
	if err != nil {
		return User{}, "", err
	}
	e := entry(p, "user.create", "user", "", ip, map[string]any{"username": in.Username, "unit_id": in.UnitID})
	created, err := s.st.CreateUser(ctx, NewUser{UnitID: in.UnitID, Username: in.Username, FullName: in.FullName,
		Email: in.Email, Position: in.Position, PasswordHash: hash}, e, s.now())
	if err != nil {
		return User{}, "", err
	}
	if len(in.Grants) > 0 {
		if err := s.st.SetUserRoles(ctx, created.ID, in.Grants, entry(p, "user.roles", "user", created.ID, ip, map[string]any{"grants": in.Grants}), s.now()); err != nil {
			return User{}, "", err
		}
		if created, err = s.st.User(ctx, created.ID); err != nil {
			return User{}, "", err
		}
	}
	return created, generated, nil
}

// UpdateUser changes profile fields or moves the user to another unit.
func (s *Service) UpdateUser(ctx context.Context, p *auth.Principal, id auth.UserID, c UserChange, ip string) (User, error) {
	u, err := s.st.User(ctx, id)
	if err != nil {
		return User{}, err
	}
	if err := s.requireAdmin(ctx, p, u.UnitID); err != nil {
		return User{}, err
	}
	fields := map[string]string{}
	if c.FullName != nil {
		v := strings.TrimSpace(*c.FullName)
		c.FullName = &v
		checkName(fields, "full_name", v)
	}
	if c.Email != nil {
		v := strings.TrimSpace(*c.Email)
		c.Email = &v
		checkEmail(fields, v)
	}
	if c.Position != nil && len(*c.Position) > 200 {
		fields["position"] = "at most 200 characters"
	}
	if err := invalid(fields); err != nil {
		return User{}, err
	}
	if c.UnitID != nil && *c.UnitID != u.UnitID {
		if _, err := s.st.Unit(ctx, *c.UnitID); err != nil {
			return User{}, &ValidationError{Fields: map[string]string{"unit_id": "no such unit"}}
		}
		if err := s.requireAdmin(ctx, p, *c.UnitID); err != nil {
			return User{}, err
		}
	}
	detail := map[string]any{}
	if c.FullName != nil {
		detail["full_name"] = map[string]string{"before": u.FullName, "after": *c.FullName}
	}
	if c.Email != nil {
		detail["email"] = map[string]string{"before": u.Email, "after": *c.Email}
	}
	if c.Position != nil {
		detail["position"] = map[string]string{"before": u.Position, "after": *c.Position}
	}
	if c.UnitID != nil {
		detail["unit_id"] = map[string]any{"before": u.UnitID, "after": *c.UnitID}
	}
	return s.st.UpdateUser(ctx, id, c, entry(p, "user.update", "user", id, ip, detail), s.now())
}

// SetUserActive deactivates or reactivates an account; deactivation
// revokes its sessions at once (tokens are checked against it per request).
func (s *Service) SetUserActive(ctx context.Context, p *auth.Principal, id auth.UserID, active bool, ip string) (User, error) {
	u, err := s.st.User(ctx, id)
	if err != nil {
		return User{}, err
	}
	if err := s.requireAdmin(ctx, p, u.UnitID); err != nil {
		return User{}, err
	}
	if id == p.UserID && !active {
		return User{}, &ValidationError{Fields: map[string]string{"id": "you cannot deactivate yourself"}}
	}
	action := "user.reactivate"
	if !active {
		action = "user.deactivate"
	}
	if err := s.st.SetUserActive(ctx, id, active, entry(p, action, "user", id, ip, nil), s.now()); err != nil {
		return User{}, err
	}
	return s.st.User(ctx, id)
}

// SetUserRoles replaces a user's role grants.
func (s *Service) SetUserRoles(ctx context.Context, p *auth.Principal, id auth.UserID, grants []auth.RoleGrant, ip string) (User, error) {
	u, err := s.st.User(ctx, id)
	if err != nil {
		return User{}, err
	}
	if err := s.requireAdmin(ctx, p, u.UnitID); err != nil {
		return User{}, err
	}
	if err := s.checkGrants(ctx, p, grants); err != nil {
		return User{}, err
	}
	// A scoped admin may not strip grants it could not have given.
	if err := s.checkGrants(ctx, p, u.Grants); err != nil {
		return User{}, err
	}
	e := entry(p, "user.roles", "user", id, ip, map[string]any{"before": u.Grants, "after": grants})
	if err := s.st.SetUserRoles(ctx, id, grants, e, s.now()); err != nil {
		return User{}, err
	}
	return s.st.User(ctx, id)
}

// ResetPassword gives the user a new temporary password (returned once)
// and signs out all of its sessions.
func (s *Service) ResetPassword(ctx context.Context, p *auth.Principal, id auth.UserID, ip string) (string, error) {
	u, err := s.st.User(ctx, id)
	if err != nil {
		return "", err
	}
	if err := s.requireAdmin(ctx, p, u.UnitID); err != nil {
		return "", err
	}
	pw := newPassword()
	hash, err := auth.HashPassword(pw, s.params)
	if err != nil {
		return "", err
	}
	return pw, s.st.ResetPassword(ctx, id, hash, entry(p, "user.reset_password", "user", id, ip, nil), s.now())
}
