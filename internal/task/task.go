// Package task holds the follow-up tasks a meeting (or a document) assigns
// to units: their derived status, progress reports, deadline extensions,
// completion accepted by the assigner, and the reminders, overdue notices,
// escalations and daily digests that go out about them.
//
// Deadlines and completion dates are calendar days in Asia/Ho_Chi_Minh:
// a task due on the 15th is on time when completed at 23:59 that day in
// Hà Nội, whatever the server's zone. The status is derived from those two
// days (and the cancellation) each time it is read, never stored.
package task

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/vntime"
)

// ID identifies a task.
type ID int64

// Status is how Vietnamese offices report a task.
type Status string

// Statuses, in the order dashboards list them (overdue first).
const (
	StatusOverdue    Status = "overdue"     // đang thực hiện, quá hạn
	StatusInProgress Status = "in_progress" // đang thực hiện, trong hạn
	StatusDoneLate   Status = "done_late"   // hoàn thành quá hạn
	StatusDoneOnTime Status = "done_on_time"
	StatusCancelled  Status = "cancelled"
)

// Statuses lists every status, overdue first.
var Statuses = []Status{StatusOverdue, StatusInProgress, StatusDoneLate, StatusDoneOnTime, StatusCancelled}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if v == s {
			return true
		}
	}
	return false
}

// Label is the status in Vietnamese, as reports print it.
func (s Status) Label() string {
	switch s {
	case StatusOverdue:
		return "Đang thực hiện, quá hạn"
	case StatusInProgress:
		return "Đang thực hiện, trong hạn"
	case StatusDoneLate:
		return "Hoàn thành quá hạn"
	case StatusDoneOnTime:
		return "Hoàn thành đúng hạn"
	case StatusCancelled:
		return "Đã hủy"
	}
	return string(s)
}

// Day is a calendar day (in Asia/Ho_Chi_Minh), held as midnight UTC of that
// date so that it compares and stores (PostgreSQL date) without zone games.
type Day struct{ t time.Time }

// DayOf is the calendar day in Asia/Ho_Chi_Minh at instant t.
func DayOf(t time.Time) Day {
	return Date(vntime.Date(t))
}

// Date builds a day.
func Date(y int, m time.Month, d int) Day { return Day{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }

// ParseDay parses "2026-12-15".
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Day{}, fmt.Errorf("date %q: %w", s, ErrBadDay)
	}
	return Day{t}, nil
}

// Time is midnight UTC of the day, for the store.
func (d Day) Time() time.Time { return d.t }

// FromTime is the day of a PostgreSQL date scanned as midnight UTC.
func FromTime(t time.Time) Day { return Date(t.Date()) }

// String formats the day as 2006-01-02.
func (d Day) String() string { return d.t.Format(time.DateOnly) }

// VN formats the day as offices write it: 15/12/2026.
func (d Day) VN() string { return d.t.Format("02/01/2006") }

// AddDays moves the day by n days.
func (d Day) AddDays(n int) Day { return Day{d.t.AddDate(0, 0, n)} }

// Before, After and Equal compare days.
func (d Day) Before(o Day) bool { return d.t.Before(o.t) }

// After reports whether d is later than o.
func (d Day) After(o Day) bool { return d.t.After(o.t) }

// Equal reports whether d and o are the same day.
func (d Day) Equal(o Day) bool { return d.t.Equal(o.t) }

// IsZero reports an unset day.
func (d Day) IsZero() bool { return d.t.IsZero() }

// DaysUntil is the number of days from d to o (negative when o is earlier).
func (d Day) DaysUntil(o Day) int { return int(o.t.Sub(d.t).Hours() / 24) }

