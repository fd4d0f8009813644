package task_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/pgtest"
	"github.com/cau-gov/cau/internal/search"
	"github.com/cau-gov/cau/internal/store"
	"github.com/cau-gov/cau/internal/task"
)

// seedLoad fills a database with the reference province's load: 180 units
// (province, 20 departments, 12 districts, 147 communes), 40 leaders and
// 100,000 tasks with Vietnamese titles, deadlines over two years and a mix
// of open, completed and cancelled.
func seedLoad(b *testing.B) (*store.DB, *auth.Principal) {
	b.Helper()
	db := pgtest.New(b)
	ctx := context.Background()
	for _, sql := range []string{
		`INSERT INTO units (level, code, name) VALUES ('province', 'ubnd', 'UBND tỉnh Lâm Đồng')`,
		`INSERT INTO units (parent_id, level, code, name) SELECT 1, 'department', 'so' || g, 'Sở số ' || g FROM generate_series(1, 20) g`,
		`INSERT INTO units (parent_id, level, code, name) SELECT 1, 'district', 'huyen' || g, 'Huyện số ' || g FROM generate_series(1, 12) g`,
		`INSERT INTO units (parent_id, level, code, name) SELECT 22 + (g % 12), 'commune', 'xa' || g, 'Xã số ' || g FROM generate_series(1, 147) g`,
		`INSERT INTO users (unit_id, username, full_name, password_hash) SELECT 1 + (g % 33), 'lanhdao' || g, 'Lãnh đạo ' || g, 'x' FROM generate_series(1, 40) g`,
		`INSERT INTO tasks (title, lead_unit_id, assigner_id, deadline, completed_on, cancelled_at, priority, created_at, updated_at)
		 SELECT (ARRAY['Xây dựng kế hoạch','Rà soát','Báo cáo tình hình','Triển khai','Kiểm tra'])[1 + g % 5] || ' ' ||
		        (ARRAY['giải ngân vốn đầu tư công','chuyển đổi số','cải cách hành chính','phòng chống thiên tai','xây dựng nông thôn mới','thu ngân sách'])[1 + (g / 5) % 6] ||
		        ' đợt ' || g,
		        1 + (g * 7919) % 180, 1 + g % 40, d,
		        CASE WHEN g % 3 = 0 THEN d + ((g % 11) - 5) END,
		        CASE WHEN g % 50 = 0 AND g % 3 <> 0 THEN now() END,
		        1 + g % 3, now(), now()
		 FROM generate_series(1, 100000) g, LATERAL (SELECT date '2026-01-01' + (g * 13) % 730 AS d) x`,
		`ANALYZE`,
	} {
		if _, err := db.Pool.Exec(ctx, sql); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}
	return db, &auth.Principal{UserID: 1, UnitID: 1, Grants: []auth.RoleGrant{{Role: auth.RoleChair}}}
}

