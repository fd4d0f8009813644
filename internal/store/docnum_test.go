package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/docnum"
	"github.com/cau-gov/cau/internal/pgtest"
	"github.com/cau-gov/cau/internal/store"
)

// seedUnit inserts a root unit and returns its id.
func seedUnit(t *testing.T, db *store.DB) auth.UnitID {
	t.Helper()
	var id auth.UnitID
	err := db.Pool.QueryRow(context.Background(),
		`INSERT INTO units (level, code, name) VALUES ('province', 'ubnd-ld', 'Ủy ban nhân dân tỉnh Lâm Đồng') RETURNING id`).Scan(&id)
	if err != nil {
		t.Fatalf("seed unit: %v", err)
	}
	return id
}

// TestAllocateNumberConcurrent runs 50 approvals at once, a fifth of which
// roll back after taking their number: the committed numbers must be
// exactly 1..N with no gap or duplicate.
func TestAllocateNumberConcurrent(t *testing.T) {
	db := pgtest.New(t)
	unit := seedUnit(t, db)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	errRollback := errors.New("rollback on purpose")

	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.InTx(ctx, func(tx pgx.Tx) error {
				if _, err := store.AllocateNumber(ctx, tx, unit, 2026, docnum.Minutes, "UBND", "test", now); err != nil {
					return err
				}
				if i%5 == 0 {
					return errRollback
				}
				return nil
			})
			if err != nil && !errors.Is(err, errRollback) {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("allocate: %v", err)
	}
	got, err := db.IssuedNumbers(ctx, unit, 2026, docnum.Minutes)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n-n/5 {
		t.Fatalf("issued %d numbers, want %d: %v", len(got), n-n/5, got)
	}
	for i, v := range got {
		if v != i+1 {
			t.Fatalf("numbers have a gap or duplicate at %d: %v", i, got)
		}
	}
	// Another kind and another year start again at 1.
	for _, c := range []struct {
		year int
		kind docnum.Kind
	}{{2026, docnum.Notice}, {2027, docnum.Minutes}} {
		var num docnum.Number
		err := db.InTx(ctx, func(tx pgx.Tx) error {
			var err error
			num, err = store.AllocateNumber(ctx, tx, unit, c.year, c.kind, "UBND", "test", now)
			return err
		})
		if err != nil || num.Seq != 1 || num.Symbol != "1/"+string(c.kind)+"-UBND" {
			t.Errorf("first %s of %d: %+v, %v; want 1/%s-UBND", c.kind, c.year, num, err, c.kind)
		}
	}
}

func TestAllocateNumberRefusesBadKind(t *testing.T) {
	db := pgtest.New(t)
	unit := seedUnit(t, db)
	ctx := context.Background()
	for _, k := range []docnum.Kind{"", "bb", "B-B", "TOOLONGX"} {
		err := db.InTx(ctx, func(tx pgx.Tx) error {
			_, err := store.AllocateNumber(ctx, tx, unit, 2026, k, "UBND", "test", time.Now())
			return err
		})
		if !errors.Is(err, docnum.ErrInvalid) {
			t.Errorf("kind %q: got %v, want ErrInvalid", k, err)
		}
	}
	var count int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM doc_counters`).Scan(&count); err != nil || count != 0 {
		t.Errorf("bad kinds left %d counters (%v), want 0", count, err)
	}
}
