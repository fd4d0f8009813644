package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/task"
)

// taskColumns are selected by every task query, in scanTask's order.
const taskColumns = `t.id, t.title, t.description, t.source_meeting_id, t.source_conclusion, coalesce(t.source_document, ''),
	t.lead_unit_id, coalesce((SELECT array_agg(unit_id ORDER BY unit_id) FROM task_units WHERE task_id = t.id), '{}'),
	t.assignee_id, t.assigner_id, t.deadline, t.priority, t.percent, t.completed_on, t.cancelled_at, t.created_at, t.updated_at`

func scanTask(row pgx.CollectableRow) (task.Task, error) {
	var (
		t         task.Task
		deadline  time.Time
		completed *time.Time
		coord     []int64
		conc      *int32
	)
	err := row.Scan(&t.ID, &t.Title, &t.Description, &t.Source.MeetingID, &conc, &t.Source.Document,
		&t.LeadUnit, &coord, &t.Assignee, &t.Assigner, &deadline, &t.Priority, &t.Percent, &completed,
		&t.CancelledAt, &t.CreatedAt, &t.UpdatedAt)
	if err != nil {
		return t, err
	}
	if conc != nil {
		c := int(*conc)
		t.Source.Conclusion = &c
	}
	t.Deadline = task.FromTime(deadline)
	if completed != nil {
		d := task.FromTime(*completed)
		t.CompletedOn = &d
	}
	t.Coordinating = make([]auth.UnitID, len(coord))
	for i, u := range coord {
		t.Coordinating[i] = auth.UnitID(u)
	}
	return t, nil
}

// CreateTasks implements task.Store: every task, its audit row and its
// assignment notices in one transaction.
func (db *DB) CreateTasks(ctx context.Context, ts []task.Task, es []audit.Entry, now time.Time) ([]task.Task, error) {
	out := make([]task.Task, len(ts))
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		for i, t := range ts {
			t, err := insertTask(ctx, tx, t, now)
			if err != nil {
				return fmt.Errorf("task %d of %d: %w", i+1, len(ts), err)
			}
			e := es[i]
			e.ObjectID = strconv.FormatInt(int64(t.ID), 10)
			if err := AppendAudit(ctx, tx, e, now); err != nil {
				return err
			}
			if err := notifyAssigned(ctx, tx, t, now); err != nil {
				return err
			}
			out[i] = t
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// notifyAssigned tells the named person, or else the lead unit's active
// users, of a new task: in-app and an outbox e-mail, keyed per task and
// person. The hourly notices job enqueues pending e-mails.
func notifyAssigned(ctx context.Context, tx pgx.Tx, t task.Task, now time.Time) error {
	title := "Nhiệm vụ mới: " + t.Title
	body := "Đơn vị được giao chủ trì nhiệm vụ \"" + t.Title + "\", hạn " + t.Deadline.VN() + "."
	key := fmt.Sprintf("task.assigned:%d:", t.ID)
	const who = `SELECT u.id, u.email FROM users u WHERE u.active AND
		(u.id = $1 OR ($1::bigint IS NULL AND u.unit_id = $2))`
	if _, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, kind, title, body, dedup_key, created_at, link)
		SELECT r.id, 'task.assigned', $3, $4, $5 || r.id, $6, $7 FROM (`+who+`) r
		ON CONFLICT (dedup_key) DO NOTHING`, t.Assignee, t.LeadUnit, title, body, key, now, fmt.Sprintf("/tasks/%d", t.ID)); err != nil {
		return fmt.Errorf("notify assignment: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO email_outbox (dedup_key, user_id, to_addr, subject, body, created_at)
		SELECT $5 || r.id, r.id, r.email, $3, $4, $6 FROM (`+who+`) r WHERE r.email <> ''
		ON CONFLICT (dedup_key) DO NOTHING`, t.Assignee, t.LeadUnit, title, body, key, now); err != nil {
		return fmt.Errorf("e-mail assignment: %w", err)
	}
	return nil
}

