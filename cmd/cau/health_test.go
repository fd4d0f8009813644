package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealth(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()

	out, _, err := runCLI(t, nil, "health", "--url", srv.URL+"/readyz")
	if err != nil || !strings.HasPrefix(out, "ok ") {
		t.Fatalf("health of a ready server: %q %v; want ok and no error", out, err)
	}
	status = http.StatusServiceUnavailable
	if _, _, err := runCLI(t, nil, "health", "--url", srv.URL+"/readyz"); err == nil || exitCode(err) != 1 {
		t.Fatalf("health of a 503 server: %v (exit %d); want an error, exit 1", err, exitCode(err))
	}
	if _, _, err := runCLI(t, nil, "health", "--url", srv.URL+"/nothing"); err == nil {
		t.Fatal("health of a 404 URL succeeded")
	}
	srv.Close()
	if _, _, err := runCLI(t, nil, "health", "--url", srv.URL+"/readyz", "--timeout", "1s"); err == nil {
		t.Fatal("health of a closed server succeeded")
	}
}

func TestDefaultHealthURL(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "http://127.0.0.1:8080/readyz"},
		{map[string]string{"CAU_HTTP_ADDR": ":9000"}, "http://127.0.0.1:9000/readyz"},
		{map[string]string{"CAU_HTTP_ADDR": "0.0.0.0:8443", "CAU_TLS_CERT_FILE": "/etc/cau/tls/c.pem"}, "https://127.0.0.1:8443/readyz"},
		{map[string]string{"CAU_HTTP_ADDR": "127.0.0.1:0"}, "http://127.0.0.1:8080/readyz"},
	} {
		if got := defaultHealthURL(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("defaultHealthURL(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}
