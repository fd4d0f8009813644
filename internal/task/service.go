package task

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
)

// Report is a unit's progress report.
type Report struct {
	ID        int64       `json:"id"`
	TaskID    ID          `json:"task_id"`
	AuthorID  auth.UserID `json:"author_id"`
	Body      string      `json:"body"`
	Percent   int         `json:"percent"`
	Documents []int64     `json:"document_ids"`
	CreatedAt time.Time   `json:"created_at"`
}

// Extension statuses.
const (
	ExtensionPending  = "pending"
	ExtensionApproved = "approved"
	ExtensionRefused  = "refused"
)

// Extension is a request to move a deadline, and its decision.
type Extension struct {
	ID          int64        `json:"id"`
	TaskID      ID           `json:"task_id"`
	RequestedBy auth.UserID  `json:"requested_by"`
	OldDeadline Day          `json:"old_deadline"`
	NewDeadline Day          `json:"new_deadline"`
	Reason      string       `json:"reason"`
	Status      string       `json:"status"`
	DecidedBy   *auth.UserID `json:"decided_by"`
	DecidedAt   *time.Time   `json:"decided_at"`
	CreatedAt   time.Time    `json:"created_at"`
}

// Store is what the service needs from storage; internal/store implements
// it. Methods that change a task append the audit entry in the same
// transaction and return ErrState when the task's row no longer allows it.
type Store interface {
	// CreateTasks writes every task with its audit entry (es[i] for ts[i])
	// in one transaction: all or none.
	CreateTasks(ctx context.Context, ts []Task, es []audit.Entry, now time.Time) ([]Task, error)
	Task(ctx context.Context, id ID) (Task, error)
	TaskReports(ctx context.Context, id ID) ([]Report, error)
	TaskExtensions(ctx context.Context, id ID) ([]Extension, error)
	UserNames(ctx context.Context, ids []int64) (map[int64]string, error)
	AddTaskReport(ctx context.Context, r Report, e audit.Entry) (Report, error)
	AddTaskExtension(ctx context.Context, x Extension, e audit.Entry) (Extension, error)
	TaskExtension(ctx context.Context, id int64) (Extension, error)
	DecideTaskExtension(ctx context.Context, id int64, approve bool, by auth.UserID, e audit.Entry, now time.Time) (Extension, error)
	CompleteTask(ctx context.Context, id ID, on Day, e audit.Entry, now time.Time) error
	CancelTask(ctx context.Context, id ID, e audit.Entry, now time.Time) error
	// Audit records a read.
	Audit(ctx context.Context, e audit.Entry, at time.Time) error
}

// Service applies the task rules.
type Service struct {
	store       Store
	now         func() time.Time
	log         *slog.Logger
	afterCreate func(ctx context.Context) error
}

// AfterCreate sets what runs after a task's creation commits (the app
// enqueues the outbox e-mails the creation wrote); its error is only logged.
func (s *Service) AfterCreate(f func(ctx context.Context) error) { s.afterCreate = f }

// NewService builds the service; now is the clock (time.Now in production).
func NewService(s Store, now func() time.Time, log *slog.Logger) *Service {
	return &Service{store: s, now: now, log: log}
}

// canAssign: chairs, secretaries and admins assign tasks.
func canAssign(p *auth.Principal) bool {
	return p.HasAnywhere(auth.RoleChair, auth.RoleSecretary, auth.RoleAdmin)
}

// isAssigner: the assigner, or an admin for the whole province.
func isAssigner(p *auth.Principal, t Task) bool {
	return p.UserID == t.Assigner || p.HasGlobal(auth.RoleAdmin)
}

// inLead: a member of the lead unit or the named person.
func inLead(p *auth.Principal, t Task) bool {
	return p.UnitID == t.LeadUnit || (t.Assignee != nil && *t.Assignee == p.UserID)
}

// canSee: the assigner, the units concerned, chairs and secretaries
// (dashboards), admins and observers of the province.
func canSee(p *auth.Principal, t Task) bool {
	return isAssigner(p, t) || inLead(p, t) || slices.Contains(t.Coordinating, p.UnitID) ||
		p.HasAnywhere(auth.RoleChair, auth.RoleSecretary) || p.HasGlobal(auth.RoleObserver)
}

func entry(p *auth.Principal, action string, id ID, detail map[string]any) audit.Entry {
	uid := int64(p.UserID)
	return audit.Entry{ActorID: &uid, ActorName: p.Username, Action: action, ObjectType: "task",
		ObjectID: strconv.FormatInt(int64(id), 10), Detail: detail, IP: p.IP}
}

// Today is the current day in Asia/Ho_Chi_Minh by the service's clock.
func (s *Service) Today() Day { return DayOf(s.now()) }

// Create assigns a new task; the principal is the assigner.
func (s *Service) Create(ctx context.Context, p *auth.Principal, n New) (Task, error) {
	if !canAssign(p) {
		return Task{}, fmt.Errorf("create task: %w", ErrForbidden)
	}
	if err := fault.Check(n.Validate(s.Today())); err != nil {
		return Task{}, err
	}
	ts, err := s.create(ctx, p, []New{n})
	if err != nil {
		return Task{}, err
	}
	return ts[0], nil
}

