package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
)

func newFamilyID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // UUID version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func insertRefresh(ctx context.Context, q Querier, r auth.NewRefresh, now time.Time) error {
	if r.FamilyID == "" {
		r.FamilyID = newFamilyID()
	}
	if r.SessionStart.IsZero() {
		r.SessionStart = now
	}
	_, err := q.Exec(ctx, `
		INSERT INTO refresh_tokens (user_id, family_id, token_hash, created_at, expires_at, user_agent, ip, session_started_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, r.UserID, r.FamilyID, r.Hash, now, r.ExpiresAt, r.UserAgent, r.IP, r.SessionStart)
	if err != nil {
		return fmt.Errorf("store refresh token: %w", err)
	}
	return nil
}

// RotateRefresh implements auth.Store. The row is locked so that two
// concurrent refreshes with the same token cannot both succeed: the second
// sees it used and revokes the family, as a stolen copy would. The token's
// created_at is the family's last activity (it was issued by the last
// login or refresh), session_started_at the login's time.
func (db *DB) RotateRefresh(ctx context.Context, hash []byte, next auth.NewRefresh, limits auth.SessionLimits, now time.Time) (auth.UserID, auth.NewRefresh, error) {
	var uid auth.UserID
	var reused bool
	var ended error
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		var id int64
		var family string
		var created, started, expires time.Time
		var used, revoked *time.Time
		err := tx.QueryRow(ctx, `
			SELECT id, user_id, family_id::text, created_at, session_started_at, expires_at, used_at, revoked_at
			FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`, hash).Scan(&id, &uid, &family, &created, &started, &expires, &used, &revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: unknown refresh token", auth.ErrInvalidToken)
		}
		if err != nil {
			return fmt.Errorf("rotate refresh token: %w", err)
		}
		switch {
		case revoked != nil:
			return fmt.Errorf("%w: refresh token revoked", auth.ErrInvalidToken)
		case used != nil:
			// Reuse: someone holds a copy. Revoke the family, and commit that.
			if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL`, family, now); err != nil {
				return fmt.Errorf("revoke family: %w", err)
			}
			reused = true
			return nil
		}
		if ended = limits.Check(started, created, now); ended != nil {
			// Idle or too old: the sign-in is over, and that is committed
			// so that no later refresh of the family succeeds.
			if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL`, family, now); err != nil {
				return fmt.Errorf("end sign-in: %w", err)
			}
			return nil
		}
		if !now.Before(expires) {
			return fmt.Errorf("%w: refresh token expired", auth.ErrInvalidToken)
		}
		if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET used_at = $2 WHERE id = $1`, id, now); err != nil {
			return fmt.Errorf("spend refresh token: %w", err)
		}
		next.UserID, next.FamilyID, next.SessionStart = uid, family, started
		next.ExpiresAt = limits.End(started, next.ExpiresAt)
		return insertRefresh(ctx, tx, next, now)
	})
	switch {
	case err != nil:
		return 0, auth.NewRefresh{}, err
	case reused:
		return uid, auth.NewRefresh{}, auth.ErrTokenReused
	case ended != nil:
		return uid, auth.NewRefresh{}, ended
	}
	return uid, next, nil
}

// RevokeRefreshFamily implements auth.Store.
func (db *DB) RevokeRefreshFamily(ctx context.Context, hash []byte, e audit.Entry, now time.Time) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE refresh_tokens SET revoked_at = $2
			WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`, hash, now)
		if err != nil {
			return fmt.Errorf("revoke refresh family: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil // unknown or already revoked: logout is idempotent
		}
		return AppendAudit(ctx, tx, e, now)
	})
}
