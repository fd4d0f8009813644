package httpapi

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cau-gov/cau/internal/auth"
)

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cau_http_requests_total", Help: "HTTP requests by route pattern and status class.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cau_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// statusWriter records the status for logs and metrics. It forwards
// Unwrap so http.ResponseController (WebSocket hijack, flush) still works.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack lets WebSocket upgrades (signaling, live events) take the
// connection; gorilla/websocket asks for http.Hijacker directly.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Flush passes streaming writes through.
func (w *statusWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// logRequests writes one structured log line and the metrics per request.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		elapsed := time.Since(start)
		s.metrics.requests.WithLabelValues(route, fmt.Sprintf("%dxx", sw.status/100)).Inc()
		s.metrics.duration.WithLabelValues(route).Observe(elapsed.Seconds())
		if route == "GET /healthz" || route == "GET /metrics" {
			return
		}
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), level, "http request",
			slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("route", route), slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", elapsed), slog.String("remote_ip", clientIP(r)))
	})
}

// recoverPanics turns a handler panic into a 500 and a log line, so one bad
// request never takes the server down.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// authenticate attaches the principal of a valid bearer token to the
// request context. It does not refuse: routes that need a user wrap their
// handler in s.user, which answers 401 when there is none. A token that is
// present but invalid is refused here with 401, so a client learns to refresh.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" || s.Authenticator == nil {
			next.ServeHTTP(w, r)
			return
		}
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			s.writeError(w, r, fmt.Errorf("%w: Authorization must be \"Bearer <access token>\"", auth.ErrInvalidToken))
			return
		}
		// The SFU's endpoints (signaling, WHIP, WHEP) take room tokens as
		// bearer, not access tokens, and /metrics CAU_METRICS_TOKEN: they
		// verify them themselves.
		if r.URL.Path == "/rtc" || strings.HasPrefix(r.URL.Path, "/whip") || strings.HasPrefix(r.URL.Path, "/whep") || r.URL.Path == "/metrics" {
			next.ServeHTTP(w, r)
			return
		}
		p, err := s.Authenticator.Authenticate(r.Context(), token)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		p.IP = clientIP(r)
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// handlerFunc is a handler that returns its error for writeError.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// public adapts a handler that needs no user.
func (s *Server) public(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// userHandlerFunc is a handler that runs for an authenticated principal.
type userHandlerFunc func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error

// user adapts a handler that needs a signed-in user; roles, if given, are
// required (any of them, with any scope; finer checks happen in the domain).
func (s *Server) user(h userHandlerFunc, roles ...auth.Role) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.FromContext(r.Context())
		if !ok {
			s.writeError(w, r, errUnauthenticated)
			return
		}
		// Without local passwords (CAU_LOCAL_PASSWORDS=off) a temporary one
		// opens nothing and there is nothing to change.
		if p.MustChangePassword && s.cfg.OIDC.LocalPasswords && r.Pattern != "GET /api/v1/me" && r.Pattern != "POST /api/v1/me/password" {
			// A temporary password is known to whoever set it: nothing but
			// changing it until it is changed.
			s.writeError(w, r, errPasswordChangeRequired)
			return
		}
		if len(roles) > 0 && !p.HasAnywhere(roles...) {
			s.writeError(w, r, errForbidden)
			return
		}
		if err := h(w, r, p); err != nil {
			s.writeError(w, r, err)
		}
	})
}
