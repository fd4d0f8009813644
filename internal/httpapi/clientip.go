package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientKey carries the request's client (address and scheme) in its context.
type clientKey struct{}

// client is who sent the request, as far as we can believe it.
type client struct {
	ip    string
	https bool
}

// withClient derives the client once per request (the one place that reads
// X-Forwarded-For and X-Forwarded-Proto), so the login rate limit, the audit
// log, the request log and cookies' Secure flag all see the same answer.
func (s *Server) withClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := deriveClient(r, s.trustedProxies)
		if c.https {
			// Reached over HTTPS (here or at a trusted proxy): browsers keep to
			// HTTPS for a year (not subdomains, which may be other systems).
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, c)))
	})
}

// deriveClient is the client of r. The headers of a proxy are believed only
// when the peer is one of trusted (CAU_TRUSTED_PROXIES): then the client is
// the right-most X-Forwarded-For address that is not itself a trusted proxy
// (the left part of the header is whatever the client wrote), and the scheme
// is the proxy's X-Forwarded-Proto. Without trusted proxies, or from any
// other peer, the peer is the client and the headers are ignored: anyone can
// send them.
func deriveClient(r *http.Request, trusted []netip.Prefix) client {
	peer := peerAddr(r.RemoteAddr)
	c := client{ip: r.RemoteAddr, https: r.TLS != nil}
	if peer.IsValid() {
		c.ip = peer.String()
	}
	if !peer.IsValid() || !isTrusted(peer, trusted) {
		return c
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // garbage: keep the last address we could believe
		}
		c.ip = a.Unmap().String()
		if !isTrusted(a.Unmap(), trusted) {
			break
		}
	}
	if p := r.Header.Values("X-Forwarded-Proto"); len(p) > 0 {
		// A chain of proxies appends: the first is what the client used.
		first, _, _ := strings.Cut(p[0], ",")
		c.https = strings.EqualFold(strings.TrimSpace(first), "https")
	}
	return c
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func clientOf(r *http.Request) client {
	if c, ok := r.Context().Value(clientKey{}).(client); ok {
		return c
	}
	return deriveClient(r, nil)
}

// clientIP is the client's address (see deriveClient).
func clientIP(r *http.Request) string { return clientOf(r).ip }

// requestHTTPS reports whether the client reached us over HTTPS, directly
// or through a trusted proxy.
func requestHTTPS(r *http.Request) bool { return clientOf(r).https }
