package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/org"
)

// subtreeCTE selects a unit and every unit below it as "sub".
const subtreeCTE = `WITH RECURSIVE sub AS (
		SELECT id FROM units WHERE id = $1
		UNION ALL
		SELECT u.id FROM units u JOIN sub ON u.parent_id = sub.id
	) `

// Halls implements org.Store.
func (db *DB) Halls(ctx context.Context, f org.HallFilter) ([]org.Hall, error) {
	q := `SELECT h.id, h.unit_id, h.code, h.name, h.active FROM halls h WHERE true`
	var args []any
	if f.UnitID != nil {
		args = append(args, *f.UnitID)
		if f.IncludeDescendants {
			q = subtreeCTE + q + ` AND h.unit_id IN (SELECT id FROM sub)`
		} else {
			q += ` AND h.unit_id = $1`
		}
	}
	if f.ActiveOnly {
		q += ` AND h.active`
	}
	rows, err := db.Pool.Query(ctx, q+` ORDER BY h.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("list halls: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[org.Hall])
}

// Hall implements org.Store.
func (db *DB) Hall(ctx context.Context, id auth.HallID) (org.Hall, error) {
	rows, err := db.Pool.Query(ctx, `SELECT id, unit_id, code, name, active FROM halls WHERE id = $1`, id)
	if err != nil {
		return org.Hall{}, fmt.Errorf("get hall: %w", err)
	}
	h, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[org.Hall])
	return h, notFound(err, fmt.Sprintf("hall %d", id))
}

// CreateHall implements org.Store.
func (db *DB) CreateHall(ctx context.Context, h org.Hall, e audit.Entry, now time.Time) (org.Hall, error) {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO halls (unit_id, code, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id`,
			h.UnitID, h.Code, h.Name, now).Scan(&h.ID)
		if err != nil {
			return constraintError(err)
		}
		e.ObjectID = fmt.Sprint(h.ID)
		return AppendAudit(ctx, tx, e, now)
	})
	if err != nil {
		return org.Hall{}, fmt.Errorf("create hall: %w", err)
	}
	return db.Hall(ctx, h.ID)
}

// UpdateHall implements org.Store.
func (db *DB) UpdateHall(ctx context.Context, h org.Hall, e audit.Entry, now time.Time) (org.Hall, error) {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE halls SET unit_id = $2, code = $3, name = $4, active = $5, updated_at = $6 WHERE id = $1`,
			h.ID, h.UnitID, h.Code, h.Name, h.Active, now)
		if err != nil {
			return constraintError(err)
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return AppendAudit(ctx, tx, e, now)
	})
	if err != nil {
		return org.Hall{}, fmt.Errorf("update hall %d: %w", h.ID, err)
	}
	return db.Hall(ctx, h.ID)
}
