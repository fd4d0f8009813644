package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/pgtest"
)

func TestAuditChain(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	at := time.Date(2026, 11, 23, 8, 0, 0, 123456000, time.UTC)

	// Concurrent appends must still form one chain.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := int64(i)
			err := db.Audit(ctx, audit.Entry{ActorID: &id, ActorName: fmt.Sprintf("user%d", i), Action: "unit.rename",
				ObjectType: "unit", ObjectID: "7", Detail: map[string]any{"name": "Xã Đạ Tông", "n": i}, IP: "127.0.0.1"}, at)
			if err != nil {
				t.Errorf("append %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()

	n, breach, err := db.VerifyAudit(ctx)
	if err != nil || breach != nil || n != 20 {
		t.Fatalf("verify intact chain: n=%d breach=%v err=%v, want 20 rows and no breach", n, breach, err)
	}

	t.Run("updates are refused by the database", func(t *testing.T) {
		_, err := db.Pool.Exec(ctx, "UPDATE audit_log SET actor_name = 'x' WHERE id = 3")
		if err == nil {
			t.Fatal("UPDATE audit_log succeeded, want append-only refusal")
		}
	})

	t.Run("a tampered row is named", func(t *testing.T) {
		// A database superuser can still bypass the trigger; verification catches it.
		mustExec(t, db.Pool, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
		var target int64
		if err := db.Pool.QueryRow(ctx, "SELECT id FROM audit_log ORDER BY id OFFSET 7 LIMIT 1").Scan(&target); err != nil {
			t.Fatal(err)
		}
		mustExec(t, db.Pool, fmt.Sprintf(`UPDATE audit_log SET detail = '{"name":"Xã khác"}' WHERE id = %d`, target))
		_, breach, err := db.VerifyAudit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if breach == nil || breach.ID != target {
			t.Fatalf("breach = %+v, want row %d", breach, target)
		}
	})

	t.Run("removing the newest row is caught", func(t *testing.T) {
		db := pgtest.New(t)
		for i := 0; i < 3; i++ {
			if err := db.Audit(ctx, audit.Entry{Action: "auth.login"}, at); err != nil {
				t.Fatal(err)
			}
		}
		mustExec(t, db.Pool, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
		mustExec(t, db.Pool, "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)")
		_, breach, err := db.VerifyAudit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if breach == nil {
			t.Fatal("deleting the newest row went unnoticed")
		}
	})
}
