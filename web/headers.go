package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

var zeroTime time.Time

// setSecurityHeaders sets the Content-Security-Policy and its companions on
// every answer. No inline script or style anywhere: index.html loads one
// module and one stylesheet. Media comes from blob: (getUserMedia and
// MediaStream objects), pdf.js runs its worker from our own origin.
func setSecurityHeaders(h http.Header, r *http.Request, media []string) {
	connect := "'self'"
	if host := wsHost(r.Host); host != "" {
		// CSP Level 3 lets 'self' cover ws(s) of the same host, but older
		// engines did not; naming them costs nothing.
		connect += " ws://" + host + " wss://" + host
	}
	for _, m := range media {
		if u, err := url.Parse(m); err == nil && (u.Scheme == "ws" || u.Scheme == "wss") && wsHost(u.Host) != "" {
			connect += " " + u.Scheme + "://" + u.Host
		}
	}
	h.Set("Content-Security-Policy", strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data: blob:",
		"media-src 'self' blob:",
		"font-src 'self'",
		"connect-src " + connect,
		"worker-src 'self' blob:",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; "))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Permissions-Policy", "camera=(self), microphone=(self), display-capture=(self), geolocation=()")
}

// wsHost returns host if it is safe to put in a header value (a host name or
// address with an optional port), else "". The Host header comes from the
// client: never let it add directives.
func wsHost(host string) string {
	if host == "" || len(host) > 255 {
		return ""
	}
	for _, c := range host {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '-', c == ':', c == '[', c == ']':
		default:
			return ""
		}
	}
	return host
}
