package task

import (
	"context"
	"fmt"

	"github.com/hibiken/asynq"
)

// TypeNotices is the asynq task that delivers the day's reminders, overdue
// notices, escalations and digests. It has no payload: the notifier reads
// the clock, and task_notices makes every run idempotent, so the scheduler
// may enqueue it hourly and a retry after a crash is harmless.
const TypeNotices = "task:notices"

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
