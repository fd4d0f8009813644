package app_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/certfile"
	"github.com/cau-gov/cau/internal/certfile/certtest"
	"github.com/cau-gov/cau/internal/config"
)

// With CAU_TLS_CERT_FILE and CAU_TLS_KEY_FILE the server speaks HTTPS on
// CAU_HTTP_ADDR and tells browsers to stay on it (HSTS).
func TestServesHTTPSWithHSTS(t *testing.T) {
	certFile, keyFile, cert := certtest.Write(t, t.TempDir(), "cau.lamdong.gov.vn", time.Time{})
	env := apptest.New(t, func(c *config.Config) { c.TLS = certfile.Files{CertFile: certFile, KeyFile: keyFile} })
	addr := strings.TrimPrefix(env.URL, "http://")
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("HTTPS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
		t.Fatalf("HTTPS /healthz: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	if resp, err := env.Client.Get("http://" + addr + "/healthz"); err == nil {
		if resp.StatusCode == 200 {
			t.Errorf("plain HTTP on the TLS port answered 200")
		}
		resp.Body.Close()
	}
}
