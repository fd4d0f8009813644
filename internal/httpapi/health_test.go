package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/cau-gov/cau/internal/apptest"
)

func TestHealthAndReadiness(t *testing.T) {
	env := apptest.New(t)

	var live map[string]string
	env.DoJSON(t, "GET", "/healthz", "", nil, http.StatusOK, &live)
	if live["status"] != "ok" {
		t.Fatalf("healthz status = %q, want ok", live["status"])
	}

	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	env.DoJSON(t, "GET", "/readyz", "", nil, http.StatusOK, &ready)
	for _, name := range []string{"database", "redis", "schema"} {
		if ready.Checks[name] != "ok" {
			t.Errorf("readyz check %s = %q, want ok", name, ready.Checks[name])
		}
	}

	status, body := env.Do(t, "GET", "/metrics", "", nil)
	if status != http.StatusOK || len(body) == 0 {
		t.Fatalf("metrics: status %d, %d bytes", status, len(body))
	}

	var apiErr struct {
		Error struct{ Code string } `json:"error"`
	}
	env.DoJSON(t, "GET", "/api/v1/no-such-thing", "", nil, http.StatusNotFound, &apiErr)
	if apiErr.Error.Code != "not_found" {
		t.Fatalf("unknown API path: code %q, want not_found", apiErr.Error.Code)
	}
}
