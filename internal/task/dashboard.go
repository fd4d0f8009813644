package task

import (
	"context"
	"fmt"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
)

// Filter narrows the dashboard and the drill-down list.
type Filter struct {
	MeetingID *int64       // tasks from one meeting
	UnitID    *auth.UnitID // lead unit in this unit's subtree
	Assigner  *auth.UserID // tasks this leader assigned
	From, To  *Day         // deadline within [From, To]
	Status    *Status      // drill-down only
	// Concerning keeps the tasks that concern one person: led by or
	// coordinated with their unit, or assigned to or by them.
	Concerning *Concerning
	Limit      int // drill-down page size (default 50, max 500)
	Offset     int
}

// Concerning names the person and unit of Filter.Concerning.
type Concerning struct {
	Unit auth.UnitID
	User auth.UserID
}

// Mine is the Concerning filter of p's own tasks.
func Mine(p *auth.Principal) *Concerning { return &Concerning{Unit: p.UnitID, User: p.UserID} }

// Counts are a group's tasks by status on the day asked.
type Counts struct {
	Overdue    int `json:"overdue"`
	InProgress int `json:"in_progress"`
	DoneLate   int `json:"done_late"`
	DoneOnTime int `json:"done_on_time"`
	Cancelled  int `json:"cancelled"`
	Total      int `json:"total"`
	// OnTimePercent is done on time over everything that was due and not
	// cancelled (done on time + done late + overdue); nil with nothing due.
	OnTimePercent *float64 `json:"on_time_percent"`
}

// Row is one unit's or one leader's line of the dashboard.
type Row struct {
	ID   int64  `json:"id"` // unit or user id
	Name string `json:"name"`
	Counts
}

// Grouping of the dashboard.
const (
	ByUnit   = "unit"
	ByLeader = "leader"
)

// DashboardStore runs the aggregate queries; the status is derived in SQL
// with the same rule as Derive (tested to agree).
type DashboardStore interface {
	TaskDashboard(ctx context.Context, by string, f Filter, today Day) ([]Row, error)
	TaskList(ctx context.Context, f Filter, today Day) ([]Task, error)
}

// CanDashboard: leaders (chairs), secretaries, admins and observers.
func CanDashboard(p *auth.Principal) bool {
	return p.HasAnywhere(auth.RoleChair, auth.RoleSecretary, auth.RoleAdmin, auth.RoleObserver)
}

// Dashboard is the per-unit or per-leader table, overdue first.
func Dashboard(ctx context.Context, s DashboardStore, p *auth.Principal, by string, f Filter, today Day) ([]Row, error) {
	if !CanDashboard(p) {
		return nil, fmt.Errorf("dashboard: %w", ErrForbidden)
	}
	if by != ByUnit && by != ByLeader {
		return nil, fault.Field("by", fault.UnknownValue)
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return s.TaskDashboard(ctx, by, f, today)
}

// List is the drill-down: tasks matching f, overdue first, then by deadline.
// Leaders see every task; anyone else sees only the tasks that concern
// them (Filter.Concerning is forced to their unit and themselves).
func List(ctx context.Context, s DashboardStore, p *auth.Principal, f Filter, today Day) ([]Task, error) {
	if !CanDashboard(p) {
		f.Concerning = Mine(p)
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return s.TaskList(ctx, f, today)
}

func (f *Filter) check() error {
	bad := map[string]fault.Problem{}
	if f.From != nil && f.To != nil && f.To.Before(*f.From) {
		bad["to"] = fault.TooEarly
	}
	if f.Status != nil && !f.Status.Valid() {
		bad["status"] = fault.UnknownValue
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	if f.Limit < 0 || f.Limit > 500 {
		bad["limit"] = fault.OutOfRange
	}
	if f.Offset < 0 {
		bad["offset"] = fault.OutOfRange
	}
	return fault.Check(bad)
}
