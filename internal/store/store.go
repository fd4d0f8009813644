// Package store is Cầu's PostgreSQL storage, written by hand with pgx v5:
// one file per aggregate, each query next to its scan. It implements the
// store interfaces that the domain packages declare, and is the one place
// that turns pgx.ErrNoRows into ErrNotFound.
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the connection pool and every store method.
type DB struct {
	Pool *pgxpool.Pool
}

// Open connects to databaseURL and checks the connection.
func Open(ctx context.Context, databaseURL string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "cau"
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	cfg.PrepareConn = alive
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return &DB{Pool: pool}, nil
}

// Close closes the pool.
func (db *DB) Close() { db.Pool.Close() }

// Querier is what both the pool and a transaction offer; store functions
// that may run inside a caller's transaction take one.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// InTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise. It is the one way store code opens transactions. A BEGIN
// that fails on a connection that was already dead is tried once more on
// another (see liveness.go); fn has not run then.
func (db *DB) InTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, retryBegin{db.Pool}, fn)
}

// retryBegin begins on the pool, once more when the first connection was dead.
type retryBegin struct{ pool *pgxpool.Pool }

func (r retryBegin) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := r.pool.Begin(ctx)
	if deadConn(err) {
		tx, err = r.pool.Begin(ctx)
	}
	return tx, err
}

// notFound turns pgx.ErrNoRows into ErrNotFound naming what was looked for.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return err
}

// constraintError maps PostgreSQL constraint violations to store errors so
// the HTTP layer answers 409/422 instead of 500.
func constraintError(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case "23505": // unique_violation
		return fmt.Errorf("%w: %s", ErrConflict, pgErr.ConstraintName)
	case "23503": // foreign_key_violation
		return fmt.Errorf("%w: %s", ErrReferenced, pgErr.ConstraintName)
	case "23514", "22001", "22P02": // check_violation, string too long, invalid text
		return fmt.Errorf("%w: %s", ErrInvalid, pgErr.ConstraintName)
	}
	return err
}
