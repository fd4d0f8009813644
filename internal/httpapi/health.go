package httpapi

import (
	"context"
	"net/http"
	"time"

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

func (s *Server) metricsHandler() http.Handler {
	if s.Gatherer == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{})
}
