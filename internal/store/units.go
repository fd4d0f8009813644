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

// Levels implements org.Store.
func (db *DB) Levels(ctx context.Context) ([]org.Level, error) {
	rows, err := db.Pool.Query(ctx, `SELECT code, rank, name_vi, name_en FROM unit_levels ORDER BY rank, code`)
	if err != nil {
		return nil, fmt.Errorf("list unit levels: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[org.Level])
}

// SaveLevel implements org.Store. It takes the tree lock to order itself
// with moves; org checks the new rank just before, so a move racing a rank
// change could still slip between them (levels change a few times a decade).
func (db *DB) SaveLevel(ctx context.Context, l org.Level, e audit.Entry, now time.Time) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, unitTreeLockKey); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO unit_levels (code, rank, name_vi, name_en) VALUES ($1, $2, $3, $4)
			ON CONFLICT (code) DO UPDATE SET rank = EXCLUDED.rank, name_vi = EXCLUDED.name_vi, name_en = EXCLUDED.name_en`,
			l.Code, l.Rank, l.NameVI, l.NameEN)
		if err != nil {
			return fmt.Errorf("save unit level %s: %w", l.Code, constraintError(err))
		}
		return AppendAudit(ctx, tx, e, now)
	})
}

// unitSelect lists units with their hall and user counts.
const unitSelect = `
	SELECT u.id, u.parent_id, u.level, u.code, u.name, u.active,
		(SELECT count(*) FROM halls h WHERE h.unit_id = u.id AND h.active)::int,
		(SELECT count(*) FROM users s WHERE s.unit_id = u.id AND s.active)::int
	FROM units u`

func scanUnit(row pgx.CollectableRow) (org.Unit, error) {
	var u org.Unit
	err := row.Scan(&u.ID, &u.ParentID, &u.Level, &u.Code, &u.Name, &u.Active, &u.HallCount, &u.UserCount)
	return u, err
}

// Units implements org.Store: the whole tree in its order (org.TreeOrder).
func (db *DB) Units(ctx context.Context) ([]org.Unit, error) {
	rows, err := db.Pool.Query(ctx, unitSelect)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	us, err := pgx.CollectRows(rows, scanUnit)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	rank, err := levelRanks(ctx, db.Pool)
	if err != nil {
		return nil, err
	}
	return org.TreeOrder(us, rank), nil
}

func levelRanks(ctx context.Context, q Querier) (map[string]int, error) {
	rows, err := q.Query(ctx, `SELECT code, rank FROM unit_levels`)
	if err != nil {
		return nil, fmt.Errorf("unit level ranks: %w", err)
	}
	rank := map[string]int{}
	var code string
	var r int
	_, err = pgx.ForEachRow(rows, []any{&code, &r}, func() error { rank[code] = r; return nil })
	if err != nil {
		return nil, fmt.Errorf("unit level ranks: %w", err)
	}
	return rank, nil
}

// unitPlaces gives each unit its place in the tree's order, for lists of
// some units (a notice's recipients) to follow the tree.
func unitPlaces(ctx context.Context, q Querier) (map[auth.UnitID]int, error) {
	rows, err := q.Query(ctx, `SELECT id, parent_id, level, name FROM units`)
	if err != nil {
		return nil, fmt.Errorf("unit tree: %w", err)
	}
	us, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (org.Unit, error) {
		var u org.Unit
		return u, row.Scan(&u.ID, &u.ParentID, &u.Level, &u.Name)
	})
	if err != nil {
		return nil, fmt.Errorf("unit tree: %w", err)
	}
	rank, err := levelRanks(ctx, q)
	if err != nil {
		return nil, err
	}
	places := make(map[auth.UnitID]int, len(us))
	for i, u := range org.TreeOrder(us, rank) {
		places[u.ID] = i
	}
	return places, nil
}

// Unit implements org.Store.
func (db *DB) Unit(ctx context.Context, id auth.UnitID) (org.Unit, error) {
	rows, err := db.Pool.Query(ctx, unitSelect+` WHERE u.id = $1`, id)
	if err != nil {
		return org.Unit{}, fmt.Errorf("get unit: %w", err)
	}
	u, err := pgx.CollectExactlyOneRow(rows, scanUnit)
	return u, notFound(err, fmt.Sprintf("unit %d", id))
}

// Ancestry implements org.Store.
func (db *DB) Ancestry(ctx context.Context, id auth.UnitID) ([]auth.UnitID, error) {
	rows, err := db.Pool.Query(ctx, `
		WITH RECURSIVE up AS (
			SELECT id, parent_id, 0 AS depth FROM units WHERE id = $1
			UNION ALL
			SELECT u.id, u.parent_id, up.depth + 1 FROM units u JOIN up ON u.id = up.parent_id
		) SELECT id FROM up ORDER BY depth`, id)
	if err != nil {
		return nil, fmt.Errorf("unit ancestry: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[auth.UnitID])
	if err != nil {
		return nil, fmt.Errorf("unit ancestry: %w", err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("unit %d: %w", id, ErrNotFound)
	}
	return ids, nil
}

// CreateUnit implements org.Store.
func (db *DB) CreateUnit(ctx context.Context, u org.Unit, e audit.Entry, now time.Time) (org.Unit, error) {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO units (parent_id, level, code, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
			RETURNING id`, u.ParentID, u.Level, u.Code, u.Name, now).Scan(&u.ID)
		if err != nil {
			return constraintError(err)
		}
		e.ObjectID = fmt.Sprint(u.ID)
		return AppendAudit(ctx, tx, e, now)
	})
	if err != nil {
		return org.Unit{}, fmt.Errorf("create unit: %w", err)
	}
	return db.Unit(ctx, u.ID)
}

