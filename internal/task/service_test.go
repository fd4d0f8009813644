package task_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/pgtest"
	"github.com/cau-gov/cau/internal/store"
	"github.com/cau-gov/cau/internal/task"
	"github.com/cau-gov/cau/internal/vntime"
)

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time                   { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)                  { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func hcm(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, vntime.Zone) }

type bundle struct {
	db       *store.DB
	svc      *task.Service
	clock    *clock
	leader   *auth.Principal // chair who assigns
	lead     *auth.Principal // member of the lead unit
	lead2    auth.UserID     // another member of the lead unit
	other    *auth.Principal // member of an unrelated unit
	leadUnit auth.UnitID
	coUnit   auth.UnitID
}

func setup(t *testing.T) bundle {
	t.Helper()
	db := pgtest.New(t)
	ctx := context.Background()
	var root, sokh, sotc auth.UnitID
	q := func(sql string, dst any, args ...any) {
		t.Helper()
		if err := db.Pool.QueryRow(ctx, sql, args...).Scan(dst); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	q(`INSERT INTO units (level, code, name) VALUES ('province', 'ubnd', 'UBND tỉnh') RETURNING id`, &root)
	q(`INSERT INTO units (parent_id, level, code, name) VALUES ($1, 'department', 'skhdt', 'Sở Kế hoạch và Đầu tư') RETURNING id`, &sokh, root)
	q(`INSERT INTO units (parent_id, level, code, name) VALUES ($1, 'department', 'stc', 'Sở Tài chính') RETURNING id`, &sotc, root)
	user := func(unit auth.UnitID, name, email string) auth.UserID {
		var id auth.UserID
		q(`INSERT INTO users (unit_id, username, full_name, email, password_hash) VALUES ($1, $2, $2, $3, 'x') RETURNING id`, &id, unit, name, email)
		return id
	}
	chair := user(root, "chutich", "chutich@example.vn")
	a1 := user(sokh, "kh1", "kh1@example.vn")
	a2 := user(sokh, "kh2", "")
	o := user(sotc, "tc1", "")
	c := &clock{t: hcm(2026, 12, 1, 9)}
	return bundle{
		db: db, clock: c,
		svc:      task.NewService(db, c.Now, slog.New(slog.NewTextHandler(io.Discard, nil))),
		leader:   &auth.Principal{UserID: chair, Username: "chutich", UnitID: root, Grants: []auth.RoleGrant{{Role: auth.RoleChair}}},
		lead:     &auth.Principal{UserID: a1, Username: "kh1", UnitID: sokh, Grants: []auth.RoleGrant{{Role: auth.RoleDelegate}}},
		lead2:    a2,
		other:    &auth.Principal{UserID: o, Username: "tc1", UnitID: sotc, Grants: []auth.RoleGrant{{Role: auth.RoleDelegate}}},
		leadUnit: sokh, coUnit: sotc,
	}
}

func count(t *testing.T, db *store.DB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestTaskLifecycle(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	good := task.New{Title: "Hoàn thiện dự thảo Kế hoạch phát triển kinh tế - xã hội năm 2027", LeadUnit: b.leadUnit,
		Coordinating: []auth.UnitID{b.coUnit}, Deadline: task.Date(2026, 12, 15)}

	t.Run("bad input changes nothing", func(t *testing.T) {
		for name, n := range map[string]task.New{
			"no title":         {LeadUnit: b.leadUnit, Deadline: good.Deadline},
			"past deadline":    {Title: "x", LeadUnit: b.leadUnit, Deadline: task.Date(2026, 11, 30)},
			"no unit":          {Title: "x", Deadline: good.Deadline},
			"lead coordinates": {Title: "x", LeadUnit: b.leadUnit, Coordinating: []auth.UnitID{b.leadUnit}, Deadline: good.Deadline},
			"priority 9":       {Title: "x", LeadUnit: b.leadUnit, Deadline: good.Deadline, Priority: 9},
			"conclusion alone": {Title: "x", LeadUnit: b.leadUnit, Deadline: good.Deadline, Source: task.Source{Conclusion: new(int)}},
		} {
			_, err := b.svc.Create(ctx, b.leader, n)
			var ve *fault.Invalid
			if !errors.As(err, &ve) || len(ve.Fields) == 0 {
				t.Errorf("%s: got %v, want a fault.Invalid naming fields", name, err)
			}
		}
		if _, err := b.svc.Create(ctx, b.lead, good); !errors.Is(err, task.ErrForbidden) {
			t.Errorf("a delegate assigned a task: %v", err)
		}
		bad := good
		bad.LeadUnit = 99999
		if _, err := b.svc.Create(ctx, b.leader, bad); !errors.Is(err, store.ErrReferenced) {
			t.Errorf("unknown unit: got %v, want ErrReferenced", err)
		}
		if n := count(t, b.db, `SELECT count(*) FROM tasks`); n != 0 {
			t.Fatalf("refused creations left %d tasks", n)
		}
	})

	tk, err := b.svc.Create(ctx, b.leader, good)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if tk.Status != task.StatusInProgress || tk.Assigner != b.leader.UserID || len(tk.Coordinating) != 1 {
		t.Fatalf("created %+v", tk)
	}
	if n := count(t, b.db, `SELECT count(*) FROM notifications WHERE kind = 'task.assigned'`); n != 2 {
		t.Errorf("%d assignment notices, want 2 (both people of the lead unit)", n)
	}
	if n := count(t, b.db, `SELECT count(*) FROM email_outbox WHERE subject LIKE 'Nhiệm vụ mới%'`); n != 1 {
		t.Errorf("%d assignment e-mails, want 1 (one person has an address)", n)
	}

	t.Run("reports", func(t *testing.T) {
		if _, err := b.svc.AddReport(ctx, b.lead, tk.ID, "Đã xây dựng đề cương", 140, nil); !fault.Is(err, fault.InvalidInput) {
			t.Errorf("percent 140: %v", err)
		}
		outsider := &auth.Principal{UserID: b.other.UserID, UnitID: 424242}
		if _, err := b.svc.AddReport(ctx, outsider, tk.ID, "x", 10, nil); !errors.Is(err, task.ErrNotFound) {
			t.Errorf("an outsider reported: %v", err)
		}
		if _, err := b.svc.AddReport(ctx, b.lead, tk.ID, "Đã xây dựng đề cương", 40, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.AddReport(ctx, b.other, tk.ID, "Sở Tài chính đã góp ý", 40, nil); err != nil {
			t.Errorf("a coordinating unit could not report: %v", err)
		}
		got, _ := b.svc.Get(ctx, b.leader, tk.ID)
		if got.Percent != 40 {
			t.Errorf("percent %d, want 40", got.Percent)
		}
	})

	t.Run("extension", func(t *testing.T) {
		if _, err := b.svc.RequestExtension(ctx, b.lead, tk.ID, task.Date(2026, 12, 10), "sớm hơn"); !fault.Is(err, fault.InvalidInput) {
			t.Errorf("earlier deadline: %v", err)
		}
		if _, err := b.svc.RequestExtension(ctx, b.other, tk.ID, task.Date(2026, 12, 31), "xin thêm"); !errors.Is(err, task.ErrForbidden) {
			t.Errorf("a coordinating unit asked for an extension: %v", err)
		}
		x, err := b.svc.RequestExtension(ctx, b.lead, tk.ID, task.Date(2026, 12, 31), "Chờ số liệu quyết toán")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.RequestExtension(ctx, b.lead, tk.ID, task.Date(2027, 1, 5), "lần hai"); !errors.Is(err, task.ErrState) {
			t.Errorf("second pending request: %v", err)
		}
		if _, err := b.svc.DecideExtension(ctx, b.lead, x.ID, true); !errors.Is(err, task.ErrForbidden) {
			t.Errorf("the requester approved their own extension: %v", err)
		}
		if got, _ := b.svc.Get(ctx, b.leader, tk.ID); !got.Deadline.Equal(task.Date(2026, 12, 15)) {
			t.Errorf("refused decisions moved the deadline to %s", got.Deadline)
		}
		if _, err := b.svc.DecideExtension(ctx, b.leader, x.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.DecideExtension(ctx, b.leader, x.ID, false); !errors.Is(err, task.ErrState) {
			t.Errorf("decided twice: %v", err)
		}
		got, _ := b.svc.Get(ctx, b.leader, tk.ID)
		if !got.Deadline.Equal(task.Date(2026, 12, 31)) {
			t.Errorf("deadline %s after approval, want 2026-12-31", got.Deadline)
		}
		hist, _ := b.db.TaskExtensions(ctx, tk.ID)
		if len(hist) != 1 || hist[0].Status != task.ExtensionApproved || !hist[0].OldDeadline.Equal(task.Date(2026, 12, 15)) {
			t.Errorf("history %+v", hist)
		}
	})

	t.Run("complete late", func(t *testing.T) {
		if _, err := b.svc.Complete(ctx, b.lead, tk.ID); !errors.Is(err, task.ErrForbidden) {
			t.Errorf("the unit accepted its own completion: %v", err)
		}
		// 2027-01-01 00:30 in Hà Nội is still 2026-12-31 in UTC: late by Hà Nội's day.
		b.clock.Set(time.Date(2026, 12, 31, 17, 30, 0, 0, time.UTC))
		got, err := b.svc.Complete(ctx, b.leader, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != task.StatusDoneLate || got.CompletedOn.String() != "2027-01-01" || got.Percent != 100 {
			t.Errorf("completed: %+v", got)
		}
		if _, err := b.svc.Complete(ctx, b.leader, tk.ID); !errors.Is(err, task.ErrState) {
			t.Errorf("completed twice: %v", err)
		}
		if _, err := b.svc.Cancel(ctx, b.leader, tk.ID); !errors.Is(err, task.ErrState) {
			t.Errorf("cancelled a completed task: %v", err)
		}
		if _, err := b.svc.AddReport(ctx, b.lead, tk.ID, "muộn", 100, nil); !errors.Is(err, task.ErrState) {
			t.Errorf("reported on a completed task: %v", err)
		}
	})
	if n := count(t, b.db, `SELECT count(*) FROM audit_log WHERE object_type = 'task'`); n != 6 {
		t.Errorf("audit has %d task entries, want 6 (create, 2 reports, request, decide, complete)", n)
	}
}

// TestNoticesOnce: reminders fire once per day across repeated runs and a
// restart; overdue notices reach the unit and the escalation the leader.
func TestNoticesOnce(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	tk, err := b.svc.Create(ctx, b.leader, task.New{Title: "Báo cáo tình hình giải ngân vốn đầu tư công", LeadUnit: b.leadUnit, Deadline: task.Date(2026, 12, 4)})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	run := func(want int) {
		t.Helper()
		n := task.NewNotifier(b.db, task.DefaultNoticeConfig, b.clock.Now, log) // a new notifier is a restart
		got, err := n.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: %d notices sent, want %d", b.clock.Now(), got, want)
		}
	}
	kinds := func(user auth.UserID, kind string) int {
		return count(t, b.db, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = $2`, user, kind)
	}

	b.clock.Set(hcm(2026, 12, 1, 7)) // 3 days before: the unit's two people + the leader's digest
	run(3)
	run(0)
	b.clock.Set(hcm(2026, 12, 1, 20))
	run(0)
	b.clock.Set(hcm(2026, 12, 2, 7)) // 2 days before: digest only
	run(1)
	b.clock.Set(hcm(2026, 12, 3, 7)) // 1 day before
	run(3)
	b.clock.Set(hcm(2026, 12, 4, 7)) // on the day
	run(3)
	run(0)
	if got := kinds(b.lead.UserID, task.NoticeReminder); got != 3 {
		t.Errorf("unit member got %d reminders, want 3", got)
	}
	b.clock.Set(hcm(2026, 12, 5, 0)) // first overdue day: unit ×2, escalation, digest
	run(4)
	b.clock.Set(hcm(2026, 12, 6, 7)) // the overdue notice is not repeated; only the digest
	run(1)
	if got := kinds(b.leader.UserID, task.NoticeEscalation); got != 1 {
		t.Errorf("leader got %d escalations, want 1", got)
	}
	if got := kinds(b.lead2, task.NoticeOverdue); got != 1 {
		t.Errorf("second unit member got %d overdue notices, want 1", got)
	}
	// E-mail rows only for people with an address, same dedup keys.
	if got := count(t, b.db, `SELECT count(*) FROM email_outbox WHERE user_id = $1`, b.lead2); got != 0 {
		t.Errorf("%d e-mails queued for a user without an address", got)
	}
	if got := count(t, b.db, `SELECT count(*) FROM email_outbox WHERE user_id = $1 AND subject LIKE 'Nhiệm vụ quá hạn%'`, b.leader.UserID); got != 1 {
		t.Errorf("leader has %d escalation e-mails, want 1", got)
	}
	// Completed tasks fall silent.
	if _, err := b.svc.Complete(ctx, b.leader, tk.ID); err != nil {
		t.Fatal(err)
	}
	b.clock.Set(hcm(2026, 12, 7, 7))
	run(0)
}

// TestConclusionTasksAllOrNone: the tasks of one conclusion are created in
// one transaction; a unit the database refuses on the second task leaves
// the first uncreated too (it used to be a loop of single transactions).
func TestConclusionTasksAllOrNone(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	var meeting int64
	if err := b.db.Pool.QueryRow(ctx, `INSERT INTO meetings (kind, title, status, starts_at, ends_at, unit_id, created_by)
		SELECT 'regular', 'Giao ban tháng 12', 'ended', now(), now() + interval '1 hour', unit_id, id FROM users WHERE id = $1 RETURNING id`,
		b.leader.UserID).Scan(&meeting); err != nil {
		t.Fatal(err)
	}
	deadline := task.Date(2026, 12, 20)
	tasks := func(second auth.UnitID) []task.New {
		return []task.New{
			{Title: "Rà soát danh mục dự án", LeadUnit: b.leadUnit, Deadline: deadline},
			{Title: "Cân đối nguồn vốn", LeadUnit: second, Deadline: deadline},
		}
	}
	if _, err := b.svc.CreateFromConclusion(ctx, b.leader, meeting, 1, "12/TB-UBND", tasks(99999)); !fault.Is(err, fault.Conflict) {
		t.Fatalf("a missing unit on the second task: %v, want a conflict (reference violated)", err)
	}
	if n := count(t, b.db, `SELECT count(*) FROM tasks`); n != 0 {
		t.Fatalf("%d tasks after a refused conclusion, want none", n)
	}
	if n := count(t, b.db, `SELECT count(*) FROM notifications`); n != 0 {
		t.Fatalf("%d notices after a refused conclusion, want none", n)
	}
	if _, err := b.svc.CreateFromConclusion(ctx, b.leader, meeting, 1, "12/TB-UBND", []task.New{{Title: "x", LeadUnit: b.leadUnit, Deadline: deadline}, {LeadUnit: b.coUnit}}); err == nil {
		t.Fatal("a task without title and deadline was accepted")
	} else if v := (*fault.Invalid)(nil); !errors.As(err, &v) || v.Fields["tasks[1].title"] != fault.Required || v.Fields["tasks[1].deadline"] != fault.Required {
		t.Fatalf("bad second task: %v, want tasks[1].title and tasks[1].deadline required", err)
	}
	ts, err := b.svc.CreateFromConclusion(ctx, b.leader, meeting, 1, "12/TB-UBND", tasks(b.coUnit))
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[1].Source.Document != "12/TB-UBND" || *ts[1].Source.Conclusion != 1 || *ts[0].Source.MeetingID != meeting {
		t.Fatalf("created %+v", ts)
	}
	if n := count(t, b.db, `SELECT count(*) FROM tasks WHERE source_meeting_id = $1`, meeting); n != 2 {
		t.Fatalf("%d tasks of the conclusion, want 2", n)
	}
	d, err := b.svc.Detail(ctx, b.lead, ts[0].ID)
	if err != nil || d.Task.ID != ts[0].ID || d.People[int64(b.leader.UserID)] != "chutich" || d.Reports == nil && len(d.Reports) != 0 {
		t.Fatalf("detail: %+v %v", d, err)
	}
}
