package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/minutes"
	"github.com/cau-gov/cau/internal/org"
)

// Signature implements org.Store.
func (db *DB) Signature(ctx context.Context, unit auth.UnitID) (org.Signature, error) {
	var s org.Signature
	err := db.Pool.QueryRow(ctx, `SELECT unit_id, authority, title, signer_name, updated_at FROM unit_signatures WHERE unit_id = $1`, unit).
		Scan(&s.UnitID, &s.Authority, &s.Title, &s.SignerName, &s.UpdatedAt)
	return s, notFound(err, fmt.Sprintf("signature of unit %d", unit))
}

// SaveSignature implements org.Store.
func (db *DB) SaveSignature(ctx context.Context, unit auth.UnitID, sig *org.Signature, e audit.Entry, now time.Time) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		if sig == nil {
			tag, err := tx.Exec(ctx, `DELETE FROM unit_signatures WHERE unit_id = $1`, unit)
			if err != nil {
				return fmt.Errorf("remove signature of unit %d: %w", unit, err)
			}
			if tag.RowsAffected() == 0 {
				return fmt.Errorf("signature of unit %d: %w", unit, ErrNotFound)
			}
		} else {
			_, err := tx.Exec(ctx, `
				INSERT INTO unit_signatures (unit_id, authority, title, signer_name, updated_at, updated_by)
				VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (unit_id) DO UPDATE SET authority = EXCLUDED.authority, title = EXCLUDED.title,
					signer_name = EXCLUDED.signer_name, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
				unit, sig.Authority, sig.Title, sig.SignerName, now, e.ActorID)
			if err != nil {
				return fmt.Errorf("save signature of unit %d: %w", unit, constraintError(err))
			}
		}
		return AppendAudit(ctx, tx, e, now)
	})
}

// NoticeSignature implements minutes.Store: the block of the unit or of
// its nearest ancestor that has one.
func (db *DB) NoticeSignature(ctx context.Context, unit auth.UnitID) (minutes.Signature, bool, error) {
	var s minutes.Signature
	err := db.Pool.QueryRow(ctx, `
		WITH RECURSIVE up AS (
			SELECT id, parent_id, 0 AS depth FROM units WHERE id = $1
			UNION ALL
			SELECT u.id, u.parent_id, up.depth + 1 FROM units u JOIN up ON u.id = up.parent_id
		)
		SELECT s.authority, s.title, s.signer_name FROM up JOIN unit_signatures s ON s.unit_id = up.id
		ORDER BY up.depth LIMIT 1`, unit).Scan(&s.Authority, &s.Title, &s.Name)
	if errors.Is(err, pgx.ErrNoRows) {
		return minutes.Signature{}, false, nil
	}
	if err != nil {
		return minutes.Signature{}, false, fmt.Errorf("notice signature of unit %d: %w", unit, err)
	}
	return s, true, nil
}
