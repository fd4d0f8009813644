// Package app wires Cầu together: it is the one place that constructs the
// stores, services, SFU, HTTP server and worker from the configuration, and
// the one place that shuts them down in order.
package app

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/blob"
	"github.com/cau-gov/cau/internal/certfile"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/httpapi"
	"github.com/cau-gov/cau/internal/jobs"
	"github.com/cau-gov/cau/internal/keys"
	"github.com/cau-gov/cau/internal/live"
	"github.com/cau-gov/cau/internal/meeting"
	"github.com/cau-gov/cau/internal/notify"
	"github.com/cau-gov/cau/internal/org"
	"github.com/cau-gov/cau/internal/recording"
	"github.com/cau-gov/cau/internal/roomtoken"
	"github.com/cau-gov/cau/internal/sso"
	"github.com/cau-gov/cau/internal/store"
	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/web"
)

// App is a wired Cầu process.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	DB       *store.DB
	Redis    *redis.Client
	Jobs     *asynq.Client
	Worker   *jobs.Worker
	Registry *prometheus.Registry
	Handler  http.Handler
	API      *httpapi.Server

	Tokens *auth.Tokens
	Auth   *auth.Service

	Meetings *meeting.Service
	SFU      *sfu.SFU
	Live     *live.Hub
	Mailer   *notify.Mailer
	// Bell rings the notification streams of the header's bell.
	Bell *notify.Bell

	AccessKey ed25519.PrivateKey
	RoomKey   ed25519.PrivateKey
	// NodeKey signs node records and relay grants (CAU_NODE_KEY_FILE);
	// nil outside a cluster.
	NodeKey ed25519.PrivateKey
	node    *node // the cluster, when CAU_NODE_ID is set (cluster.go)
	// relayVerifier admits other nodes' relays at /rtc (cluster.go).
	relayVerifier *roomtoken.Verifier
	// observer is the SFU's observer as rtc.go set it (the roll call), nil
	// without one: a node of a cluster wraps it (cluster.go).
	observer sfu.Observer
	// Blobs stores documents and approved minutes, encrypted at rest with
	// the keys of CAU_DOCUMENT_KEYS_FILE, under $CAU_DATA_DIR/documents.
	Blobs *blob.Store
	// Recordings are the session recordings (internal/recording).
	Recordings *recording.Service

	closers []func()
	// serveStarts are the recovery side effects (jobs a previous process
	// lost) that Serve runs once it starts: building an app for a test, a
	// migration or `cau worker` re-enqueues nothing.
	serveStarts []serveStart
}

// serveStart is one of Serve's recovery steps; n counts what it re-queued.
type serveStart struct {
	what string
	run  func(ctx context.Context) (n int, err error)
}

// onServe adds a recovery step that Serve runs.
func (a *App) onServe(what string, run func(ctx context.Context) (int, error)) {
	a.serveStarts = append(a.serveStarts, serveStart{what, run})
}

// resume runs the recovery steps, each within 10 s; a failure is logged,
// not fatal (the next start, or the next hourly run, tries again).
func (a *App) resume(ctx context.Context) {
	for _, s := range a.serveStarts {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		n, err := s.run(sctx)
		cancel()
		if err != nil {
			a.Log.Warn(s.what, "error", err)
		} else if n > 0 {
			a.Log.Info(s.what, "count", n)
		}
	}
}

// Options change how New wires the app (tests use them).
type Options struct {
	// SkipSchemaCheck lets `cau migrate` and `cau seed` open the database
	// before the schema is current.
	SkipSchemaCheck bool
	// NoSFU opens no media ports (a `cau worker` node).
	NoSFU bool
	// NoWorker builds no job worker (the `serve` of a node with CAU_RUN_WORKER=false).
	NoWorker bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Argon2 are the cost parameters of new password hashes; zero means
	// auth.DefaultArgon2 (tests use cheap ones).
	Argon2 auth.Argon2Params
}

