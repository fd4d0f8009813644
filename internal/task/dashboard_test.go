package task_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/task"
)

func TestDashboard(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	today := task.Date(2026, 12, 10)
	// Tasks written straight to the table so deadlines can lie in the past.
	ins := func(title string, unit auth.UnitID, deadline task.Day, completed *task.Day, cancelled bool) {
		t.Helper()
		var c any
		if completed != nil {
			c = completed.Time()
		}
		var cx any
		if cancelled {
			cx = time.Now()
		}
		if _, err := b.db.Pool.Exec(ctx, `INSERT INTO tasks (title, lead_unit_id, assigner_id, deadline, completed_on, cancelled_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, now(), now())`, title, unit, b.leader.UserID, deadline.Time(), c, cx); err != nil {
			t.Fatal(err)
		}
	}
	d := func(day int) *task.Day { v := task.Date(2026, 12, day); return &v }
	ins("a quá hạn", b.leadUnit, task.Date(2026, 12, 9), nil, false)
	ins("b trong hạn (hôm nay)", b.leadUnit, today, nil, false)
	ins("c đúng hạn", b.leadUnit, task.Date(2026, 12, 5), d(5), false)
	ins("d quá hạn đã xong", b.leadUnit, task.Date(2026, 12, 5), d(6), false)
	ins("e hủy", b.leadUnit, task.Date(2026, 12, 1), nil, true)
	ins("f quá hạn", b.coUnit, task.Date(2026, 12, 2), nil, false)
	ins("g quá hạn", b.coUnit, task.Date(2026, 12, 3), nil, false)

	rows, err := task.Dashboard(ctx, b.db, b.leader, task.ByUnit, task.Filter{}, today)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].ID != int64(b.coUnit) {
		t.Fatalf("rows %+v: want the unit with most overdue first", rows)
	}
	r := rows[1]
	if r.Overdue != 1 || r.InProgress != 1 || r.DoneOnTime != 1 || r.DoneLate != 1 || r.Cancelled != 1 || r.Total != 5 {
		t.Errorf("lead unit counts %+v", r.Counts)
	}
	if r.OnTimePercent == nil || *r.OnTimePercent < 33.3 || *r.OnTimePercent > 33.4 {
		t.Errorf("on-time percent %v, want 1/3", r.OnTimePercent)
	}
	// The SQL status agrees with Derive for every task.
	all, err := task.List(ctx, b.db, b.leader, task.Filter{Limit: 500}, today)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range task.Statuses {
		s := st
		got, err := task.List(ctx, b.db, b.leader, task.Filter{Status: &s}, today)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range got {
			if tk.Status != st {
				t.Errorf("SQL says %s, Derive says %s for %q", st, tk.Status, tk.Title)
			}
		}
	}
	if len(all) != 7 || all[0].Status != task.StatusOverdue || all[1].Status != task.StatusOverdue || all[2].Status != task.StatusOverdue {
		t.Errorf("drill-down not overdue first: %v", titles(all))
	}
	// Filters: unit subtree (the province root covers both), period.
	from, to := task.Date(2026, 12, 4), task.Date(2026, 12, 31)
	rows, _ = task.Dashboard(ctx, b.db, b.leader, task.ByUnit, task.Filter{From: &from, To: &to}, today)
	if len(rows) != 1 || rows[0].Total != 4 {
		t.Errorf("period filter: %+v", rows)
	}
	root := b.leader.UnitID
	rows, _ = task.Dashboard(ctx, b.db, b.leader, task.ByLeader, task.Filter{UnitID: &root}, today)
	if len(rows) != 1 || rows[0].Total != 7 || rows[0].Name != "chutich" {
		t.Errorf("by leader over the whole tree: %+v", rows)
	}
	// Bad input and roles.
	if _, err := task.Dashboard(ctx, b.db, b.lead, task.ByUnit, task.Filter{}, today); !errors.Is(err, task.ErrForbidden) {
		t.Errorf("a delegate saw the dashboard: %v", err)
	}
	// Someone without the dashboard lists only their unit's tasks, whatever
	// filter they send; a leader asking for their own gets what they assigned.
	for _, c := range []struct {
		who  *auth.Principal
		f    task.Filter
		want int
	}{{b.lead, task.Filter{}, 5}, {b.other, task.Filter{}, 2}, {b.other, task.Filter{UnitID: &root}, 2}, {b.leader, task.Filter{Concerning: task.Mine(b.leader)}, 7}} {
		got, err := task.List(ctx, b.db, c.who, c.f, today)
		if err != nil || len(got) != c.want {
			t.Errorf("%s lists %v (%v), want %d tasks", c.who.Username, titles(got), err, c.want)
		}
	}
	if _, err := task.Dashboard(ctx, b.db, b.leader, "hall", task.Filter{}, today); !fault.Is(err, fault.InvalidInput) {
		t.Errorf("by=hall: %v", err)
	}
	if _, err := task.Dashboard(ctx, b.db, b.leader, task.ByUnit, task.Filter{From: &to, To: &from}, today); !fault.Is(err, fault.InvalidInput) {
		t.Errorf("to before from: %v", err)
	}

	rows, _ = task.Dashboard(ctx, b.db, b.leader, task.ByUnit, task.Filter{}, today)
	x, err := task.ExportXLSX(rows, all, func(id int64) string {
		return map[int64]string{int64(b.leadUnit): "Sở Kế hoạch và Đầu tư"}[id]
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(x))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.GetCellValue(task.SheetSummary, "I1"); v != "Tỷ lệ đúng hạn (%)" {
		t.Errorf("summary header I1 %q", v)
	}
	// The same status terms as the screens (web/static/js/i18n/vi.js) and
	// the task sheet: the Government Office's "trong hạn / quá hạn / đúng hạn".
	for cell, want := range map[string]string{"C1": "Đang thực hiện, quá hạn", "D1": "Đang thực hiện, trong hạn",
		"E1": "Hoàn thành quá hạn", "F1": "Hoàn thành đúng hạn", "G1": "Đã hủy"} {
		if v, _ := f.GetCellValue(task.SheetSummary, cell); v != want {
			t.Errorf("summary header %s %q, want %q", cell, v, want)
		}
	}
	if v, _ := f.GetCellValue(task.SheetSummary, "B3"); v != "Sở Kế hoạch và Đầu tư" {
		t.Errorf("summary B3 %q", v)
	}
	if v, _ := f.GetCellValue(task.SheetTasks, "G2"); v != "Đang thực hiện, quá hạn" {
		t.Errorf("tasks G2 %q", v)
	}
}

func titles(ts []task.Task) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Title+"="+string(t.Status))
	}
	return out
}