// unitTreeLockKey serializes changes of the tree's shape ("cau" + "tree").
const unitTreeLockKey int64 = 0x63617574726565

// UpdateUnit implements org.Store. org checks for cycles before calling;
// two moves racing (A under B while B goes under A) could each pass that
// check, so the shape changes under one lock and the cycle is checked again.
func (db *DB) UpdateUnit(ctx context.Context, u org.Unit, e audit.Entry, now time.Time) (org.Unit, error) {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if u.ParentID != nil {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, unitTreeLockKey); err != nil {
				return err
			}
			var cycle bool
			err := tx.QueryRow(ctx, `
				WITH RECURSIVE up AS (
					SELECT id, parent_id FROM units WHERE id = $1
					UNION
					SELECT p.id, p.parent_id FROM units p JOIN up ON p.id = up.parent_id
				) SELECT EXISTS (SELECT 1 FROM up WHERE id = $2)`, *u.ParentID, u.ID).Scan(&cycle)
			if err != nil {
				return err
			}
			if cycle {
				return org.ErrCycle
			}
		}
		tag, err := tx.Exec(ctx, `
			UPDATE units SET parent_id = $2, level = $3, code = $4, name = $5, active = $6, updated_at = $7 WHERE id = $1`,
			u.ID, u.ParentID, u.Level, u.Code, u.Name, u.Active, now)
		if err != nil {
			return constraintError(err)
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return AppendAudit(ctx, tx, e, now)
	})
	if err != nil {
		return org.Unit{}, fmt.Errorf("update unit %d: %w", u.ID, err)
	}
	return db.Unit(ctx, u.ID)
}

// UnitDependents implements org.Store.
func (db *DB) UnitDependents(ctx context.Context, id auth.UnitID) (children, halls, users int, err error) {
	err = db.Pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM units WHERE parent_id = $1 AND active),
		(SELECT count(*) FROM halls WHERE unit_id = $1 AND active),
		(SELECT count(*) FROM users WHERE unit_id = $1 AND active)`, id).Scan(&children, &halls, &users)
	return
}