// New connects to PostgreSQL and Redis, loads keys and builds every
// service and the HTTP handler. Nothing listens until Serve.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (_ *App, err error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Argon2 == (auth.Argon2Params{}) {
		opts.Argon2 = auth.DefaultArgon2
	}
	a := &App{Config: cfg, Log: log, Registry: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			a.Close() // whatever was opened before the failure
		}
	}()
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	if a.DB, err = store.Open(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.DB.Close)
	if !opts.SkipSchemaCheck {
		if err := a.DB.CheckSchema(ctx); err != nil {
			return nil, err
		}
	}

	ropt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	a.Redis = redis.NewClient(ropt)
	a.closers = append(a.closers, func() { a.Redis.Close() })
	if err := a.Redis.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("connect to Redis at REDIS_URL: %w", err)
	}
	jopt, err := jobs.RedisOpt(cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	a.Jobs = asynq.NewClient(jopt)
	a.closers = append(a.closers, func() { a.Jobs.Close() })
	queues := jobs.NewQueueCollector(jopt)
	a.closers = append(a.closers, func() { queues.Close() })
	a.Registry.MustRegister(queues)

	create := !cfg.Production()
	if a.AccessKey, err = keys.LoadEd25519(cfg.Tokens.AccessKeyFile, create); err != nil {
		return nil, fmt.Errorf("CAU_ACCESS_KEY_FILE: %w", err)
	}
	if a.RoomKey, err = keys.LoadEd25519(cfg.Tokens.RoomKeyFile, create); err != nil {
		return nil, fmt.Errorf("CAU_ROOM_KEY_FILE: %w", err)
	}

	deps := httpapi.Deps{
		Config:     cfg,
		Logger:     log.With("component", "http"),
		Registerer: a.Registry,
		Gatherer:   a.Registry,
		Ready: []httpapi.ReadinessCheck{
			{Name: "database", Check: func(ctx context.Context) error { return a.DB.Pool.Ping(ctx) }},
			{Name: "redis", Check: func(ctx context.Context) error { return a.Redis.Ping(ctx).Err() }},
			{Name: "schema", Check: a.DB.CheckSchema},
		},
	}
	var handlers []jobs.Handler

	// --- accounts and auth ---
	if cfg.Production() {
		n, err := a.DB.ActiveDemoAccounts(ctx)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, fmt.Errorf("%d active account(s) still use the demo password: set real passwords (POST /api/v1/users/{id}/reset-password) or deactivate them before running with CAU_ENV=production", n)
		}
	}
	a.Tokens = auth.NewTokens(a.AccessKey, cfg.Tokens.AccessTTL, opts.Now)
	a.Auth, err = auth.NewService(a.DB, a.Tokens, auth.NewRedisLimiter(a.Redis, opts.Now), cfg.Login, opts.Argon2, log.With("component", "auth"), opts.Now)
	if err != nil {
		return nil, err
	}
	registerPoolMetrics(a.Registry, a.Auth.HashPool(), a.DB.Pool)
	deps.Authenticator, deps.Accounts, deps.Me = a.Auth, a.Auth, a.DB
	if cfg.OIDC.Enabled() {
		deps.SSO = sso.New(cfg.OIDC, sso.Options{Store: a.DB, Auth: a.Auth, Logger: log.With("component", "sso"),
			SessionTTL: cfg.Login.RefreshTTL, Now: opts.Now})
	}

	// --- administration: units, halls, users, audit ---
	deps.Org = org.NewService(a.DB, opts.Argon2, opts.Now)

	// --- meetings ---
	if err := a.wireMeetings(&deps, &handlers); err != nil {
		return nil, err
	}

	// --- documents and approved minutes at rest: one keyring, one store ---
	blobKeys, err := blob.LoadKeyring(cfg.Documents.KeysFile, !cfg.Production())
	if err != nil {
		return nil, fmt.Errorf("CAU_DOCUMENT_KEYS_FILE: %w", err)
	}
	if a.Blobs, err = blob.New(filepath.Join(cfg.DataDir, "documents"), blobKeys); err != nil {
		return nil, fmt.Errorf("CAU_DATA_DIR: %w", err)
	}

	// --- documents ---
	if _, err := a.wireDocuments(&deps, &handlers, documentAccess{a.Meetings}); err != nil {
		return nil, err
	}

	// --- recordings ---
	a.wireRecordings(&deps, &handlers, opts.Now)

	// --- minutes and tasks ---
	if err := a.wireMinutesTasks(&deps, &handlers, opts.Now); err != nil {
		return nil, err
	}

	// --- SFU ---
	if !opts.NoSFU && cfg.Node.Has(config.RoleSFU) {
		if deps.RTC, deps.WHIP, err = a.setupSFU(cfg.RTC, cfg.Tokens.RoomTTL, log); err != nil {
			return nil, err
		}
	}

	if err := a.wireCluster(&deps); err != nil {
		return nil, err
	}

	if !opts.NoWorker && cfg.Jobs.RunWorker && cfg.Node.Has(config.RoleWorker) {
		a.Worker = jobs.NewWorker(jopt, cfg.Jobs.Concurrency, log.With("component", "worker"))
		a.Worker.Register(handlers...)
	}
	// --- web client (an SFU-only node serves media and operations only) ---
	deps.MediaOnly = !cfg.Node.Has(config.RoleAPI)
	if !deps.MediaOnly {
		wo := web.Options{Logger: log.With("component", "web")}
		if a.node != nil && a.node.placer != nil {
			wo.MediaOrigins = func() []string { return a.node.placer.SignalingURLs(context.Background()) }
		}
		if deps.Web, err = web.Handler(wo); err != nil {
			return nil, err
		}
	}
	a.API = httpapi.NewServer(deps)
	a.Handler = a.API.Handler()
	return a, nil
}