// insertTask writes a task and its coordinating units in q.
func insertTask(ctx context.Context, q Querier, t task.Task, now time.Time) (task.Task, error) {
	var doc *string
	if t.Source.Document != "" {
		doc = &t.Source.Document
	}
	err := q.QueryRow(ctx, `INSERT INTO tasks (title, description, source_meeting_id, source_conclusion, source_document,
			lead_unit_id, assignee_id, assigner_id, deadline, priority, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
		t.Title, t.Description, t.Source.MeetingID, t.Source.Conclusion, doc, t.LeadUnit, t.Assignee, t.Assigner,
		t.Deadline.Time(), t.Priority, now).Scan(&t.ID)
	if err != nil {
		return t, fmt.Errorf("insert task: %w", constraintError(err))
	}
	for _, u := range t.Coordinating {
		if _, err := q.Exec(ctx, `INSERT INTO task_units (task_id, unit_id) VALUES ($1, $2)`, t.ID, u); err != nil {
			return t, fmt.Errorf("insert coordinating unit: %w", constraintError(err))
		}
	}
	t.CreatedAt, t.UpdatedAt = now, now
	return t, nil
}

// Task implements task.Store.
func (db *DB) Task(ctx context.Context, id task.ID) (task.Task, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks t WHERE t.id = $1`, id)
	if err != nil {
		return task.Task{}, fmt.Errorf("get task: %w", err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanTask)
	if err != nil {
		return t, notFound(err, fmt.Sprintf("task %d", id))
	}
	return t, nil
}

// openTaskForUpdate locks an open task's row, or returns task.ErrState.
func openTaskForUpdate(ctx context.Context, tx pgx.Tx, id task.ID) (time.Time, error) {
	var deadline time.Time
	err := tx.QueryRow(ctx, `SELECT deadline FROM tasks WHERE id = $1 AND completed_on IS NULL AND cancelled_at IS NULL FOR UPDATE`, id).Scan(&deadline)
	if err == pgx.ErrNoRows {
		return deadline, fmt.Errorf("task %d is no longer open: %w", id, task.ErrState)
	}
	return deadline, err
}

// AddTaskReport implements task.Store; the task's percent follows the report.
func (db *DB) AddTaskReport(ctx context.Context, r task.Report, e audit.Entry) (task.Report, error) {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := openTaskForUpdate(ctx, tx, r.TaskID); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO task_reports (task_id, author_id, body, percent, document_ids, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, r.TaskID, r.AuthorID, r.Body, r.Percent, r.Documents, r.CreatedAt).Scan(&r.ID)
		if err != nil {
			return fmt.Errorf("insert report: %w", constraintError(err))
		}
		if _, err := tx.Exec(ctx, `UPDATE tasks SET percent = $2, updated_at = $3 WHERE id = $1`, r.TaskID, r.Percent, r.CreatedAt); err != nil {
			return err
		}
		return AppendAudit(ctx, tx, e, r.CreatedAt)
	})
	return r, err
}

