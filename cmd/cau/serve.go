package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"

	"github.com/cau-gov/cau/internal/app"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "Run the roles of CAU_ROLES (api: HTTP API and web client; sfu: media; worker: jobs, unless CAU_RUN_WORKER=false), all by default; with CAU_NODE_ID, as a node of a cluster.", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, log, err := loadConfig(stderr)
	if err != nil {
		return err
	}
	addHashingProcs(cfg.Login.HashSlots, log)
	a, err := app.New(ctx, cfg, log, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	if cfg.PprofAddr != "" {
		go servePprof(cfg.PprofAddr, log)
	}
	return a.Serve(ctx, nil)
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("worker", "Run the background job worker alone.", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, log, err := loadConfig(stderr)
	if err != nil {
		return err
	}
	cfg.Jobs.RunWorker = true
	a, err := app.New(ctx, cfg, log, app.Options{NoSFU: true})
	if err != nil {
		return err
	}
	defer a.Close()
	return a.RunWorker(ctx)
}

// addHashingProcs gives each password-hashing slot a Go processor of its
// own. A hash holds its processor for its whole run (tens of ms), so
// without one extra per slot a storm of sign-ins takes processors away
// from the media goroutines, whatever priority the kernel gives the
// hashing threads (internal/auth runs them at nice 19). With them the
// kernel, which knows the priorities, decides who runs. An explicit
// GOMAXPROCS in the environment is the operator's and is left alone.
func addHashingProcs(slots int, log *slog.Logger) {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	n := runtime.GOMAXPROCS(0) + slots
	runtime.GOMAXPROCS(n)
	log.Debug("go processors", "gomaxprocs", n, "hash_slots", slots)
}

// servePprof serves Go's profiler on a loopback address (CAU_PPROF_ADDR),
// on its own mux so that nothing of it reaches the public listener.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("profiler listening", "addr", addr)
	if err := http.ListenAndServe(addr, mux); err != nil {
		log.Warn("profiler stopped", "error", err)
	}
}
