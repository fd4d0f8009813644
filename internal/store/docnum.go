package store

import (
	"context"
	"fmt"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/docnum"
)

// AllocateNumber issues the next document number of unit, year and kind
// inside the caller's transaction q. The counter row is created if missing
// and then locked FOR UPDATE, so concurrent issuers queue on it: the number
// is used by exactly one transaction, and a rolled-back transaction gives
// its number back (no gap). object names what the number was given to
// ("minutes:12").
func AllocateNumber(ctx context.Context, q Querier, unit auth.UnitID, year int, kind docnum.Kind, issuer, object string, now time.Time) (docnum.Number, error) {
	if !kind.Valid() {
		return docnum.Number{}, fmt.Errorf("allocate number: kind %q: %w", kind, docnum.ErrInvalid)
	}
	// ON CONFLICT DO NOTHING then UPDATE … RETURNING: the UPDATE takes the
	// row lock and waits for any other holder, then reads its committed value.
	if _, err := q.Exec(ctx, `INSERT INTO doc_counters (unit_id, year, kind, last) VALUES ($1, $2, $3, 0)
		ON CONFLICT DO NOTHING`, unit, year, string(kind)); err != nil {
		return docnum.Number{}, fmt.Errorf("allocate number: %w", constraintError(err))
	}
	n := docnum.Number{Unit: unit, Year: year, Kind: kind}
	err := q.QueryRow(ctx, `UPDATE doc_counters SET last = last + 1
		WHERE unit_id = $1 AND year = $2 AND kind = $3 RETURNING last`, unit, year, string(kind)).Scan(&n.Seq)
	if err != nil {
		return docnum.Number{}, fmt.Errorf("allocate number: %w", err)
	}
	if n.Symbol, err = docnum.Symbol(n.Seq, kind, issuer); err != nil {
		return docnum.Number{}, err
	}
	if _, err := q.Exec(ctx, `INSERT INTO doc_numbers (unit_id, year, kind, number, symbol, object, issued_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, unit, year, string(kind), n.Seq, n.Symbol, object, now); err != nil {
		return docnum.Number{}, fmt.Errorf("record number: %w", constraintError(err))
	}
	return n, nil
}

// IssuedNumbers lists the numbers issued for unit, year and kind in order.
func (db *DB) IssuedNumbers(ctx context.Context, unit auth.UnitID, year int, kind docnum.Kind) ([]int, error) {
	rows, err := db.Pool.Query(ctx, `SELECT number FROM doc_numbers WHERE unit_id = $1 AND year = $2 AND kind = $3 ORDER BY number`,
		unit, year, string(kind))
	if err != nil {
		return nil, fmt.Errorf("list issued numbers: %w", err)
	}
	var out []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
