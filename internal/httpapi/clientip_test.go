package httpapi

import (
	"crypto/tls"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestDeriveClient(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("fd00::/64")}
	cases := []struct {
		name, remote, xff, xfp string
		trusted                []netip.Prefix
		tls                    bool
		ip                     string
		https                  bool
	}{
		{name: "no proxies: headers ignored", remote: "10.0.0.5:4000", xff: "203.0.113.9", xfp: "https", ip: "10.0.0.5"},
		{name: "untrusted peer: headers ignored", remote: "198.51.100.1:4000", xff: "203.0.113.9", xfp: "https", trusted: proxies, ip: "198.51.100.1"},
		{name: "trusted proxy", remote: "10.0.0.5:4000", xff: "203.0.113.9", xfp: "https", trusted: proxies, ip: "203.0.113.9", https: true},
		{name: "client-written left part skipped", remote: "10.0.0.5:4000", xff: "1.2.3.4, 203.0.113.9", trusted: proxies, ip: "203.0.113.9"},
		{name: "chain of trusted proxies", remote: "10.0.0.5:4000", xff: "203.0.113.9, 10.0.0.7", xfp: "https, http", trusted: proxies, ip: "203.0.113.9", https: true},
		{name: "garbage stops at the last good hop", remote: "10.0.0.5:4000", xff: "nonsense, 10.0.0.7", trusted: proxies, ip: "10.0.0.7"},
		{name: "trusted proxy without header", remote: "10.0.0.5:4000", trusted: proxies, ip: "10.0.0.5"},
		{name: "IPv6 proxy, mapped client", remote: "[fd00::2]:4000", xff: "::ffff:203.0.113.9", trusted: proxies, ip: "203.0.113.9"},
		{name: "direct TLS", remote: "198.51.100.1:4000", tls: true, ip: "198.51.100.1", https: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			if c.xff != "" {
				r.Header.Set("X-Forwarded-For", c.xff)
			}
			if c.xfp != "" {
				r.Header.Set("X-Forwarded-Proto", c.xfp)
			}
			if c.tls {
				r.TLS = &tls.ConnectionState{}
			}
			got := deriveClient(r, c.trusted)
			if got.ip != c.ip || got.https != c.https {
				t.Fatalf("got ip %s https %v, want %s %v", got.ip, got.https, c.ip, c.https)
			}
		})
	}
}
