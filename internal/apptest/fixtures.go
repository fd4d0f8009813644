package apptest

import (
	"context"
	"net/http"
	"testing"

	"github.com/cau-gov/cau/internal/auth"
)

// CheapArgon2 keeps password hashing fast in tests; production uses
// auth.DefaultArgon2. Verification reads the parameters from the hash.
var CheapArgon2 = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// Unit inserts a unit (parent 0 = the root) and returns its ID.
func (e *Env) Unit(t testing.TB, parent int64, level, code, name string) int64 {
	t.Helper()
	var parentID any
	if parent != 0 {
		parentID = parent
	}
	var id int64
	err := e.App.DB.Pool.QueryRow(context.Background(),
		`INSERT INTO units (parent_id, level, code, name) VALUES ($1, $2, $3, $4) RETURNING id`,
		parentID, level, code, name).Scan(&id)
	if err != nil {
		t.Fatalf("apptest: insert unit %s: %v", code, err)
	}
	return id
}

// Hall inserts a hall of a unit and returns its ID.
func (e *Env) Hall(t testing.TB, unit int64, code, name string) int64 {
	t.Helper()
	var id int64
	err := e.App.DB.Pool.QueryRow(context.Background(),
		`INSERT INTO halls (unit_id, code, name) VALUES ($1, $2, $3) RETURNING id`, unit, code, name).Scan(&id)
	if err != nil {
		t.Fatalf("apptest: insert hall %s: %v", code, err)
	}
	return id
}

// User inserts an active user with the given password and role grants and
// returns its ID.
func (e *Env) User(t testing.TB, unit int64, username, password string, grants ...auth.RoleGrant) int64 {
	t.Helper()
	hash, err := auth.HashPassword(password, CheapArgon2)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var id int64
	err = e.App.DB.Pool.QueryRow(ctx,
		`INSERT INTO users (unit_id, username, full_name, email, password_hash) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		unit, username, "Người dùng "+username, username+"@example.test", hash).Scan(&id)
	if err != nil {
		t.Fatalf("apptest: insert user %s: %v", username, err)
	}
	for _, g := range grants {
		_, err := e.App.DB.Pool.Exec(ctx, `INSERT INTO user_roles (user_id, role, scope_unit_id, hall_id) VALUES ($1, $2, $3, $4)`,
			id, g.Role, g.ScopeUnitID, g.HallID)
		if err != nil {
			t.Fatalf("apptest: grant %s to %s: %v", g.Role, username, err)
		}
	}
	return id
}

// Login signs in and returns the access and refresh tokens.
func (e *Env) Login(t testing.TB, username, password string) (access, refresh string) {
	t.Helper()
	var out struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	e.DoJSON(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": password}, http.StatusOK, &out)
	if out.AccessToken == "" || out.RefreshToken == "" {
		t.Fatalf("apptest: login %s returned no tokens", username)
	}
	return out.AccessToken, out.RefreshToken
}

// Count returns SELECT count(*) of a table (with an optional WHERE clause),
// for tests that check a refused request changed nothing.
func (e *Env) Count(t testing.TB, table, where string, args ...any) int {
	t.Helper()
	q := "SELECT count(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	var n int
	if err := e.App.DB.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("apptest: %s: %v", q, err)
	}
	return n
}

// Grant is a role grant for User.
func Grant(role auth.Role) auth.RoleGrant { return auth.RoleGrant{Role: role} }

// ScopedGrant is a role limited to a unit subtree.
func ScopedGrant(role auth.Role, unit int64) auth.RoleGrant {
	u := auth.UnitID(unit)
	return auth.RoleGrant{Role: role, ScopeUnitID: &u}
}

// OperatorGrant makes a user the operator of a hall.
func OperatorGrant(hall int64) auth.RoleGrant {
	h := auth.HallID(hall)
	return auth.RoleGrant{Role: auth.RoleHallOperator, HallID: &h}
}
