package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSecurityHeadersNameTheMediaNodes: with several SFU nodes the page
// may connect to each node's /rtc; a malformed or non-WebSocket origin
// adds nothing (it could otherwise add directives).
func TestSecurityHeadersNameTheMediaNodes(t *testing.T) {
	h := http.Header{}
	r := httptest.NewRequest("GET", "https://hop.example/", nil)
	setSecurityHeaders(h, r, []string{"wss://bao-lam.hop.example:8080/rtc", "ws://127.0.0.1:9000/rtc",
		"https://evil.example/", "wss://x; script-src *", "javascript:alert(1)"})
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"connect-src 'self' ws://hop.example wss://hop.example wss://bao-lam.hop.example:8080 ws://127.0.0.1:9000;"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for _, bad := range []string{"evil", "script-src *", "javascript"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP %q names %q", csp, bad)
		}
	}
}
