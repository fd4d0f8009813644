package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/httpapi"
	"github.com/cau-gov/cau/internal/jobs"
	"github.com/cau-gov/cau/internal/minutes"
	"github.com/cau-gov/cau/internal/pdfsign"
	"github.com/cau-gov/cau/internal/search"
	"github.com/cau-gov/cau/internal/task"
)

// wireMinutesTasks builds the minutes, task and search services, mounts
// them on the API and registers the minutes distribution and the hourly
// task notices jobs; Serve resumes the first and starts the second.
func (a *App) wireMinutesTasks(deps *httpapi.Deps, handlers *[]jobs.Handler, now func() time.Time) error {
	cfg := a.Config
	mc := minutes.Config{Issuer: cfg.Issuer.Abbrev, IssuerName: strings.ReplaceAll(cfg.Issuer.Name, "|", "\n"), Place: cfg.Issuer.Place,
		PublicURL: cfg.HTTP.PublicURL}
	if cfg.Issuer.SignP12File != "" {
		signer, err := pdfsign.LoadPKCS12(cfg.Issuer.SignP12File, cfg.Issuer.SignP12Password)
		if err != nil {
			return fmt.Errorf("CAU_SIGN_P12_FILE: %w", err)
		}
		mc.Signer = &signer
	}
	// The approved PDFs live with the documents: same store, same keys (so
	// key rotation covers them), encrypted at rest.
	mc.Blobs = a.Blobs
	mc.Enqueue = minutes.AsynqEnqueue(a.Jobs)
	if a.Mailer != nil {
		mc.SendMail = a.Mailer.Resume
	}
	ms := minutes.NewService(a.DB, mc, now, a.Log.With("component", "minutes"))
	deps.Minutes = ms
	*handlers = append(*handlers, ms.DistributeHandler())
	a.onServe("resume minutes distributions", ms.ResumeDistributions)
	deps.Tasks = task.NewService(a.DB, now, a.Log.With("component", "tasks"))
	if a.Mailer != nil {
		deps.Tasks.AfterCreate(a.Mailer.Resume)
	}
	deps.TaskData = a.DB
	deps.Search = search.NewService(a.DB)

	notifier := task.NewNotifier(a.DB, cfg.TaskNotices, now, a.Log.With("component", "task_notices"))
	var sendMail func(context.Context) error
	if a.Mailer != nil {
		sendMail = a.Mailer.Resume // the run's e-mails are outbox rows it committed
	}
	schedule := task.NewSchedule(notifier, a.Jobs, now, sendMail)
	*handlers = append(*handlers, schedule.Handler())
	a.onServe("schedule task notices", func(ctx context.Context) (int, error) { return 0, schedule.Start(ctx) })
	return nil
}
