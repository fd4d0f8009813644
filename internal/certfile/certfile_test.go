package certfile

import (
	"crypto/tls"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/certfile/certtest"
)

func writePair(t *testing.T, dir, cn string, mod time.Time) (string, string) {
	cf, kf, _ := certtest.Write(t, dir, cn, mod)
	return cf, kf
}

// served is the common name a TLS client sees from the listener.
func served(t *testing.T, addr string) string {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Subject.CommonName
}

func TestReloadsChangedFilesAndKeepsTheOldOnBadOnes(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Now().Add(-time.Minute)
	cf, kf := writePair(t, dir, "cau-old.example", t0)
	r, err := New(Files{CertFile: cf, KeyFile: kf}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	r.now = func() time.Time { return clock }
	ln, err := tls.Listen("tcp", "127.0.0.1:0", r.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	if got := served(t, ln.Addr().String()); got != "cau-old.example" {
		t.Fatalf("serves %s", got)
	}
	writePair(t, dir, "cau-new.example", t0.Add(30*time.Second))
	if got := served(t, ln.Addr().String()); got != "cau-old.example" {
		t.Fatalf("looked at the files again within %v: serves %s", checkEvery, got)
	}
	clock = clock.Add(checkEvery)
	if got := served(t, ln.Addr().String()); got != "cau-new.example" {
		t.Fatalf("after the files changed: serves %s", got)
	}
	// A half-written key: the certificate in use stays.
	os.WriteFile(kf, []byte("-----BEGIN PRIVATE KEY-----\nnot a key\n"), 0o600)
	os.Chtimes(kf, t0.Add(time.Minute), t0.Add(time.Minute))
	clock = clock.Add(checkEvery)
	if got := served(t, ln.Addr().String()); got != "cau-new.example" {
		t.Fatalf("after a bad key file: serves %s", got)
	}
	if _, err := New(Files{CertFile: cf, KeyFile: kf}, slog.Default()); err == nil {
		t.Fatal("New accepted a bad key file")
	}
}
