package certfile

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func writePair(t *testing.T, dir, cn string, mod time.Time) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		DNSNames: []string{cn}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	cf, kf := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	os.WriteFile(cf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	os.Chtimes(cf, mod, mod)
	os.Chtimes(kf, mod, mod)
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
