package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
)

const accountColumns = `id, username, full_name, email, unit_id, password_hash, demo_password, active,
	failed_logins, locked_until, password_changed_at, must_change_password`

func scanAccount(row pgx.Row) (auth.Account, error) {
	var a auth.Account
	err := row.Scan(&a.ID, &a.Username, &a.FullName, &a.Email, &a.UnitID, &a.PasswordHash, &a.DemoPassword,
		&a.Active, &a.FailedLogins, &a.LockedUntil, &a.PasswordChangedAt, &a.MustChangePassword)
	return a, err
}

// AccountByUsername implements auth.Store.
func (db *DB) AccountByUsername(ctx context.Context, username string) (auth.Account, error) {
	a, err := scanAccount(db.Pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM users WHERE username = $1`, username))
	return a, notFound(err, "user "+username)
}

// AccountByID implements auth.Store.
func (db *DB) AccountByID(ctx context.Context, id auth.UserID) (auth.Account, error) {
	a, err := scanAccount(db.Pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM users WHERE id = $1`, id))
	return a, notFound(err, fmt.Sprintf("user %d", id))
}

// Grants implements auth.Store: the roles a user holds now.
func (db *DB) Grants(ctx context.Context, id auth.UserID) ([]auth.RoleGrant, error) {
	return grants(ctx, db.Pool, id)
}

func grants(ctx context.Context, q Querier, id auth.UserID) ([]auth.RoleGrant, error) {
	rows, err := q.Query(ctx, `
		SELECT role, scope_unit_id, hall_id FROM user_roles WHERE user_id = $1
		ORDER BY role, scope_unit_id NULLS FIRST, hall_id NULLS FIRST`, id)
	if err != nil {
		return nil, fmt.Errorf("load roles of user %d: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (auth.RoleGrant, error) {
		var g auth.RoleGrant
		err := row.Scan(&g.Role, &g.ScopeUnitID, &g.HallID)
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("load roles of user %d: %w", id, err)
	}
	return out, nil
}

// RecordLoginFailure implements auth.Store.
func (db *DB) RecordLoginFailure(ctx context.Context, id auth.UserID, max int, lockUntil time.Time, e audit.Entry, now time.Time) (bool, error) {
	var locked bool
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		var failures int
		err := tx.QueryRow(ctx, `
			UPDATE users SET failed_logins = failed_logins + 1,
				locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END,
				updated_at = $4
			WHERE id = $1 RETURNING failed_logins`, id, max, lockUntil, now).Scan(&failures)
		if err != nil {
			return fmt.Errorf("record login failure: %w", err)
		}
		if err := AppendAudit(ctx, tx, e, now); err != nil {
			return err
		}
		if failures >= max {
			locked = true
			// Counting restarts after the lock, so the next run of failures locks again.
			if _, err := tx.Exec(ctx, `UPDATE users SET failed_logins = 0 WHERE id = $1`, id); err != nil {
				return err
			}
			lock := e
			lock.Action = audit.ActionLoginLocked
			lock.Detail = map[string]any{"locked_until": lockUntil.UTC().Format(time.RFC3339)}
			return AppendAudit(ctx, tx, lock, now)
		}
		return nil
	})
	return locked, err
}

// RecordLoginSuccess implements auth.Store.
func (db *DB) RecordLoginSuccess(ctx context.Context, id auth.UserID, first auth.NewRefresh, e audit.Entry, now time.Time) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, id); err != nil {
			return fmt.Errorf("record login: %w", err)
		}
		if err := insertRefresh(ctx, tx, first, now); err != nil {
			return err
		}
		return AppendAudit(ctx, tx, e, now)
	})
}

// SetPassword implements auth.Store.
func (db *DB) SetPassword(ctx context.Context, id auth.UserID, hash string, e audit.Entry, now time.Time) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE users SET password_hash = $2, demo_password = false, must_change_password = false, password_changed_at = $3,
				failed_logins = 0, locked_until = NULL, updated_at = $3
			WHERE id = $1`, id, hash, now)
		if err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("set password of user %d: %w", id, ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, id, now); err != nil {
			return fmt.Errorf("revoke sessions: %w", err)
		}
		return AppendAudit(ctx, tx, e, now)
	})
}

// ActiveDemoAccounts counts active users still on a demo password;
// production refuses to start while there are any.
func (db *DB) ActiveDemoAccounts(ctx context.Context) (int, error) {
	var n int
	err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM users WHERE active AND demo_password`).Scan(&n)
	return n, err
}

// UpgradePasswordHash implements auth.Store. The old hash in the WHERE
// clause keeps a password changed meanwhile from being overwritten.
func (db *DB) UpgradePasswordHash(ctx context.Context, id auth.UserID, old, next string) error {
	if _, err := db.Pool.Exec(ctx, `UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2`, id, old, next); err != nil {
		return fmt.Errorf("upgrade password hash of user %d: %w", id, err)
	}
	return nil
}