// CreateFromConclusion assigns the tasks of conclusion number n of a
// meeting's minutes (symbol: the minutes' document number), one per lead
// unit, in one transaction: a bad one (a field, or a unit the database
// refuses) creates none. The caller has checked that the conclusion exists.
func (s *Service) CreateFromConclusion(ctx context.Context, p *auth.Principal, meeting int64, n int, symbol string, ns []New) ([]Task, error) {
	if !canAssign(p) {
		return nil, fmt.Errorf("create tasks: %w", ErrForbidden)
	}
	if len(ns) == 0 || len(ns) > 50 {
		return nil, fault.Field("tasks", fault.OutOfRange)
	}
	today := s.Today()
	bad := map[string]fault.Problem{}
	for i := range ns {
		ns[i].Source = Source{MeetingID: &meeting, Conclusion: &n, Document: symbol}
		for f, pr := range ns[i].Validate(today) {
			bad[fmt.Sprintf("tasks[%d].%s", i, f)] = pr
		}
	}
	if err := fault.Check(bad); err != nil {
		return nil, err
	}
	return s.create(ctx, p, ns)
}

// create writes valid tasks in one transaction, then runs afterCreate.
func (s *Service) create(ctx context.Context, p *auth.Principal, ns []New) ([]Task, error) {
	ts := make([]Task, len(ns))
	es := make([]audit.Entry, len(ns))
	for i, n := range ns {
		slices.Sort(n.Coordinating)
		n.Coordinating = slices.Compact(n.Coordinating)
		ts[i] = Task{Title: n.Title, Description: n.Description, Source: n.Source, LeadUnit: n.LeadUnit,
			Coordinating: n.Coordinating, Assignee: n.Assignee, Assigner: p.UserID, Deadline: n.Deadline, Priority: n.Priority}
		es[i] = entry(p, "task.create", 0, map[string]any{
			"title": n.Title, "lead_unit_id": n.LeadUnit, "deadline": n.Deadline.String()})
	}
	ts, err := s.store.CreateTasks(ctx, ts, es, s.now())
	if err != nil {
		return nil, fmt.Errorf("create tasks: %w", err)
	}
	if s.afterCreate != nil {
		if err := s.afterCreate(ctx); err != nil {
			s.log.WarnContext(ctx, "after task creation", "tasks", len(ts), "error", err)
		}
	}
	today := s.Today()
	for i := range ts {
		ts[i] = ts[i].WithStatus(today)
	}
	return ts, nil
}

// Detail is a task as its page shows it: the task, its progress reports,
// its extension requests, and the names of the people they name (who gave
// it, who reported, who asked for time and who decided), which everyone
// who may see the task may read.
type Detail struct {
	Task       Task             `json:"task"`
	Reports    []Report         `json:"reports"`
	Extensions []Extension      `json:"extensions"`
	People     map[int64]string `json:"people"`
}

// Detail reads task id for p (an audited read, as Read).
func (s *Service) Detail(ctx context.Context, p *auth.Principal, id ID) (Detail, error) {
	t, err := s.Read(ctx, p, id)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Task: t}
	if d.Reports, err = s.store.TaskReports(ctx, id); err != nil {
		return Detail{}, err
	}
	if d.Extensions, err = s.store.TaskExtensions(ctx, id); err != nil {
		return Detail{}, err
	}
	ids := []int64{int64(t.Assigner)}
	if t.Assignee != nil {
		ids = append(ids, int64(*t.Assignee))
	}
	for _, r := range d.Reports {
		ids = append(ids, int64(r.AuthorID))
	}
	for _, x := range d.Extensions {
		ids = append(ids, int64(x.RequestedBy))
		if x.DecidedBy != nil {
			ids = append(ids, int64(*x.DecidedBy))
		}
	}
	if d.People, err = s.store.UserNames(ctx, ids); err != nil {
		return Detail{}, err
	}
	return d, nil
}

// Get returns a task the principal may see, with its status of today.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id ID) (Task, error) {
	t, err := s.store.Task(ctx, id)
	if err != nil {
		return Task{}, err
	}
	if !canSee(p, t) {
		return Task{}, fmt.Errorf("task %d: %w", id, ErrNotFound)
	}
	return t.WithStatus(s.Today()), nil
}

// Read is Get for a person opening the task: the read is audited.
func (s *Service) Read(ctx context.Context, p *auth.Principal, id ID) (Task, error) {
	t, err := s.Get(ctx, p, id)
	if err != nil {
		return t, err
	}
	if err := s.store.Audit(ctx, entry(p, "task.read", id, nil), s.now()); err != nil {
		return Task{}, err
	}
	return t, nil
}

// open loads a task that is neither completed nor cancelled.
func (s *Service) open(ctx context.Context, p *auth.Principal, id ID) (Task, error) {
	t, err := s.Get(ctx, p, id)
	if err != nil {
		return Task{}, err
	}
	if t.CompletedOn != nil || t.CancelledAt != nil {
		return Task{}, fmt.Errorf("task %d is %s: %w", id, t.Status, ErrState)
	}
	return t, nil
}

