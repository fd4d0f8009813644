package app_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/auth"
)

// When PostgreSQL drops every connection of the server (a restart, a
// failover, pg_terminate_backend), the next requests are answered from new
// connections: no 500 for reads nor for commands.
func TestDatabaseConnectionsTerminatedGiveNo500(t *testing.T) {
	env := apptest.New(t)
	province := env.Unit(t, 0, "province", "lam-dong", "Ủy ban nhân dân tỉnh Lâm Đồng")
	env.User(t, province, "quantri", "mật-khẩu-thử", apptest.Grant(auth.RoleAdmin))
	access, _ := env.Login(t, "quantri", "mật-khẩu-thử")
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, env.Config.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `SET application_name = 'cau-test-admin'`); err != nil {
		t.Fatal(err)
	}

	requests := func(round int) {
		t.Helper()
		for i := 0; i < 12; i++ {
			if status, body := env.Do(t, "GET", "/api/v1/units", access, nil); status != http.StatusOK {
				t.Fatalf("round %d, read %d: %d %s", round, i, status, body)
			}
		}
		// A command: a unit created through the API (one transaction).
		status, body := env.Do(t, "POST", "/api/v1/units", access, map[string]any{
			"parent_id": province, "level": "department", "code": "so-" + string(rune('a'+round)), "name": "Sở thử " + string(rune('A'+round)),
		})
		if status != http.StatusCreated {
			t.Fatalf("round %d, command: %d %s", round, status, body)
		}
	}
	for round := 0; round < 5; round++ {
		requests(round)
		// Terminate every connection of the server's pool from outside it
		// and wait until those backends have exited (as after a restart).
		var killed int
		err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'cau'`).Scan(&killed)
		if err != nil {
			t.Fatalf("terminate: %v", err)
		}
		if killed == 0 {
			t.Fatalf("round %d: no pooled connection to terminate", round)
		}
		t.Logf("round %d: %d pooled connections terminated", round, killed)
	}
	requests(5)
	if n := env.Count(t, "units", "name LIKE 'Sở thử %'"); n != 6 {
		t.Fatalf("units created: %d, want 6", n)
	}
}
