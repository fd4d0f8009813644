package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/minutes"
	"github.com/cau-gov/cau/internal/task"
)

// TaskData is the read side of tasks the handlers need beyond the service:
// the dashboard aggregates and unit names.
type TaskData interface {
	task.DashboardStore
	UnitNames(ctx context.Context) (map[int64]string, error)
}

// queryInt parses an optional whole number.
func queryInt(v, name string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fault.Field(name, fault.WrongFormat)
	}
	return n, nil
}

// createTask assigns a task. A task from a conclusion names the meeting and
// the conclusion's number; the conclusion must exist in the minutes the
// assigner can read (checked here, where both services meet).
func (s *Server) createTask(ctx context.Context, p *auth.Principal, in task.New) (task.Task, error) {
	if in.Source.MeetingID != nil && in.Source.Conclusion != nil {
		m, err := s.Minutes.Get(ctx, p, *in.Source.MeetingID)
		if err != nil {
			return task.Task{}, err
		}
		if *in.Source.Conclusion < 1 || *in.Source.Conclusion > len(m.Body.Conclusions) {
			return task.Task{}, fault.Field("source.conclusion", fault.NoSuch)
		}
	}
	return s.Tasks.Create(ctx, p, in)
}

type conclusionTasks struct {
	Tasks []task.New `json:"tasks"`
}

// createTasksFromConclusion turns conclusion n into several tasks at once
// (one per lead unit), all or none.
func (s *Server) createTasksFromConclusion(ctx context.Context, p *auth.Principal, id minutes.MeetingID, n int64, in conclusionTasks) (map[string]any, error) {
	m, err := s.Minutes.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if int(n) > len(m.Body.Conclusions) {
		return nil, errNotFound
	}
	out, err := s.Tasks.CreateFromConclusion(ctx, p, id, int(n), m.Symbol, in.Tasks)
	return map[string]any{"tasks": out}, err
}

type taskReport struct {
	Body        string  `json:"body"`
	Percent     *int    `json:"percent"`
	DocumentIDs []int64 `json:"document_ids"`
}

func (s *Server) addTaskReport(ctx context.Context, p *auth.Principal, id task.ID, in taskReport) (task.Report, error) {
	if in.Percent == nil {
		return task.Report{}, fault.Field("percent", fault.Required)
	}
	return s.Tasks.AddReport(ctx, p, id, in.Body, *in.Percent, in.DocumentIDs)
}

type extensionRequest struct {
	NewDeadline task.Day `json:"new_deadline"`
	Reason      string   `json:"reason"`
}

func (s *Server) requestTaskExtension(ctx context.Context, p *auth.Principal, id task.ID, in extensionRequest) (task.Extension, error) {
	return s.Tasks.RequestExtension(ctx, p, id, in.NewDeadline, in.Reason)
}

type extensionDecision struct {
	Approve *bool `json:"approve"`
}

func (s *Server) decideTaskExtension(ctx context.Context, p *auth.Principal, id int64, in extensionDecision) (task.Extension, error) {
	if in.Approve == nil {
		return task.Extension{}, fault.Field("approve", fault.Required)
	}
	return s.Tasks.DecideExtension(ctx, p, id, *in.Approve)
}

// taskFilter reads meeting_id, unit_id (subtree), assigner_id, from, to,
// status, limit and offset from the query; mine=true keeps the tasks of the
// principal's unit and those given to or by them.
func taskFilter(r *http.Request, p *auth.Principal) (task.Filter, error) {
	q := r.URL.Query()
	var f task.Filter
	bad := map[string]fault.Problem{}
	id := func(name string) *int64 {
		v := q.Get(name)
		if v == "" {
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			bad[name] = fault.WrongFormat
			return nil
		}
		return &n
	}
	day := func(name string) *task.Day {
		v := q.Get(name)
		if v == "" {
			return nil
		}
		d, err := task.ParseDay(v)
		if err != nil {
			bad[name] = fault.WrongFormat
			return nil
		}
		return &d
	}
	f.MeetingID = id("meeting_id")
	if u := id("unit_id"); u != nil {
		unit := auth.UnitID(*u)
		f.UnitID = &unit
	}
	if a := id("assigner_id"); a != nil {
		user := auth.UserID(*a)
		f.Assigner = &user
	}
	f.From, f.To = day("from"), day("to")
	switch q.Get("mine") {
	case "", "false":
	case "true":
		f.Concerning = task.Mine(p)
	default:
		bad["mine"] = fault.WrongFormat
	}
	if v := q.Get("status"); v != "" {
		st := task.Status(v)
		f.Status = &st
	}
	var err error
	if f.Limit, err = queryInt(q.Get("limit"), "limit"); err != nil {
		return f, err
	}
	if f.Offset, err = queryInt(q.Get("offset"), "offset"); err != nil {
		return f, err
	}
	if len(bad) > 0 {
		return f, &fault.Invalid{Fields: bad}
	}
	return f, nil
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	f, err := taskFilter(r, p)
	if err != nil {
		return err
	}
	ts, err := task.List(r.Context(), s.TaskData, p, f, s.Tasks.Today())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tasks": ts})
	return nil
}

func (s *Server) taskDashboard(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	f, err := taskFilter(r, p)
	if err != nil {
		return err
	}
	by := r.URL.Query().Get("by")
	if by == "" {
		by = task.ByUnit
	}
	rows, err := task.Dashboard(r.Context(), s.TaskData, p, by, f, s.Tasks.Today())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"by": by, "day": s.Tasks.Today(), "rows": rows})
	return nil
}

// exportTasks writes the dashboard and up to 500 tasks of the drill-down as XLSX.
func (s *Server) exportTasks(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	f, err := taskFilter(r, p)
	if err != nil {
		return err
	}
	by := r.URL.Query().Get("by")
	if by == "" {
		by = task.ByUnit
	}
	today := s.Tasks.Today()
	rows, err := task.Dashboard(r.Context(), s.TaskData, p, by, f, today)
	if err != nil {
		return err
	}
	f.Limit, f.Offset = 500, 0
	ts, err := task.List(r.Context(), s.TaskData, p, f, today)
	if err != nil {
		return err
	}
	names, err := s.TaskData.UnitNames(r.Context())
	if err != nil {
		return err
	}
	x, err := task.ExportXLSX(rows, ts, func(id int64) string { return names[id] })
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="nhiem-vu-`+today.String()+`.xlsx"`)
	_, err = w.Write(x)
	return err
}
