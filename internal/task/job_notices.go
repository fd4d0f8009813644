package task

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cau-gov/cau/internal/jobs"
)

// TypeNotices is the asynq task that delivers the day's reminders, overdue
// notices, escalations and digests. It has no payload: the notifier reads
// the clock, and task_notices makes every run idempotent, so the schedule
// enqueues it hourly and a retry after a crash is harmless.
const TypeNotices = "task:notices"

// NoticesEvery is how often the notices job runs. Notices are per day and
// deduplicated in PostgreSQL, so an hourly run only bounds how late in the
// morning a reminder can be after a restart.
const NoticesEvery = time.Hour

// NewNoticesTask is the task to enqueue (periodically).
func NewNoticesTask() *asynq.Task {
	return asynq.NewTask(TypeNotices, nil, asynq.Queue("default"), asynq.MaxRetry(10))
}

// HandleNotices is the asynq handler of TypeNotices.
func (n *Notifier) HandleNotices(ctx context.Context, _ *asynq.Task) error {
	if _, err := n.Run(ctx); err != nil {
		return fmt.Errorf("%s: %w", TypeNotices, err)
	}
	return nil
}

// Schedule runs the notices job every NoticesEvery: each run enqueues the
// next, and a task ID per hour keeps one run per hour in the queue
// whichever node enqueues it.
type Schedule struct {
	notifier *Notifier
	jobs     *asynq.Client
	now      func() time.Time
	after    func(ctx context.Context) error
}

// NewSchedule builds the schedule; after (nil: nothing) runs after each
// run's commit (the app hands the run's outbox e-mails to the mailer).
func NewSchedule(n *Notifier, client *asynq.Client, now func() time.Time, after func(ctx context.Context) error) *Schedule {
	if now == nil {
		now = time.Now
	}
	return &Schedule{notifier: n, jobs: client, now: now, after: after}
}

// Handler is the job handler to register on the worker.
func (s *Schedule) Handler() jobs.Handler {
	return jobs.Handler{Type: TypeNotices, Func: func(ctx context.Context, t *asynq.Task) error {
		if err := s.notifier.HandleNotices(ctx, t); err != nil {
			return err
		}
		if s.after != nil {
			if err := s.after(ctx); err != nil {
				return err
			}
		}
		return s.enqueue(ctx, s.now().Truncate(NoticesEvery).Add(NoticesEvery))
	}}
}

// Start enqueues this hour's run (a no-op when it is queued already).
func (s *Schedule) Start(ctx context.Context) error {
	return s.enqueue(ctx, s.now().Truncate(NoticesEvery))
}

func (s *Schedule) enqueue(ctx context.Context, at time.Time) error {
	id := TypeNotices + ":" + at.UTC().Format("2006010215")
	_, err := s.jobs.EnqueueContext(ctx, NewNoticesTask(), asynq.TaskID(id), asynq.ProcessAt(at))
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	return err
}
