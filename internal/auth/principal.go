// Package auth owns accounts' credentials and who a request is: argon2id
// password hashes, short-lived access tokens, rotating refresh tokens with
// reuse detection, login throttling and lockout, and the roles a user holds.
package auth

import (
	"context"
	"slices"
)

// UserID, UnitID and HallID identify rows of the foundation schema.
type (
	UserID int64
	UnitID int64
	HallID int64
)

// Role is a capability a user holds, optionally limited to a unit subtree.
type Role string

// The roles of Cầu (see ../shared/BRIEF.md "Who uses it").
const (
	RoleAdmin        Role = "admin"
	RoleSecretary    Role = "secretary"
	RoleChair        Role = "chair"
	RoleDelegate     Role = "delegate"
	RoleHallOperator Role = "hall_operator"
	RoleObserver     Role = "observer"
)

// Roles lists every role, in the order the API documents them.
var Roles = []Role{RoleAdmin, RoleSecretary, RoleChair, RoleDelegate, RoleHallOperator, RoleObserver}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// RoleGrant is one role held by a user. A nil ScopeUnitID means the whole
// province; HallID is set for hall operators.
type RoleGrant struct {
	Role        Role    `json:"role"`
	ScopeUnitID *UnitID `json:"scope_unit_id,omitempty"`
	HallID      *HallID `json:"hall_id,omitempty"`
}

// Principal is the authenticated user behind a request.
type Principal struct {
	UserID   UserID
	Username string
	FullName string
	UnitID   UnitID
	Grants   []RoleGrant
	// MustChangePassword: the user signed in with a temporary password and
	// may do nothing else until they change it.
	MustChangePassword bool
	// IP is the client address of the request, for the audit log; the
	// transport sets it once, where it authenticates the request.
	IP string
}

// Has reports whether p holds role r with any scope.
func (p *Principal) Has(r Role) bool {
	for _, g := range p.Grants {
		if g.Role == r {
			return true
		}
	}
	return false
}

// HasAnywhere reports whether p holds any of the roles, with any scope.
func (p *Principal) HasAnywhere(roles ...Role) bool {
	for _, r := range roles {
		if p.Has(r) {
			return true
		}
	}
	return false
}

// HasGlobal reports whether p holds r for the whole province.
func (p *Principal) HasGlobal(r Role) bool {
	for _, g := range p.Grants {
		if g.Role == r && g.ScopeUnitID == nil {
			return true
		}
	}
	return false
}

// HasFor reports whether p holds r over a unit whose ancestry (the unit
// itself first, then its parents up to the root) is given.
func (p *Principal) HasFor(r Role, ancestry []UnitID) bool {
	for _, g := range p.Grants {
		if g.Role != r {
			continue
		}
		if g.ScopeUnitID == nil || slices.Contains(ancestry, *g.ScopeUnitID) {
			return true
		}
	}
	return false
}

// RoleNames returns the distinct role names p holds, for API answers.
func (p *Principal) RoleNames() []string {
	var out []string
	for _, g := range p.Grants {
		if !slices.Contains(out, string(g.Role)) {
			out = append(out, string(g.Role))
		}
	}
	slices.Sort(out)
	return out
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal of ctx, if the request was authenticated.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