// percentiles reports p50 and p99 of the iterations' durations.
func percentiles(b *testing.B, ds []time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(q float64) float64 { return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// BenchmarkLoad seeds once and measures the dashboard, the drill-down and
// search on it:
//
//	go test ./internal/task -run '^$' -bench Load -benchtime 200x
func BenchmarkLoad(b *testing.B) {
	db, leader := seedLoad(b)
	b.Run("dashboard", func(b *testing.B) { benchDashboard(b, db, leader) })
	b.Run("task_list", func(b *testing.B) { benchTaskList(b, db, leader) })
	b.Run("search", func(b *testing.B) { benchSearch(b, db, leader) })
	b.Run("search_vs_before", func(b *testing.B) { benchSearchBefore(b, db, leader) })
	b.Run("dashboard_vs_before", func(b *testing.B) { benchDashboardBefore(b, db, leader) })
}

// pair runs before and now alternately, so both see the same load, and
// reports both distributions.
func pair(b *testing.B, before, now func(i int) error) {
	var bs, ns []time.Duration
	for i := 0; b.Loop(); i++ {
		for k, f := range []func(int) error{before, now} {
			start := time.Now()
			if err := f(i); err != nil {
				b.Fatal(err)
			}
			if k == 0 {
				bs = append(bs, time.Since(start))
			} else {
				ns = append(ns, time.Since(start))
			}
		}
	}
	q := func(ds []time.Duration, at float64) float64 {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return float64(ds[int(at*float64(len(ds)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(q(bs, 0.5), "before-p50-ms")
	b.ReportMetric(q(bs, 0.99), "before-p99-ms")
	b.ReportMetric(q(ns, 0.5), "now-p50-ms")
	b.ReportMetric(q(ns, 0.99), "now-p99-ms")
}

// benchSearchBefore compares the task search with the shape it had before
// the pattern was folded in an InitPlan (LIKE vn_fold($1), re-evaluated
// per candidate row in the generic plan of the prepared statement).
func benchSearchBefore(b *testing.B, db *store.DB, leader *auth.Principal) {
	ctx := context.Background()
	svc := search.NewService(db)
	queries := []string{"ke hoach", "chuyen doi so", "giải ngân", "thien tai dot 4711", "nong thon moi"}
	before := func(i int) error {
		rows, err := db.Pool.Query(ctx, `SELECT 'task', t.id, t.title, t.source_meeting_id FROM tasks t
			WHERE t.title_fold LIKE vn_fold($1)
			AND ($3 OR t.assigner_id = $4 OR t.assignee_id = $4 OR t.lead_unit_id = $5
				OR EXISTS (SELECT 1 FROM task_units tu WHERE tu.task_id = t.id AND tu.unit_id = $5))
			ORDER BY t.deadline DESC, t.id DESC LIMIT $2`, "%"+queries[i%len(queries)]+"%", 20, true, leader.UserID, leader.UnitID)
		if err != nil {
			return err
		}
		rows.Close()
		return rows.Err()
	}
	now := func(i int) error {
		_, err := svc.Search(ctx, leader, queries[i%len(queries)], []string{search.KindTask}, 20)
		return err
	}
	pair(b, before, now)
}

// benchDashboardBefore compares the dashboard with its earlier shape: the
// status as text per row and six FILTER counts comparing strings.
func benchDashboardBefore(b *testing.B, db *store.DB, leader *auth.Principal) {
	ctx := context.Background()
	today := task.Date(2026, 11, 23)
	before := func(int) error {
		rows, err := db.Pool.Query(ctx, `SELECT g.key, (SELECT name FROM units WHERE id = g.key), g.overdue, g.in_progress, g.total
			FROM (SELECT t.lead_unit_id AS key,
				count(*) FILTER (WHERE s = 'overdue') AS overdue, count(*) FILTER (WHERE s = 'in_progress') AS in_progress,
				count(*) FILTER (WHERE s = 'done_late') AS done_late, count(*) FILTER (WHERE s = 'done_on_time') AS done_on_time,
				count(*) FILTER (WHERE s = 'cancelled') AS cancelled, count(*) AS total
			FROM (SELECT t.lead_unit_id, CASE WHEN t.cancelled_at IS NOT NULL THEN 'cancelled'
				WHEN t.completed_on > t.deadline THEN 'done_late' WHEN t.completed_on IS NOT NULL THEN 'done_on_time'
				WHEN t.deadline < $1 THEN 'overdue' ELSE 'in_progress' END AS s FROM tasks t WHERE true) t
			GROUP BY 1) g ORDER BY g.overdue DESC, g.in_progress DESC, 2`, today.Time())
		if err != nil {
			return err
		}
		rows.Close()
		return rows.Err()
	}
	now := func(int) error {
		_, err := task.Dashboard(ctx, db, leader, task.ByUnit, task.Filter{}, today)
		return err
	}
	pair(b, before, now)
}

func benchDashboard(b *testing.B, db *store.DB, leader *auth.Principal) {
	ctx := context.Background()
	today := task.Date(2026, 11, 23)
	from, to := task.Date(2026, 1, 1), task.Date(2026, 12, 31)
	district := auth.UnitID(22)
	filters := []task.Filter{{}, {From: &from, To: &to}, {UnitID: &district}}
	var ds []time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if _, err := task.Dashboard(ctx, db, leader, task.ByUnit, filters[i%len(filters)], today); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	percentiles(b, ds)
}

func benchTaskList(b *testing.B, db *store.DB, leader *auth.Principal) {
	ctx := context.Background()
	today := task.Date(2026, 11, 23)
	district := auth.UnitID(22)
	var ds []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := task.List(ctx, db, leader, task.Filter{UnitID: &district, Limit: 50}, today); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	percentiles(b, ds)
}

func benchSearch(b *testing.B, db *store.DB, leader *auth.Principal) {
	ctx := context.Background()
	svc := search.NewService(db)
	queries := []string{"ke hoach", "chuyen doi so", "giải ngân", "thien tai dot 4711", "nong thon moi"}
	var ds []time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		res, err := svc.Search(ctx, leader, queries[i%len(queries)], []string{search.KindTask}, 20)
		if err != nil || len(res) == 0 {
			b.Fatalf("search: %d results, %v", len(res), err)
		}
		ds = append(ds, time.Since(start))
	}
	percentiles(b, ds)
}
