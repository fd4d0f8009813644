package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/task"
)

// taskStatusCase derives a task's status on day $1 with task.Derive's rule:
// cancelled; completed after the deadline; completed; past the deadline;
// else in progress; each branch yields out(status). TestDashboard keeps
// the SQL and Derive in step.
func taskStatusCase(out func(task.Status) string) string {
	return `CASE WHEN t.cancelled_at IS NOT NULL THEN ` + out(task.StatusCancelled) + `
	WHEN t.completed_on > t.deadline THEN ` + out(task.StatusDoneLate) + `
	WHEN t.completed_on IS NOT NULL THEN ` + out(task.StatusDoneOnTime) + `
	WHEN t.deadline < $1 THEN ` + out(task.StatusOverdue) + `
	ELSE ` + out(task.StatusInProgress) + ` END`
}

// taskStatusSQL is the status as its name, for filters and lists.
var taskStatusSQL = taskStatusCase(func(s task.Status) string { return "'" + string(s) + "'" })

// statusCode is a status's index in task.Statuses. The dashboard groups
// by the code, not the name: one hash aggregate over (key, small integer)
// instead of six FILTER comparisons of strings per row halves the time
// over 100k tasks.
func statusCode(s task.Status) int { return slices.Index(task.Statuses, s) }

var taskStatusCodeSQL = taskStatusCase(func(s task.Status) string { return strconv.Itoa(statusCode(s)) })

// taskWhere builds the filter's WHERE clause; args[0] is today.
func taskWhere(f task.Filter, today task.Day) (string, []any) {
	args := []any{today.Time()}
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	where := ` WHERE true`
	if f.MeetingID != nil {
		where += ` AND t.source_meeting_id = ` + arg(*f.MeetingID)
	}
	if f.Assigner != nil {
		where += ` AND t.assigner_id = ` + arg(*f.Assigner)
	}
	if f.From != nil {
		where += ` AND t.deadline >= ` + arg(f.From.Time())
	}
	if f.To != nil {
		where += ` AND t.deadline <= ` + arg(f.To.Time())
	}
	if f.UnitID != nil {
		where += ` AND t.lead_unit_id IN (WITH RECURSIVE sub AS (SELECT id FROM units WHERE id = ` + arg(*f.UnitID) + `
			UNION ALL SELECT u.id FROM units u JOIN sub ON u.parent_id = sub.id) SELECT id FROM sub)`
	}
	if c := f.Concerning; c != nil {
		u, p := arg(c.Unit), arg(c.User)
		where += ` AND (t.lead_unit_id = ` + u + ` OR t.assignee_id = ` + p + ` OR t.assigner_id = ` + p + `
			OR EXISTS (SELECT 1 FROM task_units x WHERE x.task_id = t.id AND x.unit_id = ` + u + `))`
	}
	if f.Status != nil {
		where += ` AND (` + taskStatusSQL + `) = ` + arg(string(*f.Status))
	}
	return where, args
}

// TaskDashboard implements task.DashboardStore.
func (db *DB) TaskDashboard(ctx context.Context, by string, f task.Filter, today task.Day) ([]task.Row, error) {
	where, args := taskWhere(f, today)
	key, name := `t.lead_unit_id`, `(SELECT name FROM units WHERE id = g.key)`
	if by == task.ByLeader {
		key, name = `t.assigner_id`, `(SELECT full_name FROM users WHERE id = g.key)`
	}
	count := func(st task.Status) string {
		return `coalesce(sum(n) FILTER (WHERE s = ` + strconv.Itoa(statusCode(st)) + `), 0)::int`
	}
	sql := `WITH c AS (SELECT key, s, count(*)::int AS n
			FROM (SELECT ` + key + ` AS key, ` + taskStatusCodeSQL + ` AS s FROM tasks t` + where + `) x
			GROUP BY 1, 2)
		SELECT g.key, ` + name + `, g.overdue, g.in_progress, g.done_late, g.done_on_time, g.cancelled, g.total
		FROM (SELECT key, ` + count(task.StatusOverdue) + ` AS overdue, ` + count(task.StatusInProgress) + ` AS in_progress,
			` + count(task.StatusDoneLate) + ` AS done_late, ` + count(task.StatusDoneOnTime) + ` AS done_on_time,
			` + count(task.StatusCancelled) + ` AS cancelled, sum(n)::int AS total
		FROM c GROUP BY key) g
		ORDER BY g.overdue DESC, g.in_progress DESC, 2`
	rows, err := db.Pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("task dashboard: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (task.Row, error) {
		var r task.Row
		err := row.Scan(&r.ID, &r.Name, &r.Overdue, &r.InProgress, &r.DoneLate, &r.DoneOnTime, &r.Cancelled, &r.Total)
		if due := r.DoneOnTime + r.DoneLate + r.Overdue; due > 0 {
			p := float64(r.DoneOnTime) * 100 / float64(due)
			r.OnTimePercent = &p
		}
		return r, err
	})
}

// TaskList implements task.DashboardStore: overdue first, then by deadline.
func (db *DB) TaskList(ctx context.Context, f task.Filter, today task.Day) ([]task.Task, error) {
	where, args := taskWhere(f, today)
	args = append(args, f.Limit, f.Offset)
	n := len(args)
	rows, err := db.Pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks t`+where+`
		ORDER BY (`+taskStatusSQL+`) = 'overdue' DESC, t.deadline, t.id LIMIT $`+strconv.Itoa(n-1)+` OFFSET $`+strconv.Itoa(n), args...)
	if err != nil {
		return nil, fmt.Errorf("task list: %w", err)
	}
	ts, err := pgx.CollectRows(rows, scanTask)
	for i := range ts {
		ts[i] = ts[i].WithStatus(today)
	}
	return ts, err
}

// UnitNames maps every unit's id to its name (180 rows in a province), for
// exports.
func (db *DB) UnitNames(ctx context.Context) (map[int64]string, error) {
	return db.names(ctx, "unit names", `SELECT id, name FROM units`)
}

// UserNames maps the given users' ids to their full names (the people a
// task names); unknown ids are left out.
func (db *DB) UserNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	return db.names(ctx, "user names", `SELECT id, full_name FROM users WHERE id = ANY($1)`, ids)
}

// names runs a query of (id, name) rows into a map.
func (db *DB) names(ctx context.Context, what, query string, args ...any) (map[int64]string, error) {
	rows, err := db.Pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out[id] = name
	}
	return out, rows.Err()
}
