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
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
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

// clean trims v and puts it in NFC, so that names typed on different
// keyboards (precomposed or combining diacritics) compare and sort alike.
func clean(v string) string { return norm.NFC.String(strings.TrimSpace(v)) }

// oneLine reports whether v is valid UTF-8 of at most max characters with
// no control characters (names end up in PDFs, audit rows and logs).
func oneLine(v string, max int) bool {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max {
		return false
	}
	return !strings.ContainsFunc(v, unicode.IsControl)
}

func checkName(fields map[string]fault.Problem, key, v string) {
	if v == "" {
		fields[key] = fault.Required
	} else if !oneLine(v, 200) {
		fields[key] = fault.TooLong
	}
}

func checkCode(fields map[string]fault.Problem, key, v string) {
	if !codeRe.MatchString(v) {
		fields[key] = fault.WrongFormat
	}
}

func entry(p *auth.Principal, action, objType string, objID any, detail map[string]any) audit.Entry {
	id := int64(p.UserID)
	return audit.Entry{ActorID: &id, ActorName: p.Username, Action: action, ObjectType: objType, ObjectID: fmt.Sprint(objID), IP: p.IP, Detail: detail}
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

// personalIDRe is the citizen identity number: 12 digits (CCCD, số
// định danh cá nhân). Spaces and dots typed to group the digits are
// dropped first (cleanPersonalID).
var personalIDRe = regexp.MustCompile(`^[0-9]{12}$`)

// cleanPersonalID drops what people type to group the digits.
func cleanPersonalID(v string) string {
	return strings.NewReplacer(" ", "", ".", "", "-", "", "\u00a0", "").Replace(strings.TrimSpace(v))
}

func allDigits(v string) bool {
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return v != ""
}

// checkPersonalID cleans *v and checks it is empty or 12 digits.
func checkPersonalID(fields map[string]fault.Problem, v *string) {
	if v == nil {
		return
	}
	*v = cleanPersonalID(*v)
	if *v != "" && !personalIDRe.MatchString(*v) {
		fields["personal_id"] = fault.WrongFormat
	}
}

func checkEmail(fields map[string]fault.Problem, v string) {
	if v == "" {
		return
	}
	if a, err := mail.ParseAddress(v); err != nil || a.Address != v || len(v) > 254 {
		fields["email"] = fault.WrongFormat
	}
}

// validGrants checks the shape of role grants and that their units and
// halls exist.
func (s *Service) validGrants(ctx context.Context, grants []auth.RoleGrant) error {
	fields := map[string]fault.Problem{}
	seen := map[string]bool{}
	for i, g := range grants {
		key := fmt.Sprintf("grants[%d]", i)
		if !g.Role.Valid() {
			fields[key+".role"] = fault.UnknownValue
			continue
		}
		if (g.Role == auth.RoleHallOperator) != (g.HallID != nil) {
			fields[key+".hall_id"] = fault.NotAllowed
		}
		sig := string(g.Role)
		if g.ScopeUnitID != nil {
			sig += fmt.Sprint("/u", *g.ScopeUnitID)
		}
		if g.HallID != nil {
			sig += fmt.Sprint("/h", *g.HallID)
		}
		if seen[sig] {
			fields[key] = fault.Duplicate
		}
		seen[sig] = true
	}
	if len(grants) > 50 {
		fields["grants"] = fault.OutOfRange
	}
	if err := fault.Check(fields); err != nil {
		return err
	}
	for _, g := range grants {
		if err := s.grantTargetsExist(ctx, g); err != nil {
			return err
		}
	}
	return nil
}

// mayGive reports (as ErrForbidden) whether p may hand out each grant: a
// global admin any; a scoped admin only powers inside its subtree.
func (s *Service) mayGive(ctx context.Context, p *auth.Principal, grants []auth.RoleGrant) error {
	if p.HasGlobal(auth.RoleAdmin) {
		return nil
	}
	for _, g := range grants {
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

// requireManage checks p may administer account u: u's unit is in p's
// scope, and u holds no power p could not have given (else a district
// admin could reset the password of a province-wide admin who happens to
// sit in the district, and sign in as them).
func (s *Service) requireManage(ctx context.Context, p *auth.Principal, u User) error {
	if err := s.requireAdmin(ctx, p, u.UnitID); err != nil {
		return err
	}
	return s.mayGive(ctx, p, u.Grants)
}

// activeUnit returns the unit, or a fault.Invalid on field when it does
// not exist or is deactivated (new things are not put in closed units).
func (s *Service) activeUnit(ctx context.Context, field string, id auth.UnitID) (Unit, error) {
	u, err := s.st.Unit(ctx, id)
	if fault.Is(err, fault.NotFound) {
		return Unit{}, fault.Field(field, fault.NoSuch)
	}
	if err != nil {
		return Unit{}, err
	}
	if !u.Active {
		return Unit{}, fault.Field(field, fault.Inactive)
	}
	return u, nil
}

func (s *Service) grantTargetsExist(ctx context.Context, g auth.RoleGrant) error {
	if g.ScopeUnitID != nil {
		if _, err := s.st.Unit(ctx, *g.ScopeUnitID); fault.Is(err, fault.NotFound) {
			return fault.Field("scope_unit_id", fault.NoSuch)
		} else if err != nil {
			return err
		}
	}
	if g.HallID != nil {
		if _, err := s.st.Hall(ctx, *g.HallID); fault.Is(err, fault.NotFound) {
			return fault.Field("hall_id", fault.NoSuch)
		} else if err != nil {
			return err
		}
	}
	return nil
}

func containsUnit(ids []auth.UnitID, id auth.UnitID) bool { return slices.Contains(ids, id) }

// unitOrField returns the unit, or a fault.Invalid on field when it does
// not exist (a reference in the body, not the resource of the URL).
func (s *Service) unitOrField(ctx context.Context, field string, id auth.UnitID) (Unit, error) {
	u, err := s.st.Unit(ctx, id)
	if fault.Is(err, fault.NotFound) {
		return Unit{}, fault.Field(field, fault.NoSuch)
	}
	return u, err
}
