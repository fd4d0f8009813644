package org

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
)

// Service applies the administration rules.
type Service struct {
	st     Store
	params auth.Argon2Params
	now    func() time.Time
}

// NewService returns the service; params hash new and reset passwords.
func NewService(st Store, params auth.Argon2Params, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, params: params, now: now}
}

var (
	codeRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	usernameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)
)

func checkName(fields map[string]string, key, v string) {
	if n := utf8.RuneCountInString(strings.TrimSpace(v)); n < 1 || n > 200 || !utf8.ValidString(v) || strings.ContainsAny(v, "\x00\r\n") {
		fields[key] = "required, 1–200 characters on one line"
	}
}

func checkCode(fields map[string]string, key, v string) {
	if !codeRe.MatchString(v) {
		fields[key] = "lowercase letters, digits, '.', '_' or '-', at most 64, starting with a letter or digit"
	}
}

func invalid(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: fields}
}

func entry(p *auth.Principal, action, objType string, objID any, ip string, detail map[string]any) audit.Entry {
	id := int64(p.UserID)
	return audit.Entry{ActorID: &id, ActorName: p.Username, Action: action, ObjectType: objType, ObjectID: fmt.Sprint(objID), IP: ip, Detail: detail}
}

// canAdmin reports whether p administers unit (global admin, or an admin
// scoped to one of the unit's ancestors or the unit itself).
func (s *Service) canAdmin(ctx context.Context, p *auth.Principal, unit auth.UnitID) (bool, error) {
	if p.HasGlobal(auth.RoleAdmin) {
		return true, nil
	}
	if !p.Has(auth.RoleAdmin) {
		return false, nil
	}
	anc, err := s.st.Ancestry(ctx, unit)
	if err != nil {
		return false, err
	}
	return p.HasFor(auth.RoleAdmin, anc), nil
}

func (s *Service) requireAdmin(ctx context.Context, p *auth.Principal, unit auth.UnitID) error {
	ok, err := s.canAdmin(ctx, p, unit)
	if err != nil {
		return err
	}
	if !ok {
		return ErrForbidden
	}
	return nil
}

// newPassword makes a random temporary password (16 base32 characters, 80 bits).
func newPassword() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

func checkEmail(fields map[string]string, v string) {
	if v == "" {
		return
	}
	if a, err := mail.ParseAddress(v); err != nil || a.Address != v || len(v) > 254 {
		fields["email"] = "not an e-mail address"
	}
}

// checkGrants validates role grants and that p may give them.
func (s *Service) checkGrants(ctx context.Context, p *auth.Principal, grants []auth.RoleGrant) error {
	fields := map[string]string{}
	seen := map[string]bool{}
	for i, g := range grants {
		key := fmt.Sprintf("grants[%d]", i)
		if !g.Role.Valid() {
			fields[key+".role"] = "unknown role"
			continue
		}
		if (g.Role == auth.RoleHallOperator) != (g.HallID != nil) {
			fields[key+".hall_id"] = "required for hall_operator, and only for it"
		}
		sig := fmt.Sprint(g.Role, g.ScopeUnitID, g.HallID)
		if g.ScopeUnitID != nil {
			sig = fmt.Sprint(g.Role, *g.ScopeUnitID, g.HallID)
		}
		if g.HallID != nil {
			sig += fmt.Sprint(*g.HallID)
		}
		if seen[sig] {
			fields[key] = "duplicate grant"
		}
		seen[sig] = true
	}
	if err := invalid(fields); err != nil {
		return err
	}
	if p.HasGlobal(auth.RoleAdmin) {
		for _, g := range grants {
			if err := s.grantTargetsExist(ctx, g); err != nil {
				return err
			}
		}
		return nil
	}
	// A scoped admin gives powers only inside its subtree.
	for _, g := range grants {
		if err := s.grantTargetsExist(ctx, g); err != nil {
			return err
		}
		unit := g.ScopeUnitID
		if g.HallID != nil {
			h, err := s.st.Hall(ctx, *g.HallID)
			if err != nil {
				return err
			}
			unit = &h.UnitID
		}
		if unit == nil {
			// Taking part in meetings carries no power over others; managing
			// them (admin, secretary, chair) province-wide does.
			if g.Role == auth.RoleDelegate || g.Role == auth.RoleObserver {
				continue
			}
			return fmt.Errorf("%w: only a province-wide admin grants province-wide %s", ErrForbidden, g.Role)
		}
		if err := s.requireAdmin(ctx, p, *unit); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) grantTargetsExist(ctx context.Context, g auth.RoleGrant) error {
	if g.ScopeUnitID != nil {
		if _, err := s.st.Unit(ctx, *g.ScopeUnitID); err != nil {
			return &ValidationError{Fields: map[string]string{"scope_unit_id": "no such unit"}}
		}
	}
	if g.HallID != nil {
		if _, err := s.st.Hall(ctx, *g.HallID); err != nil {
			return &ValidationError{Fields: map[string]string{"hall_id": "no such hall"}}
		}
	}
	return nil
}

func containsUnit(ids []auth.UnitID, id auth.UnitID) bool { return slices.Contains(ids, id) }
