// Package jobs runs Cầu's background work on asynq (Redis): notifications
// and e-mail, reminders and escalation, document conversion, PDF
// generation. Each task type lives in its own file with its type constant,
// payload, constructor and handler; handlers are idempotent by ID, and
// tasks are enqueued only after the transaction that caused them commits.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
)

// Queues and their weights: notifications reach people first, heavy
// conversions never starve them.
var Queues = map[string]int{
	QueueCritical: 6,
	QueueDefault:  3,
	QueueHeavy:    1,
}

// Queue names.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueHeavy    = "heavy"
)

// RedisOpt parses a redis:// URL into asynq's connection option.
func RedisOpt(redisURL string) (asynq.RedisConnOpt, error) {
	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	return opt, nil
}

// Handler is one task type's handler, registered on the worker's mux.
type Handler struct {
	Type string
	Func func(ctx context.Context, t *asynq.Task) error
}

// Worker runs the asynq server with the registered handlers.
type Worker struct {
	srv *asynq.Server
	mux *asynq.ServeMux
	log *slog.Logger
}

// NewWorker builds a worker; register handlers before Start.
func NewWorker(opt asynq.RedisConnOpt, concurrency int, log *slog.Logger) *Worker {
	srv := asynq.NewServer(opt, asynq.Config{
		Concurrency:     concurrency,
		Queues:          Queues,
		ShutdownTimeout: 15 * time.Second,
		Logger:          asynqLogger{log.With("component", "asynq")},
		LogLevel:        asynq.WarnLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			retried, _ := asynq.GetRetryCount(ctx)
			maxRetry, _ := asynq.GetMaxRetry(ctx)
			log.Warn("job failed", "type", t.Type(), "retry", retried, "max_retry", maxRetry, "error", err)
		}),
	})
	return &Worker{srv: srv, mux: asynq.NewServeMux(), log: log}
}

// Register adds handlers.
func (w *Worker) Register(hs ...Handler) {
	for _, h := range hs {
		w.mux.HandleFunc(h.Type, h.Func)
	}
}

// Start begins processing in the background.
func (w *Worker) Start() error {
	if err := w.srv.Start(w.mux); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	return nil
}

// Shutdown stops fetching new tasks and waits for running ones.
func (w *Worker) Shutdown() { w.srv.Shutdown() }

// asynqLogger routes asynq's logs through slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
