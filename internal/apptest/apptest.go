// Package apptest starts a whole Cầu server for a test: its own migrated
// PostgreSQL database, its own Redis database number, fresh keys, the real
// HTTP handler on a loopback listener and the real job worker. Tests talk
// to it over HTTP like any client.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/app"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/pgtest"
	"github.com/cau-gov/cau/internal/redistest"
)

// Env is a running test server.
type Env struct {
	App    *app.App
	URL    string // http://127.0.0.1:port
	Config config.Config
	Client *http.Client

	stop func()
}

// Option adjusts the configuration before the app is built.
type Option func(*config.Config)

// New starts a server and stops it when the test ends.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	dbURL := pgtest.NewURL(t)
	return NewOn(t, dbURL, redistest.NewURL(t), opts...)
}

// NewOn starts a server on the given database and Redis URLs (a restart
// test starts a second server on the first one's databases).
func NewOn(t testing.TB, dbURL, redisURL string, opts ...Option) *Env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("apptest: listen: %v", err)
	}
	url := "http://" + ln.Addr().String()
	dir := t.TempDir()
	env := map[string]string{
		"CAU_ENV":                "test",
		"CAU_HTTP_ADDR":          ln.Addr().String(),
		"CAU_PUBLIC_URL":         url,
		"DATABASE_URL":           dbURL,
		"REDIS_URL":              redisURL,
		"CAU_DATA_DIR":           dir,
		"CAU_RTC_UDP_PORT":       "0",
		"CAU_RTC_TCP_PORT":       "0",
		"CAU_RTC_IPS":            "127.0.0.1",
		"CAU_SHUTDOWN_TIMEOUT":   "5s",
		"CAU_WORKER_CONCURRENCY": "2",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("apptest: config: %v", err)
	}
	// Keys are named by the database so that a restarted server (NewOn on
	// the same database) verifies the tokens the first one issued.
	keyDir := filepath.Join(os.TempDir(), "cau-test-keys", filepath.Base(strings.SplitN(dbURL, "?", 2)[0]))
	cfg.Tokens.AccessKeyFile = filepath.Join(keyDir, "access.pem")
	cfg.Tokens.RoomKeyFile = filepath.Join(keyDir, "room.pem")
	t.Cleanup(func() { os.RemoveAll(keyDir) })
	for _, o := range opts {
		o(&cfg)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if os.Getenv("CAU_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, err := app.New(ctx, cfg, log, app.Options{Argon2: CheapArgon2})
	if err != nil {
		ln.Close()
		t.Fatalf("apptest: build app: %v", err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(runCtx, ln) }()
	e := &Env{App: a, URL: url, Config: cfg, Client: &http.Client{Timeout: 30 * time.Second}}
	stopped := false
	e.stop = func() {
		if stopped {
			return
		}
		stopped = true
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("apptest: serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("apptest: server did not stop within 30s")
		}
		a.Close()
	}
	t.Cleanup(e.stop)
	return e
}

// Stop shuts the server down now (as SIGTERM would); cleanup is then a no-op.
func (e *Env) Stop() { e.stop() }

// Do sends a JSON request (body nil for none) with an optional bearer token
// and returns the status and body.
func (e *Env) Do(t testing.TB, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("apptest: encode body: %v", err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		t.Fatalf("apptest: new request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		t.Fatalf("apptest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("apptest: read body: %v", err)
	}
	return resp.StatusCode, out
}

// DoJSON is Do that decodes a JSON answer into out (if non-nil) and fails
// the test when the status differs from want.
func (e *Env) DoJSON(t testing.TB, method, path, token string, body any, want int, out any) {
	t.Helper()
	status, b := e.Do(t, method, path, token, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}
