// Package org administers the province's structure: the unit tree (whose
// levels are data, so a tree with or without districts both work), the
// halls of each unit, and user accounts with their roles. It decides who
// may change what: a global admin everything, an admin scoped to a unit
// subtree only inside it; everyone signed in may read units and halls.
package org

import (
	"context"
	"time"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
)

// Unit is a node of the tree.
type Unit struct {
	ID        auth.UnitID  `json:"id"`
	ParentID  *auth.UnitID `json:"parent_id"`
	Level     string       `json:"level"`
	Code      string       `json:"code"`
	Name      string       `json:"name"`
	Active    bool         `json:"active"`
	HallCount int          `json:"hall_count"`
	UserCount int          `json:"user_count"`
}

// Level is a configured level of the tree.
type Level struct {
	Code   string `json:"code"`
	Rank   int    `json:"rank"`
	NameVI string `json:"name_vi"`
	NameEN string `json:"name_en"`
}

// Hall is a meeting room endpoint of a unit.
type Hall struct {
	ID     auth.HallID `json:"id"`
	UnitID auth.UnitID `json:"unit_id"`
	Code   string      `json:"code"`
	Name   string      `json:"name"`
	Active bool        `json:"active"`
}

// User is an account as administrators see it (never the password hash).
type User struct {
	ID       auth.UserID `json:"id"`
	UnitID   auth.UnitID `json:"unit_id"`
	Username string      `json:"username"`
	FullName string      `json:"full_name"`
	Email    string      `json:"email"`
	Position string      `json:"position"`
	// PersonalID is the 12-digit citizen identity number (CCCD) a single
	// sign-on provider may link the account by (CAU_OIDC_LINK_FIELD=
	// personal_id); "" when not recorded. Only administrators see it.
	PersonalID string `json:"personal_id"`
	Active     bool   `json:"active"`
	// DemoPassword: the account still has the published demo password
	// (CAU_ENV=production refuses to start while any active one does).
	DemoPassword bool `json:"demo_password"`
	Locked       bool `json:"locked"`
	// MustChangePassword: an administrator chose the password (new
	// account, reset, import); the user changes it at first login.
	MustChangePassword bool             `json:"must_change_password"`
	Grants             []auth.RoleGrant `json:"grants"`
	CreatedAt          time.Time        `json:"created_at"`
}

// HallFilter selects halls.
type HallFilter struct {
	UnitID             *auth.UnitID
	IncludeDescendants bool
	ActiveOnly         bool
}

// UserFilter selects users.
type UserFilter struct {
	UnitID             *auth.UnitID
	IncludeDescendants bool
	// Within, when not nil, keeps users in the subtrees of these units
	// (set by the service to a scoped admin's scopes).
	Within        []auth.UnitID
	Role          auth.Role
	Query         string // matched against username and full name, without diacritics
	ActiveOnly    bool
	Limit, Offset int
}

// NewUser is what creating a user needs; PasswordHash is computed by the
// service. The store inserts the user and its grants in one transaction.
type NewUser struct {
	UnitID       auth.UnitID
	Username     string
	FullName     string
	Email        string
	Position     string
	PersonalID   string // "" for none
	PasswordHash string
	Grants       []auth.RoleGrant
	// MustChangePassword is set when the password was generated.
	MustChangePassword bool
}

// UserChange holds the fields a PATCH may set (nil: unchanged).
type UserChange struct {
	UnitID   *auth.UnitID
	FullName *string
	Email    *string
	Position *string
	// PersonalID sets the citizen identity number; "" removes it.
	PersonalID *string
}

// Store is the storage org needs; every mutating method appends e to the
// audit log in the same transaction. Unit, Hall, User, Ancestry and the
// updates return an error wrapping ErrNotFound when the row does not exist.
type Store interface {
	Levels(ctx context.Context) ([]Level, error)
	// SaveLevel inserts or updates a level by code.
	SaveLevel(ctx context.Context, l Level, e audit.Entry, now time.Time) error
	Units(ctx context.Context) ([]Unit, error)
	Unit(ctx context.Context, id auth.UnitID) (Unit, error)
	// Ancestry returns the unit and its ancestors, the unit first.
	Ancestry(ctx context.Context, id auth.UnitID) ([]auth.UnitID, error)
	CreateUnit(ctx context.Context, u Unit, e audit.Entry, now time.Time) (Unit, error)
	UpdateUnit(ctx context.Context, u Unit, e audit.Entry, now time.Time) (Unit, error)
	// UnitDependents counts active children, halls and users of a unit.
	UnitDependents(ctx context.Context, id auth.UnitID) (children, halls, users int, err error)

	Halls(ctx context.Context, f HallFilter) ([]Hall, error)
	Hall(ctx context.Context, id auth.HallID) (Hall, error)
	CreateHall(ctx context.Context, h Hall, e audit.Entry, now time.Time) (Hall, error)
	UpdateHall(ctx context.Context, h Hall, e audit.Entry, now time.Time) (Hall, error)

	// Users returns a page of users and how many match in all.
	Users(ctx context.Context, f UserFilter) ([]User, int, error)
	User(ctx context.Context, id auth.UserID) (User, error)
	CreateUser(ctx context.Context, u NewUser, e audit.Entry, now time.Time) (User, error)
	UpdateUser(ctx context.Context, id auth.UserID, c UserChange, e audit.Entry, now time.Time) (User, error)
	SetUserActive(ctx context.Context, id auth.UserID, active bool, e audit.Entry, now time.Time) error
	SetUserRoles(ctx context.Context, id auth.UserID, grants []auth.RoleGrant, e audit.Entry, now time.Time) error
	// ResetPassword sets a new hash, clears the lockout and the demo flag,
	// sets must_change_password, and revokes every refresh token of the user.
	ResetPassword(ctx context.Context, id auth.UserID, hash string, e audit.Entry, now time.Time) error
	// TakenUsernames returns those of names that accounts already have.
	TakenUsernames(ctx context.Context, names []string) ([]string, error)
	// TakenPersonalIDs returns those of ids that accounts already have.
	TakenPersonalIDs(ctx context.Context, ids []string) ([]string, error)
	// ImportUsers creates every user with its grants and audit entry (the
	// entries' ObjectID is filled in) and then appends summary, all in one
	// transaction: any failure writes nothing.
	ImportUsers(ctx context.Context, us []NewUser, es []audit.Entry, summary audit.Entry, now time.Time) ([]User, error)

	// Signature returns the unit's own signature block (ErrNotFound when it has none).
	Signature(ctx context.Context, unit auth.UnitID) (Signature, error)
	// SaveSignature sets (or, when sig is nil, removes) the unit's block.
	SaveSignature(ctx context.Context, unit auth.UnitID, sig *Signature, e audit.Entry, now time.Time) error

	AuditRows(ctx context.Context, f AuditFilter) ([]AuditRow, error)
	VerifyAudit(ctx context.Context) (int64, *audit.Breach, error)
}
