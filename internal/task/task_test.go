package task_test

import (
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/task"
)

func TestDerive(t *testing.T) {
	deadline := task.Date(2026, 12, 15)
	day := func(d int) *task.Day { v := task.Date(2026, 12, d); return &v }
	for _, c := range []struct {
		name      string
		completed *task.Day
		cancelled bool
		today     task.Day
		want      task.Status
	}{
		{"open before the deadline", nil, false, task.Date(2026, 12, 1), task.StatusInProgress},
		{"open on the deadline day", nil, false, deadline, task.StatusInProgress},
		{"open the day after", nil, false, task.Date(2026, 12, 16), task.StatusOverdue},
		{"done before", day(10), false, task.Date(2027, 1, 5), task.StatusDoneOnTime},
		{"done on the day", day(15), false, task.Date(2026, 12, 15), task.StatusDoneOnTime},
		{"done a day late", day(16), false, task.Date(2026, 12, 16), task.StatusDoneLate},
		{"cancelled while overdue", nil, true, task.Date(2027, 1, 1), task.StatusCancelled},
	} {
		if got := task.Derive(deadline, c.completed, c.cancelled, c.today); got != c.want {
			t.Errorf("%s: Derive = %s, want %s", c.name, got, c.want)
		}
	}
}

// TestDayBoundary: the day is Hà Nội's (UTC+7), whatever the server's zone.
func TestDayBoundary(t *testing.T) {
	deadline := task.Date(2026, 12, 15)
	for _, c := range []struct {
		at   time.Time
		want task.Status
	}{
		// 16:59:59 UTC on the 15th is 23:59:59 on the 15th in Hà Nội: still in time.
		{time.Date(2026, 12, 15, 16, 59, 59, 0, time.UTC), task.StatusInProgress},
		// 17:00 UTC on the 15th is 00:00 on the 16th in Hà Nội: overdue.
		{time.Date(2026, 12, 15, 17, 0, 0, 0, time.UTC), task.StatusOverdue},
		// 23:30 on the 14th UTC is already the 15th in Hà Nội.
		{time.Date(2026, 12, 14, 23, 30, 0, 0, time.UTC), task.StatusInProgress},
	} {
		today := task.DayOf(c.at)
		if got := task.Derive(deadline, nil, false, today); got != c.want {
			t.Errorf("open task at %v (day %s): %s, want %s", c.at, today, got, c.want)
		}
		// Completing at that instant: on time or late by the same boundary.
		done := task.DayOf(c.at)
		want := task.StatusDoneOnTime
		if c.want == task.StatusOverdue {
			want = task.StatusDoneLate
		}
		if got := task.Derive(deadline, &done, false, today); got != want {
			t.Errorf("completed at %v: %s, want %s", c.at, got, want)
		}
	}
}

func TestNoticesRule(t *testing.T) {
	today := task.Date(2026, 12, 10)
	tasks := []task.OpenTask{
		{ID: 1, Title: "quá hạn", Deadline: task.Date(2026, 12, 9), Assigner: 100, Unit: []auth.UserID{7, 8}},
		{ID: 2, Title: "hôm nay", Deadline: today, Assigner: 100, Unit: []auth.UserID{7}},
		{ID: 3, Title: "còn 3 ngày", Deadline: task.Date(2026, 12, 13), Assigner: 101, Unit: []auth.UserID{9}},
		{ID: 4, Title: "còn 2 ngày", Deadline: task.Date(2026, 12, 12), Assigner: 101, Unit: []auth.UserID{9}},
	}
	ns := task.Notices(tasks, today, task.NoticeConfig{ReminderDays: []int{3, 1}})
	count := map[string]int{}
	for _, n := range ns {
		count[n.Kind]++
		if n.Kind == task.NoticeEscalation && n.Recipient != 100 {
			t.Errorf("escalation went to %d, want the assigner 100", n.Recipient)
		}
	}
	want := map[string]int{task.NoticeOverdue: 2, task.NoticeEscalation: 1, task.NoticeReminder: 2, task.NoticeDigest: 2}
	for k, v := range want {
		if count[k] != v {
			t.Errorf("%s notices: %d, want %d (all: %+v)", k, count[k], v, ns)
		}
	}
}
