package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/cau-gov/cau/internal/app"
	"github.com/cau-gov/cau/sfu"
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
		go servePprof(cfg.PprofAddr, a.SFU, filepath.Join(cfg.DataDir, "bench-recordings"), log)
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
// on its own mux so that nothing of it reaches the public listener; with
// an SFU, /debug/record too.
func servePprof(addr string, s *sfu.SFU, recDir string, log *slog.Logger) {
	mux := http.NewServeMux()
	if s != nil {
		mux.Handle("/debug/record", debugRecord(s, recDir))
	}
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("profiler listening", "addr", addr)
	if err := http.ListenAndServe(addr, mux); err != nil {
		log.Warn("profiler stopped", "error", err)
	}
}

// debugRecord records a room of the SFU without a meeting, for `make
// bench` (SCENARIO=record: the load generator's room has none): POST
// /debug/record?room=R starts a recording into dir/R, DELETE stops it and
// answers its result as JSON. Only on the profiler's loopback listener.
func debugRecord(s *sfu.SFU, dir string) http.Handler {
	var mu sync.Mutex
	recs := map[string]*sfu.Recording{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		room := r.URL.Query().Get("room")
		if room == "" || filepath.Base(room) != room {
			http.Error(w, "room: a room name", http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch r.Method {
		case http.MethodPost:
			rec, err := s.StartRecording(sfu.RoomID(room), filepath.Join(dir, room))
			if err != nil {
				http.Error(w, err.Error(), http.StatusConflict)
				return
			}
			recs[room] = rec
			w.WriteHeader(http.StatusCreated)
		case http.MethodDelete:
			rec := recs[room]
			if rec == nil {
				http.Error(w, "not recording", http.StatusNotFound)
				return
			}
			delete(recs, room)
			res, err := rec.Stop()
			out := map[string]any{"result": res}
			if err != nil {
				out["error"] = err.Error()
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(out)
		default:
			w.Header().Set("Allow", "POST, DELETE")
			http.Error(w, "POST or DELETE", http.StatusMethodNotAllowed)
		}
	})
}
