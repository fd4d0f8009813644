package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/task"
)

// OpenTasksDueBy implements task.NoticeStore. The unit's recipients are the
// named person, or else the active users of the lead unit.
func (db *DB) OpenTasksDueBy(ctx context.Context, day task.Day) ([]task.OpenTask, error) {
	rows, err := db.Pool.Query(ctx, `SELECT t.id, t.title, t.deadline, t.assigner_id,
			CASE WHEN t.assignee_id IS NOT NULL THEN ARRAY[t.assignee_id]
			     ELSE coalesce((SELECT array_agg(u.id ORDER BY u.id) FROM users u WHERE u.unit_id = t.lead_unit_id AND u.active), '{}') END
		FROM tasks t
		WHERE t.completed_on IS NULL AND t.cancelled_at IS NULL AND t.deadline <= $1
		ORDER BY t.deadline, t.id`, day.Time())
	if err != nil {
		return nil, fmt.Errorf("list open tasks: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (task.OpenTask, error) {
		var t task.OpenTask
		var deadline time.Time
		var unit []int64
		err := row.Scan(&t.ID, &t.Title, &deadline, &t.Assigner, &unit)
		t.Deadline = task.FromTime(deadline)
		for _, u := range unit {
			t.Unit = append(t.Unit, auth.UserID(u))
		}
		return t, err
	})
}

// DeliverTaskNotices implements task.NoticeStore: one transaction for the
// batch; a notice is written only when its task_notices row is new, and the
// notification and e-mail rows carry the same dedup key.
func (db *DB) DeliverTaskNotices(ctx context.Context, ns []task.Notice, now time.Time) (int, error) {
	sent := 0
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		sent = 0
		for _, n := range ns {
			tag, err := tx.Exec(ctx, `INSERT INTO task_notices (kind, task_id, recipient, on_day, sent_at)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, n.Kind, n.TaskID, n.Recipient, n.OnDay.Time(), now)
			if err != nil {
				return fmt.Errorf("record notice: %w", err)
			}
			if tag.RowsAffected() == 0 {
				continue
			}
			key := n.DedupKey()
			link := "/tasks"
			if n.TaskID != 0 {
				link = fmt.Sprintf("/tasks/%d", n.TaskID)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, kind, title, body, dedup_key, created_at, link)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedup_key) DO NOTHING`, n.Recipient, n.Kind, n.Title, n.Body, key, now, link); err != nil {
				return fmt.Errorf("write notification: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO email_outbox (dedup_key, user_id, to_addr, subject, body, created_at)
				SELECT $1, u.id, u.email, $3, $4, $5 FROM users u WHERE u.id = $2 AND u.email <> '' AND u.active
				ON CONFLICT (dedup_key) DO NOTHING`, key, n.Recipient, n.Title, n.Body, now); err != nil {
				return fmt.Errorf("queue e-mail: %w", err)
			}
			sent++
		}
		return nil
	})
	return sent, err
}
