package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func serve(t *testing.T, h http.Handler, method, target string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

var assetURL = regexp.MustCompile(`/assets/[0-9a-f]{16}/js/main\.js`)

func TestIndexAndAssets(t *testing.T) {
	h, err := Handler(Options{})
	if err != nil {
		t.Fatalf("Handler: %v", err)
	}
	res := serve(t, h, "GET", "/")
	page := body(t, res)
	if res.StatusCode != 200 {
		t.Fatalf("GET / = %d, want 200", res.StatusCode)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("index Cache-Control = %q, want no-cache", got)
	}
	if got := res.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("index Content-Type = %q", got)
	}
	script := assetURL.FindString(page)
	if script == "" {
		t.Fatalf("index has no hashed main.js URL:\n%s", page)
	}
	if strings.Contains(page, "{{") {
		t.Errorf("index has an unrendered template action")
	}

	res = serve(t, h, "GET", script)
	js := body(t, res)
	if res.StatusCode != 200 || !strings.Contains(js, "import") {
		t.Fatalf("GET %s = %d, body %.80q", script, res.StatusCode, js)
	}
	if got := res.Header.Get("Content-Type"); got != "text/javascript; charset=utf-8" {
		t.Errorf("js Content-Type = %q", got)
	}
	if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("asset Cache-Control = %q", got)
	}
	prefix := strings.TrimSuffix(script, "js/main.js")
	for name, want := range map[string]string{
		"css/app.css":  "text/css; charset=utf-8",
		"js/ui/app.js": "text/javascript; charset=utf-8",
		"img/logo.svg": "image/svg+xml",
	} {
		res := serve(t, h, "GET", prefix+name)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != want {
			t.Errorf("GET %s = %d %q, want 200 %q", name, res.StatusCode, res.Header.Get("Content-Type"), want)
		}
	}
	if res := serve(t, h, "HEAD", script); res.StatusCode != 200 || body(t, res) != "" {
		t.Errorf("HEAD asset = %d with a body", res.StatusCode)
	}
}

func TestSPAFallbackAndNotFound(t *testing.T) {
	h, err := Handler(Options{})
	if err != nil {
		t.Fatalf("Handler: %v", err)
	}
	for _, p := range []string{"/login", "/meetings/42/room", "/operator/7?x=1", "/device-check"} {
		res := serve(t, h, "GET", p)
		if res.StatusCode != 200 || !assetURL.MatchString(body(t, res)) {
			t.Errorf("GET %s = %d, want the index page", p, res.StatusCode)
		}
	}
	// Assets of another build, traversal, the raw template and API paths are
	// 404s, never the index page (a stale script must not parse HTML).
	index := serve(t, h, "GET", "/")
	prefix := strings.TrimSuffix(assetURL.FindString(body(t, index)), "js/main.js")
	for _, p := range []string{
		"/assets/0000000000000000/js/main.js",
		prefix + "js/nope.js",
		prefix + "index.html",
		prefix,
		prefix + "js/",
		prefix + "../web.go",
		prefix + "%2e%2e/web.go",
		"/api/v1/whatever",
		"/favicon.ico",
	} {
		res := serve(t, h, "GET", p)
		if res.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", p, res.StatusCode)
		}
		if strings.Contains(body(t, res), "<html") {
			t.Errorf("GET %s answered HTML", p)
		}
	}
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		if res := serve(t, h, m, "/"); res.StatusCode != 405 || res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s / = %d, Allow %q; want 405 GET, HEAD", m, res.StatusCode, res.Header.Get("Allow"))
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	h, err := Handler(Options{})
	if err != nil {
		t.Fatalf("Handler: %v", err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Host = "cau.example.vn:8443"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{
		"default-src 'self'", "script-src 'self'", "style-src 'self'", "media-src 'self' blob:",
		"connect-src 'self' ws://cau.example.vn:8443 wss://cau.example.vn:8443", "object-src 'none'", "frame-ancestors 'none'",
	} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows unsafe sources: %q", csp)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("no nosniff")
	}
	// A hostile Host header cannot add directives.
	req = httptest.NewRequest("GET", "/", nil)
	req.Host = "x; script-src *"
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if csp := rec.Header().Get("Content-Security-Policy"); strings.Contains(csp, "script-src *") || strings.Contains(csp, "ws://x") {
		t.Errorf("Host header leaked into CSP: %q", csp)
	}
	// No inline script in the page the CSP protects.
	page := body(t, serve(t, h, "GET", "/"))
	if regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`).MatchString(page) || strings.Contains(page, " style=") || strings.Contains(page, "<style") {
		t.Errorf("index has inline script or style:\n%s", page)
	}
}

func TestHashChangesWithAnyFile(t *testing.T) {
	mk := func(css string) string {
		h, err := Handler(Options{Files: fstest.MapFS{
			"index.html":  {Data: []byte(`<script type="module" src="{{.Assets}}js/main.js"></script>`)},
			"js/main.js":  {Data: []byte("import './x.js'")},
			"css/app.css": {Data: []byte(css)},
		}})
		if err != nil {
			t.Fatalf("Handler: %v", err)
		}
		return assetURL.FindString(body(t, serve(t, h, "GET", "/")))
	}
	a, b, a2 := mk("a{}"), mk("b{}"), mk("a{}")
	if a == "" || a == b || a != a2 {
		t.Errorf("hashed URLs: %q, %q, %q; want stable per content and different across contents", a, b, a2)
	}
}

func TestBadIndexTemplate(t *testing.T) {
	if _, err := Handler(Options{Files: fstest.MapFS{"index.html": {Data: []byte("{{.Nope")}}}); err == nil {
		t.Errorf("Handler accepted a broken index.html")
	}
	if _, err := Handler(Options{Files: fstest.MapFS{"x.js": {Data: []byte("")}}}); err == nil {
		t.Errorf("Handler accepted files without index.html")
	}
}