// TaskReports lists a task's reports, oldest first.
func (db *DB) TaskReports(ctx context.Context, id task.ID) ([]task.Report, error) {
	rows, err := db.Pool.Query(ctx, `SELECT id, task_id, author_id, body, percent, document_ids, created_at
		FROM task_reports WHERE task_id = $1 ORDER BY created_at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[task.Report])
}

const extensionColumns = `id, task_id, requested_by, old_deadline, new_deadline, reason, status, decided_by, decided_at, created_at`

func scanExtension(row pgx.CollectableRow) (task.Extension, error) {
	var x task.Extension
	var oldD, newD time.Time
	err := row.Scan(&x.ID, &x.TaskID, &x.RequestedBy, &oldD, &newD, &x.Reason, &x.Status, &x.DecidedBy, &x.DecidedAt, &x.CreatedAt)
	x.OldDeadline, x.NewDeadline = task.FromTime(oldD), task.FromTime(newD)
	return x, err
}

// AddTaskExtension implements task.Store; one pending request per task.
func (db *DB) AddTaskExtension(ctx context.Context, x task.Extension, e audit.Entry) (task.Extension, error) {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := openTaskForUpdate(ctx, tx, x.TaskID); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO task_extensions (task_id, requested_by, old_deadline, new_deadline, reason, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, x.TaskID, x.RequestedBy, x.OldDeadline.Time(), x.NewDeadline.Time(), x.Reason, x.CreatedAt).Scan(&x.ID)
		if err != nil {
			err = constraintError(err)
			if isConflict(err) {
				return fmt.Errorf("an extension request is already pending: %w", task.ErrState)
			}
			return fmt.Errorf("insert extension: %w", err)
		}
		return AppendAudit(ctx, tx, e, x.CreatedAt)
	})
	return x, err
}

// TaskExtension implements task.Store.
func (db *DB) TaskExtension(ctx context.Context, id int64) (task.Extension, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+extensionColumns+` FROM task_extensions WHERE id = $1`, id)
	if err != nil {
		return task.Extension{}, fmt.Errorf("get extension: %w", err)
	}
	x, err := pgx.CollectExactlyOneRow(rows, scanExtension)
	if err != nil {
		return x, notFound(err, fmt.Sprintf("extension %d", id))
	}
	return x, nil
}

// TaskExtensions lists a task's extension history, oldest first.
func (db *DB) TaskExtensions(ctx context.Context, id task.ID) ([]task.Extension, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+extensionColumns+` FROM task_extensions WHERE task_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("list extensions: %w", err)
	}
	return pgx.CollectRows(rows, scanExtension)
}

// DecideTaskExtension implements task.Store: the request is decided once;
// an approval moves the task's deadline in the same transaction.
func (db *DB) DecideTaskExtension(ctx context.Context, id int64, approve bool, by auth.UserID, e audit.Entry, now time.Time) (task.Extension, error) {
	var x task.Extension
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		status := task.ExtensionRefused
		if approve {
			status = task.ExtensionApproved
		}
		rows, err := tx.Query(ctx, `UPDATE task_extensions SET status = $2, decided_by = $3, decided_at = $4
			WHERE id = $1 AND status = 'pending' RETURNING `+extensionColumns, id, status, by, now)
		if err != nil {
			return err
		}
		x, err = pgx.CollectExactlyOneRow(rows, scanExtension)
		if err == pgx.ErrNoRows {
			return fmt.Errorf("extension %d was already decided: %w", id, task.ErrState)
		} else if err != nil {
			return err
		}
		if _, err := openTaskForUpdate(ctx, tx, x.TaskID); err != nil {
			return err
		}
		if approve {
			if _, err := tx.Exec(ctx, `UPDATE tasks SET deadline = $2, updated_at = $3 WHERE id = $1`, x.TaskID, x.NewDeadline.Time(), now); err != nil {
				return err
			}
		}
		return AppendAudit(ctx, tx, e, now)
	})
	return x, err
}

// CompleteTask implements task.Store.
func (db *DB) CompleteTask(ctx context.Context, id task.ID, on task.Day, e audit.Entry, now time.Time) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := openTaskForUpdate(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tasks SET completed_on = $2, percent = 100, updated_at = $3 WHERE id = $1`, id, on.Time(), now); err != nil {
			return err
		}
		return AppendAudit(ctx, tx, e, now)
	})
}

// CancelTask implements task.Store.
func (db *DB) CancelTask(ctx context.Context, id task.ID, e audit.Entry, now time.Time) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := openTaskForUpdate(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tasks SET cancelled_at = $2, updated_at = $2 WHERE id = $1`, id, now); err != nil {
			return err
		}
		return AppendAudit(ctx, tx, e, now)
	})
}

// isConflict reports a unique violation mapped by constraintError.
func isConflict(err error) bool { return errors.Is(err, ErrConflict) }
