package httpapi

import (
	"context"
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// healthz answers 200 while the process serves requests (liveness).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz checks every dependency (database, Redis, schema version) and
// answers 503 naming the ones that fail, so a load balancer stops sending.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	status := http.StatusOK
	for _, c := range s.Ready {
		if err := c.Check(ctx); err != nil {
			checks[c.Name] = err.Error()
			status = http.StatusServiceUnavailable
			continue
		}
		checks[c.Name] = "ok"
	}
	state := "ready"
	if status != http.StatusOK {
		state = "not_ready"
	}
	writeJSON(w, status, map[string]any{"status": state, "checks": checks})
	return nil
}

// metricsHandler is /metrics on the main listener: not there when it has a
// listener of its own (CAU_METRICS_ADDR), nor in production without a token.
func (s *Server) metricsHandler() http.Handler {
	if s.Gatherer == nil || s.Config.Metrics.Addr != "" || (s.Config.Production() && s.Config.Metrics.Token == "") {
		return http.NotFoundHandler()
	}
	return MetricsHandler(s.Gatherer, s.Config.Metrics.Token)
}

// MetricsHandler serves the Prometheus exposition of g; with a token, only
// to requests carrying it as a bearer token (401 otherwise).
func MetricsHandler(g prometheus.Gatherer, token string) http.Handler {
	h := promhttp.HandlerFor(g, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need the bearer token of CAU_METRICS_TOKEN", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