// Serve listens on CAU_HTTP_ADDR (or ln, if given), runs the worker, and
// on ctx's end shuts down in order: stop accepting, drain requests, stop
// jobs. The caller closes the app afterwards.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", a.Config.HTTP.Addr); err != nil {
			return fmt.Errorf("listen on CAU_HTTP_ADDR %s: %w", a.Config.HTTP.Addr, err)
		}
	}
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	if a.Config.TLS.CertFile != "" {
		certs, err := certfile.New(a.Config.TLS, a.Log.With("component", "tls"))
		if err != nil {
			return fmt.Errorf("CAU_TLS_CERT_FILE / CAU_TLS_KEY_FILE: %w", err)
		}
		ln = tls.NewListener(ln, certs.Config())
	}
	stopMetrics, err := a.serveMetrics()
	if err != nil {
		return err
	}
	defer stopMetrics()
	if a.Bell != nil {
		// Notification streams never end by themselves: end them so the
		// drain does not wait for them.
		srv.RegisterOnShutdown(a.Bell.Close)
	}
	leaveCluster, err := a.startCluster(ctx)
	if err != nil {
		return err
	}
	if a.Worker != nil {
		if err := a.Worker.Start(); err != nil {
			leaveCluster()
			return err
		}
	}
	a.resume(ctx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info("serving", "addr", ln.Addr().String(), "public_url", a.Config.HTTP.PublicURL, "env", a.Config.Env)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	a.Log.Info("shutting down")
	// Recordings close their files properly and queue their finishing
	// before the SFU goes (a crash instead is recovered at the next start).
	a.Recordings.StopAll(context.Background())
	// A node of a cluster drains first: no new rooms, its calls asked to
	// move (their clients join again and land elsewhere), then it leaves.
	leaveCluster()
	sctx, cancel := context.WithTimeout(context.Background(), a.Config.HTTP.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		a.Log.Warn("http shutdown", "error", err)
	}
	if a.Worker != nil {
		a.Worker.Shutdown()
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return serveErr
}

// serveMetrics starts /metrics on CAU_METRICS_ADDR when it is set, and
// returns what stops it.
func (a *App) serveMetrics() (func(), error) {
	if a.Config.Metrics.Addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", a.Config.Metrics.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on CAU_METRICS_ADDR %s: %w", a.Config.Metrics.Addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", httpapi.MetricsHandler(a.Registry, a.Config.Metrics.Token))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	a.Log.Info("serving metrics", "addr", ln.Addr().String())
	return func() { srv.Close() }, nil
}

// Close releases connections in reverse order of opening.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// RunWorker runs only the job worker until ctx ends (`cau worker`).
func (a *App) RunWorker(ctx context.Context) error {
	if a.Worker == nil {
		return errors.New("worker disabled in this process")
	}
	if err := a.Worker.Start(); err != nil {
		return err
	}
	a.Log.Info("worker running", "concurrency", a.Config.Jobs.Concurrency)
	<-ctx.Done()
	a.Log.Info("worker stopping")
	a.Worker.Shutdown()
	return nil
}
