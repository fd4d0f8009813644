package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cau-gov/cau/internal/blob"
	"github.com/cau-gov/cau/internal/httpapi"
	"github.com/cau-gov/cau/internal/jobs"
	"github.com/cau-gov/cau/internal/minutes"
	"github.com/cau-gov/cau/internal/pdfsign"
	"github.com/cau-gov/cau/internal/search"
	"github.com/cau-gov/cau/internal/task"
)

// noticesEvery is how often the task notices job runs. Notices are per day
// and deduplicated in PostgreSQL, so an hourly run only bounds how late in
// the morning a reminder can be after a restart.
const noticesEvery = time.Hour

// wireMinutesTasks builds the minutes, task and search services, mounts
// them on the API and registers the task notices job, which re-enqueues
// itself every hour (a task ID per hour keeps one in the queue).
func (a *App) wireMinutesTasks(ctx context.Context, deps *httpapi.Deps, handlers *[]jobs.Handler, now func() time.Time) error {
	cfg := a.Config
	mc := minutes.Config{Issuer: cfg.IssuerAbbrev, IssuerName: strings.ReplaceAll(cfg.IssuerName, "|", "\n"), Place: cfg.DocumentPlace,
		PublicURL: cfg.PublicURL}
	if cfg.SignP12File != "" {
		signer, err := pdfsign.LoadPKCS12(cfg.SignP12File, cfg.SignP12Password)
		if err != nil {
			return fmt.Errorf("CAU_SIGN_P12_FILE: %w", err)
		}
		mc.Signer = &signer
	}
	// The approved PDFs live with the documents: same directory, same keys
	// (so key rotation covers them), encrypted at rest.
	keys, err := blob.LoadKeyring(cfg.DocumentKeysFile, !cfg.Production())
	if err != nil {
		return fmt.Errorf("CAU_DOCUMENT_KEYS_FILE: %w", err)
	}
	if mc.Blobs, err = blob.New(filepath.Join(cfg.DataDir, "documents"), keys); err != nil {
		return fmt.Errorf("CAU_DATA_DIR: %w", err)
	}
	mc.Enqueue = minutes.AsynqEnqueue(a.Jobs)
	if a.Mailer != nil {
		mc.SendMail = a.Mailer.Resume
	}
	ms := minutes.NewService(a.DB, mc, now, a.Log.With("component", "minutes"))
	deps.Minutes = ms
	*handlers = append(*handlers, ms.DistributeHandler())
	if n, err := ms.ResumeDistributions(ctx); err != nil {
		a.Log.Warn("resume minutes distributions", "error", err)
	} else if n > 0 {
		a.Log.Info("resumed minutes distributions", "count", n)
	}
	deps.Tasks = task.NewService(a.DB, now, a.Log.With("component", "tasks"))
	if a.Mailer != nil {
		deps.Tasks.AfterCreate(a.Mailer.Resume)
	}
	deps.TaskData = a.DB
	deps.Search = search.NewService(a.DB)

	nc := task.NoticeConfig{EscalateAfter: cfg.TaskEscalateAfterDays}
	for _, d := range cfg.TaskReminderDays {
		n, err := strconv.Atoi(d)
		if err != nil {
			return fmt.Errorf("CAU_TASK_REMINDER_DAYS: %w", err)
		}
		nc.ReminderDays = append(nc.ReminderDays, n)
	}
	notifier := task.NewNotifier(a.DB, nc, now, a.Log.With("component", "task_notices"))
	enqueue := func(at time.Time) error {
		id := task.TypeNotices + ":" + at.UTC().Format("2006010215")
		_, err := a.Jobs.EnqueueContext(ctx, task.NewNoticesTask(), asynq.TaskID(id), asynq.ProcessAt(at))
		if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
			return nil
		}
		return err
	}
	*handlers = append(*handlers, jobs.Handler{Type: task.TypeNotices, Func: func(ctx context.Context, t *asynq.Task) error {
		if err := notifier.HandleNotices(ctx, t); err != nil {
			return err
		}
		// The notices' e-mails are outbox rows committed by the run; the
		// mailer enqueues every pending row once (task ID per row).
		if a.Mailer != nil {
			if err := a.Mailer.Resume(ctx); err != nil {
				return err
			}
		}
		return enqueue(now().Truncate(noticesEvery).Add(noticesEvery))
	}})
	if err := enqueue(now().Truncate(noticesEvery)); err != nil {
		a.Log.Warn("task notices not scheduled; they start with the next enqueue", "error", err)
	}
	return nil
}
