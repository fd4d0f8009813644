package task

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/wording"
)

// Notice kinds. Each (kind, task, recipient, day) is delivered once: the
// store records it in task_notices in the transaction that writes the
// notification, so a retried job or a restarted server never repeats it.
const (
	NoticeReminder   = "task.reminder"   // N days before, and on the day
	NoticeOverdue    = "task.overdue"    // to the lead unit, once per deadline
	NoticeEscalation = "task.escalation" // to the assigner, once per deadline
	NoticeDigest     = "task.digest"     // to each assigner, once a day
)

// NoticeConfig says when reminders go out.
type NoticeConfig struct {
	// ReminderDays are the days before the deadline that remind the unit
	// (e.g. 3 and 1); the deadline day itself always reminds.
	ReminderDays []int
	// EscalateAfter is how many days past the deadline the assigner is told
	// (0: the first overdue day, with the unit's notice).
	EscalateAfter int
}

// DefaultNoticeConfig reminds 3 and 1 days before and on the day, and
// escalates on the first overdue day.
var DefaultNoticeConfig = NoticeConfig{ReminderDays: []int{3, 1}}

// OpenTask is an open task with the people its notices go to.
type OpenTask struct {
	ID       ID
	Title    string
	Deadline Day
	Assigner auth.UserID
	// Unit is who hears reminders and the overdue notice: the named person,
	// or else the active users of the lead unit.
	Unit []auth.UserID
}

// Notice is one notification to deliver.
type Notice struct {
	Kind      string
	TaskID    ID // 0 for digests
	Recipient auth.UserID
	OnDay     Day // the day the notice is about (deadline for overdue/escalation)
	Title     string
	Body      string
}

// DedupKey identifies the notice across retries.
func (n Notice) DedupKey() string {
	return fmt.Sprintf("%s:%d:%d:%s", n.Kind, n.TaskID, n.Recipient, n.OnDay)
}

// NoticeStore lists what may need a notice and delivers notices once.
type NoticeStore interface {
	// OpenTasksDueBy lists open tasks with a deadline on or before day.
	OpenTasksDueBy(ctx context.Context, day Day) ([]OpenTask, error)
	// DeliverTaskNotices writes each notice not yet delivered (in-app and,
	// when the person has an address, the e-mail outbox) and returns how
	// many were new.
	DeliverTaskNotices(ctx context.Context, ns []Notice, now time.Time) (int, error)
}

// Notifier computes and delivers the day's notices.
type Notifier struct {
	store NoticeStore
	cfg   NoticeConfig
	now   func() time.Time
	log   *slog.Logger
}

// NewNotifier builds a notifier with an injected clock.
func NewNotifier(s NoticeStore, cfg NoticeConfig, now func() time.Time, log *slog.Logger) *Notifier {
	return &Notifier{store: s, cfg: cfg, now: now, log: log}
}

// Run delivers every notice due today; running it again the same day (or
// after a crash half-way) delivers only what was not delivered yet.
func (n *Notifier) Run(ctx context.Context) (int, error) {
	now := n.now()
	today := DayOf(now)
	horizon := today
	for _, d := range n.cfg.ReminderDays {
		horizon = maxDay(horizon, today.AddDays(d))
	}
	tasks, err := n.store.OpenTasksDueBy(ctx, horizon)
	if err != nil {
		return 0, fmt.Errorf("task notices: %w", err)
	}
	ns := Notices(tasks, today, n.cfg)
	sent, err := n.store.DeliverTaskNotices(ctx, ns, now)
	if err != nil {
		return sent, fmt.Errorf("task notices: %w", err)
	}
	n.log.InfoContext(ctx, "task notices", "day", today.String(), "open_tasks", len(tasks), "candidates", len(ns), "sent", sent)
	return sent, nil
}

func maxDay(a, b Day) Day {
	if b.After(a) {
		return b
	}
	return a
}

// Notices is the pure rule: which notices tasks call for on day today.
func Notices(tasks []OpenTask, today Day, cfg NoticeConfig) []Notice {
	var out []Notice
	type digest struct{ overdue, soon int }
	digests := map[auth.UserID]*digest{}
	for _, t := range tasks {
		left := today.DaysUntil(t.Deadline)
		d := digests[t.Assigner]
		if d == nil {
			d = &digest{}
			digests[t.Assigner] = d
		}
		switch {
		case left < 0:
			d.overdue++
			for _, u := range t.Unit {
				out = append(out, Notice{Kind: NoticeOverdue, TaskID: t.ID, Recipient: u, OnDay: t.Deadline,
					Title: wording.T(wording.TaskOverdueTitle, t.Title),
					Body:  wording.T(wording.TaskOverdueBody, t.Title, t.Deadline.VN())})
			}
			if -left > cfg.EscalateAfter {
				out = append(out, Notice{Kind: NoticeEscalation, TaskID: t.ID, Recipient: t.Assigner, OnDay: t.Deadline,
					Title: wording.T(wording.TaskEscalationTitle, t.Title),
					Body:  wording.T(wording.TaskEscalationBody, t.Title, t.Deadline.VN(), -left)})
			}
		case left == 0 || slices.Contains(cfg.ReminderDays, left):
			d.soon++
			when := wording.T(wording.TaskDueToday)
			if left > 0 {
				when = wording.T(wording.TaskDueInDays, left)
			}
			for _, u := range t.Unit {
				out = append(out, Notice{Kind: NoticeReminder, TaskID: t.ID, Recipient: u, OnDay: today,
					Title: wording.T(wording.TaskReminderTitle, t.Title),
					Body:  wording.T(wording.TaskReminderBody, t.Title, t.Deadline.VN(), when)})
			}
		default:
			d.soon++
		}
	}
	leaders := make([]auth.UserID, 0, len(digests))
	for u := range digests {
		leaders = append(leaders, u)
	}
	slices.Sort(leaders)
	for _, u := range leaders {
		d := digests[u]
		out = append(out, Notice{Kind: NoticeDigest, Recipient: u, OnDay: today,
			Title: wording.T(wording.TaskDigestTitle, today.VN()),
			Body:  wording.T(wording.TaskDigestBody, d.overdue, d.soon)})
	}
	return out
}
