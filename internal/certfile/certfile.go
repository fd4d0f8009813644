// Package certfile serves a TLS certificate from a certificate and a key
// file and picks up new files without a restart: certbot, an ACME client
// or the province's PKI replace them every few months, and a media server
// with calls in progress should not be restarted for that. The files are
// looked at again at most every checkEvery; a pair that does not load is
// logged and the certificate in use stays.
package certfile

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// checkEvery bounds how often handshakes stat the files.
const checkEvery = 5 * time.Second

// Reloader hands tls.Config the current certificate.
type Reloader struct {
	certFile, keyFile string
	log               *slog.Logger
	now               func() time.Time

	mu        sync.Mutex
	cert      *tls.Certificate
	certMod   time.Time
	keyMod    time.Time
	lastCheck time.Time
}

// Files names a certificate chain and its private key, both PEM.
type Files struct {
	CertFile, KeyFile string
}

// New loads the pair once; an error here stops the server from starting.
func New(cfg Files, log *slog.Logger) (*Reloader, error) {
	r := &Reloader{certFile: cfg.CertFile, keyFile: cfg.KeyFile, log: log, now: time.Now}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Reloader) load() error {
	cm, km, err := r.mtimes()
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("load TLS certificate %s and key %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert, r.certMod, r.keyMod = &cert, cm, km
	return nil
}

func (r *Reloader) mtimes() (time.Time, time.Time, error) {
	c, err := os.Stat(r.certFile)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("TLS certificate: %w", err)
	}
	k, err := os.Stat(r.keyFile)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("TLS key: %w", err)
	}
	return c.ModTime(), k.ModTime(), nil
}

// GetCertificate is tls.Config.GetCertificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now.Sub(r.lastCheck) >= checkEvery {
		r.lastCheck = now
		cm, km, err := r.mtimes()
		switch {
		case err != nil:
			r.log.Warn("TLS files unreadable; keeping the certificate in use", "error", err)
		case !cm.Equal(r.certMod) || !km.Equal(r.keyMod):
			if err := r.load(); err != nil {
				r.log.Error("new TLS files do not load; keeping the certificate in use", "error", err)
			} else {
				r.log.Info("TLS certificate reloaded", "cert_file", r.certFile, "not_after", r.cert.Leaf.NotAfter)
			}
		}
	}
	return r.cert, nil
}

// Config is a server TLS configuration using the reloader.
func (r *Reloader) Config() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.GetCertificate}
}
