package recording

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cau-gov/cau/internal/jobs"
)

// TypeRetention is the asynq task that deletes recordings past the
// retention period whose meeting has no legal hold. It has no payload: it
// reads the clock, and deleting is idempotent, so each run enqueues the
// next and a retry is harmless.
const TypeRetention = "recording:retention"

// RetentionEvery is how often the retention job runs: a recording lives
// at most this long past its period.
const RetentionEvery = time.Hour

// Expire deletes the finished recordings stopped longer than the
// retention period ago whose meeting has no legal hold: their blobs, then
// their rows (read receipts with them), each audited as recording.expired.
// It returns how many it deleted.
func (s *Service) Expire(ctx context.Context) (int, error) {
	cutoff := s.Now().Add(-s.Retention)
	old, err := s.Store.ExpiredRecordings(ctx, cutoff)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range old {
		e := entry(nil, "recording.expired", "recording", int64(r.ID), map[string]any{"meeting_id": r.MeetingID, "part": r.Part,
			"stopped_at": r.StoppedAt, "retention_days": int(s.Retention / (24 * time.Hour))})
		// The row goes first: a hold set since the list keeps it, files
		// and all; a crash after it leaves only unreadable ciphertext.
		deleted, err := s.Store.DeleteRecording(ctx, r.ID, e)
		if err != nil {
			return n, err
		}
		if !deleted {
			continue
		}
		for _, id := range append([]string{r.BlobID}, trackBlobs(r)...) {
			if id == "" {
				continue
			}
			if err := s.Blobs.Remove(id); err != nil {
				return n, fmt.Errorf("expire recording %d: %w", r.ID, err)
			}
		}
		if r.Dir != "" {
			os.RemoveAll(r.Dir) // a failed part's files
		}
		n++
	}
	return n, nil
}

func trackBlobs(r Recording) []string {
	var ids []string
	for _, t := range r.Tracks {
		ids = append(ids, t.BlobID)
	}
	return ids
}

// RetentionSchedule runs Expire every RetentionEvery: each run enqueues
// the next, a task ID per hour keeps one run queued whichever node
// enqueues it.
type RetentionSchedule struct {
	svc  *Service
	jobs *asynq.Client
}

// NewRetentionSchedule builds the schedule.
func NewRetentionSchedule(s *Service, c *asynq.Client) *RetentionSchedule {
	return &RetentionSchedule{svc: s, jobs: c}
}

// Handler is the job handler to register on the worker.
func (r *RetentionSchedule) Handler() jobs.Handler {
	return jobs.Handler{Type: TypeRetention, Func: func(ctx context.Context, _ *asynq.Task) error {
		n, err := r.svc.Expire(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", TypeRetention, err)
		}
		if n > 0 {
			r.svc.Log.Info("recordings expired", "count", n)
		}
		return r.enqueue(ctx, r.svc.Now().Truncate(RetentionEvery).Add(RetentionEvery))
	}}
}

// Start enqueues this hour's run (a no-op when it is queued already).
func (r *RetentionSchedule) Start(ctx context.Context) (int, error) {
	return 0, r.enqueue(ctx, r.svc.Now().Truncate(RetentionEvery))
}

func (r *RetentionSchedule) enqueue(ctx context.Context, at time.Time) error {
	id := TypeRetention + ":" + at.UTC().Format("2006010215")
	t := asynq.NewTask(TypeRetention, nil, asynq.Queue(jobs.QueueDefault), asynq.MaxRetry(10))
	_, err := r.jobs.EnqueueContext(ctx, t, asynq.TaskID(id), asynq.ProcessAt(at))
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	return err
}
