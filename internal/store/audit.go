package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/audit"
)

// AppendAudit appends e to the audit log inside q (pass the transaction of
// the change being audited, so both commit or neither). Locking the head
// row orders concurrent appends; the chain never forks.
func AppendAudit(ctx context.Context, q Querier, e audit.Entry, at time.Time) error {
	detail, err := audit.CanonicalDetail(e.Detail)
	if err != nil {
		return err
	}
	var lastID int64
	var prev []byte
	if err := q.QueryRow(ctx, "SELECT last_id, last_hash FROM audit_head FOR UPDATE").Scan(&lastID, &prev); err != nil {
		return fmt.Errorf("audit: lock head: %w", err)
	}
	r := audit.Record{
		At: at.UTC().Truncate(time.Microsecond), ActorID: e.ActorID, ActorName: e.ActorName, Action: e.Action,
		ObjectType: e.ObjectType, ObjectID: e.ObjectID, Detail: detail, IP: e.IP, PrevHash: prev,
	}
	// The id is taken before hashing because the hash covers it.
	if err := q.QueryRow(ctx, "SELECT nextval(pg_get_serial_sequence('audit_log', 'id'))").Scan(&r.ID); err != nil {
		return fmt.Errorf("audit: next id: %w", err)
	}
	r.Hash = audit.Hash(prev, r)
	_, err = q.Exec(ctx, `
		INSERT INTO audit_log (id, at, actor_id, actor_name, action, object_type, object_id, detail, ip, prev_hash, hash)
		OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		r.ID, r.At, r.ActorID, r.ActorName, r.Action, r.ObjectType, r.ObjectID, string(detail), r.IP, r.PrevHash, r.Hash)
	if err != nil {
		return fmt.Errorf("audit: insert: %w", err)
	}
	if _, err := q.Exec(ctx, "UPDATE audit_head SET last_id = $1, last_hash = $2", r.ID, r.Hash); err != nil {
		return fmt.Errorf("audit: move head: %w", err)
	}
	return nil
}

// Audit appends one entry in its own transaction, for events that change
// nothing else (a failed login, a document read).
func (db *DB) Audit(ctx context.Context, e audit.Entry, at time.Time) error {
	return db.InTx(ctx, func(tx pgx.Tx) error { return AppendAudit(ctx, tx, e, at) })
}

// VerifyAudit walks the whole chain in id order. It returns the number of
// rows verified and the first breach, or nil when the chain holds. The
// head row must also match the last row, so deleting the newest rows is caught.
func (db *DB) VerifyAudit(ctx context.Context) (int64, *audit.Breach, error) {
	v := audit.NewVerifier()
	rows, err := db.Pool.Query(ctx, `
		SELECT id, at, actor_id, actor_name, action, object_type, object_id, detail::text, ip, prev_hash, hash
		FROM audit_log ORDER BY id`)
	if err != nil {
		return 0, nil, fmt.Errorf("audit verify: %w", err)
	}
	defer rows.Close()
	var breach *audit.Breach
	for rows.Next() {
		var r audit.Record
		var detail string
		if err := rows.Scan(&r.ID, &r.At, &r.ActorID, &r.ActorName, &r.Action, &r.ObjectType, &r.ObjectID, &detail, &r.IP, &r.PrevHash, &r.Hash); err != nil {
			return v.Count(), nil, fmt.Errorf("audit verify: scan: %w", err)
		}
		r.Detail = []byte(detail)
		if breach = v.Check(r); breach != nil {
			return v.Count(), breach, nil
		}
	}
	if err := rows.Err(); err != nil {
		return v.Count(), nil, fmt.Errorf("audit verify: %w", err)
	}
	var headID int64
	var headHash []byte
	if err := db.Pool.QueryRow(ctx, "SELECT last_id, last_hash FROM audit_head").Scan(&headID, &headHash); err != nil {
		return v.Count(), nil, fmt.Errorf("audit verify: head: %w", err)
	}
	if string(headHash) != string(v.Last()) {
		return v.Count(), &audit.Breach{ID: headID, Reason: "the newest rows were removed: the head names a row the log no longer ends with"}, nil
	}
	return v.Count(), nil, nil
}
