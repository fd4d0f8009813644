package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/sso"
)

// SaveSSOLogin implements sso.Store.
func (db *DB) SaveSSOLogin(ctx context.Context, p sso.Pending, now time.Time) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sso_logins WHERE expires_at <= $1`, now); err != nil {
			return fmt.Errorf("drop expired sso logins: %w", err)
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO sso_logins (state_hash, browser_hash, nonce, pkce_verifier, return_to, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, p.StateHash, p.BrowserHash, p.Nonce, p.Verifier, p.ReturnTo, now, p.ExpiresAt)
		if err != nil {
			return fmt.Errorf("save sso login: %w", err)
		}
		return nil
	})
}

// TakeSSOLogin implements sso.Store: the row is deleted as it is read, so
// two callbacks with one state cannot both have it.
func (db *DB) TakeSSOLogin(ctx context.Context, stateHash []byte, now time.Time) (sso.Pending, error) {
	p := sso.Pending{StateHash: stateHash}
	err := db.Pool.QueryRow(ctx, `
		DELETE FROM sso_logins WHERE state_hash = $1
		RETURNING browser_hash, nonce, pkce_verifier, return_to, expires_at`, stateHash).
		Scan(&p.BrowserHash, &p.Nonce, &p.Verifier, &p.ReturnTo, &p.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !now.Before(p.ExpiresAt)) {
		return sso.Pending{}, fmt.Errorf("sso login: %w", ErrNotFound)
	}
	if err != nil {
		return sso.Pending{}, fmt.Errorf("take sso login: %w", err)
	}
	return p, nil
}

// AccountsByLink implements sso.Store.
func (db *DB) AccountsByLink(ctx context.Context, field, value string) ([]auth.Account, error) {
	var where string
	switch field {
	case config.LinkUsername:
		where, value = `username = $1`, auth.NormalizeUsername(value)
	case config.LinkEmail:
		where, value = `email <> '' AND lower(email) = lower($1)`, strings.TrimSpace(value)
	case config.LinkPersonalID:
		where = `personal_id = $1`
	default:
		return nil, fmt.Errorf("accounts by link: unknown field %q", field)
	}
	rows, err := db.Pool.Query(ctx, `SELECT `+accountColumns+` FROM users WHERE `+where+` ORDER BY id LIMIT 2`, value)
	if err != nil {
		return nil, fmt.Errorf("accounts by %s: %w", field, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (auth.Account, error) { return scanAccount(row) })
	if err != nil {
		return nil, fmt.Errorf("accounts by %s: %w", field, err)
	}
	return out, nil
}

// SaveSSOSession implements sso.Store.
func (db *DB) SaveSSOSession(ctx context.Context, s sso.Session, now time.Time) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sso_sessions WHERE expires_at <= $1`, now); err != nil {
			return fmt.Errorf("drop expired sso sessions: %w", err)
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO sso_sessions (family_id, user_id, subject, id_token, created_at, expires_at)
			SELECT family_id, $2, $3, $4, $5, $6 FROM refresh_tokens WHERE token_hash = $1
			ON CONFLICT (family_id) DO NOTHING`, s.RefreshHash, s.UserID, s.Subject, s.IDToken, now, s.ExpiresAt)
		if err != nil {
			return fmt.Errorf("save sso session: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("save sso session: refresh token: %w", ErrNotFound)
		}
		return nil
	})
}

// SSOSessionIDToken implements sso.Store.
func (db *DB) SSOSessionIDToken(ctx context.Context, refreshHash []byte) (string, error) {
	var tok string
	err := db.Pool.QueryRow(ctx, `
		SELECT s.id_token FROM sso_sessions s JOIN refresh_tokens r ON r.family_id = s.family_id
		WHERE r.token_hash = $1`, refreshHash).Scan(&tok)
	return tok, notFound(err, "sso session")
}