// AddReport posts a progress report for the lead or a coordinating unit.
func (s *Service) AddReport(ctx context.Context, p *auth.Principal, id ID, body string, percent int, docs []int64) (Report, error) {
	body = strings.TrimSpace(body)
	bad := map[string]fault.Problem{}
	if p := fault.Length(utf8.RuneCountInString(body), 1, 10000); !p.IsZero() {
		bad["body"] = p
	}
	if percent < 0 || percent > 100 {
		bad["percent"] = fault.OutOfRange
	}
	if len(docs) > 20 {
		bad["document_ids"] = fault.OutOfRange
	}
	if err := fault.Check(bad); err != nil {
		return Report{}, err
	}
	t, err := s.open(ctx, p, id)
	if err != nil {
		return Report{}, err
	}
	if !inLead(p, t) && !slices.Contains(t.Coordinating, p.UnitID) {
		return Report{}, fmt.Errorf("report on task %d: %w", id, ErrForbidden)
	}
	r := Report{TaskID: id, AuthorID: p.UserID, Body: body, Percent: percent, Documents: docs, CreatedAt: s.now()}
	if r.Documents == nil {
		r.Documents = []int64{}
	}
	return s.store.AddTaskReport(ctx, r, entry(p, "task.report", id, map[string]any{"percent": percent}))
}

// RequestExtension asks the assigner to move the deadline to newDeadline.
func (s *Service) RequestExtension(ctx context.Context, p *auth.Principal, id ID, newDeadline Day, reason string) (Extension, error) {
	reason = strings.TrimSpace(reason)
	t, err := s.open(ctx, p, id)
	if err != nil {
		return Extension{}, err
	}
	bad := map[string]fault.Problem{}
	if p := fault.Length(utf8.RuneCountInString(reason), 1, 2000); !p.IsZero() {
		bad["reason"] = p
	}
	if newDeadline.IsZero() || !newDeadline.After(t.Deadline) {
		bad["new_deadline"] = fault.TooEarly
	}
	if err := fault.Check(bad); err != nil {
		return Extension{}, err
	}
	if !inLead(p, t) {
		return Extension{}, fmt.Errorf("request extension of task %d: %w", id, ErrForbidden)
	}
	x := Extension{TaskID: id, RequestedBy: p.UserID, OldDeadline: t.Deadline, NewDeadline: newDeadline,
		Reason: reason, Status: ExtensionPending, CreatedAt: s.now()}
	return s.store.AddTaskExtension(ctx, x, entry(p, "task.extension_request", id, map[string]any{
		"old_deadline": t.Deadline.String(), "new_deadline": newDeadline.String()}))
}

// DecideExtension approves (the deadline moves) or refuses a pending request.
func (s *Service) DecideExtension(ctx context.Context, p *auth.Principal, extID int64, approve bool) (Extension, error) {
	x, err := s.store.TaskExtension(ctx, extID)
	if err != nil {
		return Extension{}, err
	}
	t, err := s.open(ctx, p, x.TaskID)
	if err != nil {
		return Extension{}, err
	}
	if !isAssigner(p, t) {
		return Extension{}, fmt.Errorf("decide extension of task %d: %w", t.ID, ErrForbidden)
	}
	if x.Status != ExtensionPending {
		return Extension{}, fmt.Errorf("extension %d is %s: %w", extID, x.Status, ErrState)
	}
	return s.store.DecideTaskExtension(ctx, extID, approve, p.UserID, entry(p, "task.extension_decide", t.ID,
		map[string]any{"extension_id": extID, "approved": approve}), s.now())
}

// Complete records the assigner's acceptance of the task as done today.
func (s *Service) Complete(ctx context.Context, p *auth.Principal, id ID) (Task, error) {
	t, err := s.open(ctx, p, id)
	if err != nil {
		return Task{}, err
	}
	if !isAssigner(p, t) {
		return Task{}, fmt.Errorf("complete task %d: %w", id, ErrForbidden)
	}
	today := s.Today()
	if err := s.store.CompleteTask(ctx, id, today, entry(p, "task.complete", id, map[string]any{
		"completed_on": today.String(), "deadline": t.Deadline.String()}), s.now()); err != nil {
		return Task{}, err
	}
	return s.Get(ctx, p, id)
}

// Cancel cancels an open task (assigner only).
func (s *Service) Cancel(ctx context.Context, p *auth.Principal, id ID) (Task, error) {
	t, err := s.open(ctx, p, id)
	if err != nil {
		return Task{}, err
	}
	if !isAssigner(p, t) {
		return Task{}, fmt.Errorf("cancel task %d: %w", id, ErrForbidden)
	}
	if err := s.store.CancelTask(ctx, id, entry(p, "task.cancel", id, nil), s.now()); err != nil {
		return Task{}, err
	}
	return s.Get(ctx, p, id)
}