// MarshalJSON writes "2006-01-02".
func (d Day) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// UnmarshalJSON reads "2006-01-02".
func (d *Day) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := ParseDay(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Derive is a task's status on day today. A task completed on or before its
// deadline is on time; an open task is overdue from the day after its
// deadline.
func Derive(deadline Day, completedOn *Day, cancelled bool, today Day) Status {
	switch {
	case cancelled:
		return StatusCancelled
	case completedOn != nil && completedOn.After(deadline):
		return StatusDoneLate
	case completedOn != nil:
		return StatusDoneOnTime
	case today.After(deadline):
		return StatusOverdue
	}
	return StatusInProgress
}

// Priority: 1 urgent (khẩn), 2 normal, 3 low.
type Priority int

// Source is where a task comes from: a meeting's conclusion, or a document.
type Source struct {
	MeetingID  *int64 `json:"meeting_id,omitempty"`
	Conclusion *int   `json:"conclusion,omitempty"` // 1-based number of the conclusion in the minutes
	Document   string `json:"document,omitempty"`   // "12/TB-UBND"
}

// Task is a follow-up task. Status is derived when it is read.
type Task struct {
	ID           ID            `json:"id"`
	Title        string        `json:"title"`
	Description  string        `json:"description"`
	Source       Source        `json:"source"`
	LeadUnit     auth.UnitID   `json:"lead_unit_id"`
	Coordinating []auth.UnitID `json:"coordinating_unit_ids"`
	Assignee     *auth.UserID  `json:"assignee_id"`
	Assigner     auth.UserID   `json:"assigner_id"`
	Deadline     Day           `json:"deadline"`
	Priority     Priority      `json:"priority"`
	Percent      int           `json:"percent"`
	CompletedOn  *Day          `json:"completed_on"`
	CancelledAt  *time.Time    `json:"cancelled_at"`
	CreatedAt    time.Time     `json:"created_at"`
	UpdatedAt    time.Time     `json:"updated_at"`
	Status       Status        `json:"status"`
}

// WithStatus sets Status for day today and returns t.
func (t Task) WithStatus(today Day) Task {
	t.Status = Derive(t.Deadline, t.CompletedOn, t.CancelledAt != nil, today)
	return t
}

// New is what creating a task takes.
type New struct {
	Title        string        `json:"title"`
	Description  string        `json:"description"`
	Source       Source        `json:"source"`
	LeadUnit     auth.UnitID   `json:"lead_unit_id"`
	Coordinating []auth.UnitID `json:"coordinating_unit_ids"`
	Assignee     *auth.UserID  `json:"assignee_id"`
	Deadline     Day           `json:"deadline"`
	Priority     Priority      `json:"priority"`
}

// Validate lists the fields that are wrong; today is the creation day (a
// deadline in the past is refused).
func (n *New) Validate(today Day) map[string]fault.Problem {
	bad := map[string]fault.Problem{}
	n.Title = strings.TrimSpace(n.Title)
	if p := fault.Length(utf8.RuneCountInString(n.Title), 1, 500); !p.IsZero() {
		bad["title"] = p
	}
	if utf8.RuneCountInString(n.Description) > 10000 {
		bad["description"] = fault.TooLong
	}
	if n.LeadUnit <= 0 {
		bad["lead_unit_id"] = fault.Required
	}
	for _, u := range n.Coordinating {
		if u <= 0 || u == n.LeadUnit {
			bad["coordinating_unit_ids"] = fault.Duplicate
		}
	}
	if n.Deadline.IsZero() {
		bad["deadline"] = fault.Required
	} else if n.Deadline.Before(today) {
		bad["deadline"] = fault.TooEarly
	}
	if n.Priority == 0 {
		n.Priority = 2
	}
	if n.Priority < 1 || n.Priority > 3 {
		bad["priority"] = fault.OutOfRange
	}
	if (n.Source.MeetingID == nil) != (n.Source.Conclusion == nil) && n.Source.Conclusion != nil {
		bad["source"] = fault.Required
	}
	if n.Source.Conclusion != nil && *n.Source.Conclusion <= 0 {
		bad["source"] = fault.OutOfRange
	}
	if len(n.Source.Document) > 100 {
		bad["source"] = fault.TooLong
	}
	if len(bad) == 0 {
		return nil
	}
	return bad
}
