package store_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/cau-gov/cau/internal/pgtest"
	"github.com/cau-gov/cau/internal/store"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	all, err := store.Migrations()
	if err != nil || len(all) == 0 {
		t.Fatalf("embedded migrations: %d, err %v", len(all), err)
	}

	t.Run("empty database: schema check refuses, migrate applies all, check passes", func(t *testing.T) {
		db, err := store.Open(ctx, pgtest.NewEmptyURL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaOutdated) {
			t.Fatalf("CheckSchema on empty database = %v, want ErrSchemaOutdated", err)
		}
		done, err := db.Migrate(ctx, quietLog())
		if err != nil {
			t.Fatal(err)
		}
		if len(done) != len(all) {
			t.Fatalf("applied %v, want all %d", done, len(all))
		}
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatalf("CheckSchema after migrate: %v", err)
		}
		// Already migrated: nothing more to do.
		again, err := db.Migrate(ctx, quietLog())
		if err != nil || len(again) != 0 {
			t.Fatalf("second migrate applied %v (err %v), want nothing", again, err)
		}
		st, err := db.MigrationStatuses(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range st {
			if m.AppliedAt.IsZero() {
				t.Errorf("migration %04d reported pending after migrate", m.Version)
			}
		}
	})

	t.Run("concurrent migrate applies each migration once", func(t *testing.T) {
		url := pgtest.NewEmptyURL(t)
		const n = 4
		var wg sync.WaitGroup
		applied := make([][]int, n)
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				db, err := store.Open(ctx, url)
				if err != nil {
					errs[i] = err
					return
				}
				defer db.Close()
				applied[i], errs[i] = db.Migrate(ctx, quietLog())
			}(i)
		}
		wg.Wait()
		total := 0
		for i := 0; i < n; i++ {
			if errs[i] != nil {
				t.Fatalf("migrator %d: %v", i, errs[i])
			}
			total += len(applied[i])
		}
		if total != len(all) {
			t.Fatalf("migrators applied %d migrations in total, want exactly %d", total, len(all))
		}
	})

	t.Run("a database from a newer binary is refused", func(t *testing.T) {
		db := pgtest.New(t)
		mustExec(t, db.Pool, "INSERT INTO schema_migrations (version, name) VALUES (9999, 'from_the_future')")
		if err := db.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaNewer) {
			t.Fatalf("CheckSchema = %v, want ErrSchemaNewer", err)
		}
	})
}
