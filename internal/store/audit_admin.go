package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/org"
)

// AuditRows implements org.Store: audit rows newest first, filtered.
func (db *DB) AuditRows(ctx context.Context, f org.AuditFilter) ([]org.AuditRow, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	switch {
	case strings.HasSuffix(f.Action, "."):
		where = append(where, "action LIKE "+arg(escapeLike(f.Action)+"%"))
	case f.Action != "":
		where = append(where, "action = "+arg(f.Action))
	}
	if f.ObjectType != "" {
		where = append(where, "object_type = "+arg(f.ObjectType))
	}
	if f.ObjectID != "" {
		where = append(where, "object_id = "+arg(f.ObjectID))
	}
	if f.ActorID != nil {
		where = append(where, "actor_id = "+arg(int64(*f.ActorID)))
	}
	if f.Before > 0 {
		where = append(where, "id < "+arg(f.Before))
	}
	q := `SELECT id, at, actor_id, actor_name, action, object_type, object_id, detail::text, ip FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT " + arg(f.Limit)
	rows, err := db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit rows: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (org.AuditRow, error) {
		var r org.AuditRow
		var detail string
		err := row.Scan(&r.ID, &r.At, &r.ActorID, &r.ActorName, &r.Action, &r.ObjectType, &r.ObjectID, &detail, &r.IP)
		r.Detail = []byte(detail)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit rows: %w", err)
	}
	return out, nil
}
