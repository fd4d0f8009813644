package org

import (
	"context"
	"strings"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
)

// Users lists accounts. A global admin, and anyone holding secretary or
// chair (they invite people from every unit), sees everyone; a scoped admin
// the subtrees of its scopes; everyone else the people of their own unit.
// It returns a page and the number of matches in all.
func (s *Service) Users(ctx context.Context, p *auth.Principal, f UserFilter) ([]User, int, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	switch {
	case p.HasGlobal(auth.RoleAdmin), p.HasAnywhere(auth.RoleSecretary, auth.RoleChair):
	case p.Has(auth.RoleAdmin):
		if f.UnitID != nil {
			if err := s.requireAdmin(ctx, p, *f.UnitID); err != nil {
				return nil, 0, err
			}
			break
		}
		f.Within = []auth.UnitID{}
		for _, g := range p.Grants {
			if g.Role == auth.RoleAdmin && g.ScopeUnitID != nil {
				f.Within = append(f.Within, *g.ScopeUnitID)
			}
		}
	default:
		own := p.UnitID
		if f.UnitID != nil && *f.UnitID != own {
			return nil, 0, ErrForbidden
		}
		f.UnitID, f.IncludeDescendants = &own, false
	}
	us, total, err := s.st.Users(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	for i := range us {
		us[i] = redact(p, us[i])
	}
	return us, total, nil
}

// redact hides what only administrators may read (the personal ID
// number) from the secretaries, chairs and colleagues who list people.
func redact(p *auth.Principal, u User) User {
	if !p.Has(auth.RoleAdmin) {
		u.PersonalID = ""
	}
	return u
}

// User returns one account to whoever may list it (see Users).
func (s *Service) User(ctx context.Context, p *auth.Principal, id auth.UserID) (User, error) {
	u, err := s.st.User(ctx, id)
	if err != nil {
		return User{}, err
	}
	switch {
	case p.HasGlobal(auth.RoleAdmin), p.HasAnywhere(auth.RoleSecretary, auth.RoleChair), u.UnitID == p.UnitID:
		return redact(p, u), nil
	case p.Has(auth.RoleAdmin):
		if err := s.requireAdmin(ctx, p, u.UnitID); err != nil {
			return User{}, err
		}
		return u, nil
	}
	return User{}, ErrForbidden
}

// UserInput creates a user.
type UserInput struct {
	UnitID   auth.UnitID
	Username string
	FullName string
	Email    string
	Position string
	// PersonalID is the 12-digit citizen identity number, "" for none.
	PersonalID string
	Password   string // empty: a temporary one is generated and returned once
	Grants     []auth.RoleGrant
}

func checkProfile(fields map[string]fault.Problem, fullName, email, position *string) {
	if fullName != nil {
		*fullName = clean(*fullName)
		checkName(fields, "full_name", *fullName)
	}
	if email != nil {
		*email = clean(*email)
		checkEmail(fields, *email)
	}
	if position != nil {
		*position = clean(*position)
		if !oneLine(*position, 200) {
			fields["position"] = fault.TooLong
		}
	}
}

// CreateUser adds an account with its grants; it returns the temporary
// password when none was given.
func (s *Service) CreateUser(ctx context.Context, p *auth.Principal, in UserInput) (User, string, error) {
	in.Username = auth.NormalizeUsername(in.Username)
	fields := map[string]fault.Problem{}
	if !usernameRe.MatchString(in.Username) {
		fields["username"] = fault.WrongFormat
	}
	checkProfile(fields, &in.FullName, &in.Email, &in.Position)
	checkPersonalID(fields, &in.PersonalID)
	if in.UnitID <= 0 {
		fields["unit_id"] = fault.Required
	}
	generated := ""
	if in.Password == "" {
		generated = newPassword()
		in.Password = generated
	} else if n := len([]rune(in.Password)); n < auth.MinPasswordLength || len(in.Password) > 256 {
		fields["password"] = fault.OutOfRange
	}
	if err := fault.Check(fields); err != nil {
		return User{}, "", err
	}
	if err := s.validGrants(ctx, in.Grants); err != nil {
		return User{}, "", err
	}
	if _, err := s.activeUnit(ctx, "unit_id", in.UnitID); err != nil {
		return User{}, "", err
	}
	if err := s.requireAdmin(ctx, p, in.UnitID); err != nil {
		return User{}, "", err
	}
	if err := s.mayGive(ctx, p, in.Grants); err != nil {
		return User{}, "", err
	}
	hash, err := auth.HashPassword(in.Password, s.params)
	if err != nil {
		return User{}, "", err
	}
	if in.Grants == nil {
		in.Grants = []auth.RoleGrant{}
	}
	e := entry(p, "user.create", "user", "", map[string]any{"username": in.Username, "unit_id": in.UnitID,
		"full_name": in.FullName, "grants": in.Grants, "generated_password": generated != "", "personal_id": maskPersonalID(in.PersonalID)})
	created, err := s.st.CreateUser(ctx, NewUser{UnitID: in.UnitID, Username: in.Username, FullName: in.FullName,
		Email: in.Email, Position: in.Position, PersonalID: in.PersonalID, PasswordHash: hash, Grants: in.Grants, MustChangePassword: generated != ""}, e, s.now())
	if err != nil {
		return User{}, "", err
	}
	return created, generated, nil
}

// UpdateUser changes profile fields or moves the user to another unit.
func (s *Service) UpdateUser(ctx context.Context, p *auth.Principal, id auth.UserID, c UserChange) (User, error) {
	u, err := s.st.User(ctx, id)
	if err != nil {
		return User{}, err
	}
	if err := s.requireManage(ctx, p, u); err != nil {
		return User{}, err
	}
	fields := map[string]fault.Problem{}
	checkProfile(fields, c.FullName, c.Email, c.Position)
	checkPersonalID(fields, c.PersonalID)
	if err := fault.Check(fields); err != nil {
		return User{}, err
	}
	detail := map[string]any{}
	// The audit log records that the number changed, and its last digits
	// for the administrator who checks whose it was, never the whole of it.
	if c.PersonalID != nil && *c.PersonalID != u.PersonalID {
		detail["personal_id"] = map[string]string{"before": maskPersonalID(u.PersonalID), "after": maskPersonalID(*c.PersonalID)}
	}
	if c.UnitID != nil && *c.UnitID != u.UnitID {
		if _, err := s.activeUnit(ctx, "unit_id", *c.UnitID); err != nil {
			return User{}, err
		}
		if err := s.requireAdmin(ctx, p, *c.UnitID); err != nil {
			return User{}, err
		}
		detail["unit_id"] = map[string]any{"before": u.UnitID, "after": *c.UnitID}
	}
	for key, v := range map[string][2]*string{
		"full_name": {&u.FullName, c.FullName}, "email": {&u.Email, c.Email}, "position": {&u.Position, c.Position},
	} {
		if v[1] != nil && *v[1] != *v[0] {
			detail[key] = map[string]string{"before": *v[0], "after": *v[1]}
		}
	}
	if len(detail) == 0 {
		return u, nil // nothing to change, nothing to audit
	}
	return s.st.UpdateUser(ctx, id, c, entry(p, "user.update", "user", id, detail), s.now())
}

// SetUserActive deactivates or reactivates an account; deactivation
// revokes its refresh tokens, and access tokens stop working at once
// because the Authenticator loads the account on every request.
func (s *Service) SetUserActive(ctx context.Context, p *auth.Principal, id auth.UserID, active bool) (User, error) {
	u, err := s.st.User(ctx, id)
	if err != nil {
		return User{}, err
	}
	if err := s.requireManage(ctx, p, u); err != nil {
		return User{}, err
	}
	if id == p.UserID {
		return User{}, ErrSelf
	}
	if active {
		if _, err := s.activeUnit(ctx, "unit_id", u.UnitID); err != nil {
			return User{}, err
		}
	}
	if u.Active == active {
		return u, nil
	}
	action := "user.reactivate"
	if !active {
		action = "user.deactivate"
	}
	if err := s.st.SetUserActive(ctx, id, active, entry(p, action, "user", id, nil), s.now()); err != nil {
		return User{}, err
	}
	return s.st.User(ctx, id)
}

// SetUserRoles replaces a user's role grants. An admin cannot change its
// own roles (another admin must), and a scoped admin can neither give nor
// take away a power it could not give.
func (s *Service) SetUserRoles(ctx context.Context, p *auth.Principal, id auth.UserID, grants []auth.RoleGrant) (User, error) {
	u, err := s.st.User(ctx, id)
	if err != nil {
		return User{}, err
	}
	if err := s.validGrants(ctx, grants); err != nil {
		return User{}, err
	}
	if err := s.requireManage(ctx, p, u); err != nil {
		return User{}, err
	}
	if err := s.mayGive(ctx, p, grants); err != nil {
		return User{}, err
	}
	if id == p.UserID {
		return User{}, ErrSelf
	}
	if grants == nil {
		grants = []auth.RoleGrant{}
	}
	e := entry(p, "user.roles", "user", id, map[string]any{"before": u.Grants, "after": grants})
	if err := s.st.SetUserRoles(ctx, id, grants, e, s.now()); err != nil {
		return User{}, err
	}
	return s.st.User(ctx, id)
}

// ResetPassword gives the user a new random password (returned once, for
// the admin to hand over; the user must change it at the next login), unlocks the account
// and signs out all of its sessions.
func (s *Service) ResetPassword(ctx context.Context, p *auth.Principal, id auth.UserID) (string, error) {
	u, err := s.st.User(ctx, id)
	if err != nil {
		return "", err
	}
	if err := s.requireManage(ctx, p, u); err != nil {
		return "", err
	}
	pw := newPassword()
	hash, err := auth.HashPassword(pw, s.params)
	if err != nil {
		return "", err
	}
	return pw, s.st.ResetPassword(ctx, id, hash, entry(p, "user.reset_password", "user", id, nil), s.now())
}

// maskPersonalID keeps the last three digits of a personal ID number for
// the audit log ("*********234"); "" stays "".
func maskPersonalID(v string) string {
	if len(v) <= 3 {
		return v
	}
	return strings.Repeat("*", len(v)-3) + v[len(v)-3:]
}
