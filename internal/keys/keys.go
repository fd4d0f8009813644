// Package keys loads the Ed25519 signing keys (access tokens, room tokens)
// from PKCS#8 PEM files, and creates them in development so that `make run`
// needs no manual step. Production never creates keys: config validation
// refuses to start without them.
package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrNoKey means the key file does not exist and creating it was not allowed.
var ErrNoKey = errors.New("key file missing")

// LoadEd25519 reads a PKCS#8 PEM private key. If the file is missing and
// create is true, a new key is written there (mode 0600) and returned.
func LoadEd25519(path string, create bool) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, fmt.Errorf("%s: %w", path, ErrNoKey)
		}
		return createEd25519(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w", path, err)
	}
	return ParseEd25519(b)
}

// ParseEd25519 parses a PKCS#8 PEM Ed25519 private key.
func ParseEd25519(b []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("parse key: not a PEM \"PRIVATE KEY\" block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("parse key: %T is not an Ed25519 key", k)
	}
	return priv, nil
}

// EncodeEd25519 returns the PKCS#8 PEM of priv and the PKIX PEM of its public key.
func EncodeEd25519(priv ed25519.PrivateKey) (privPEM, pubPEM []byte, err error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), nil
}

// WriteNew generates a key and writes it to path (private) and path.pub
// (public), refusing to overwrite an existing file.
func WriteNew(path string) (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	privPEM, pubPEM, err := EncodeEd25519(priv)
	if err != nil {
		return nil, fmt.Errorf("encode key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create key directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create key %s: %w", path, err)
	}
	if _, err := f.Write(privPEM); err != nil {
		f.Close()
		return nil, fmt.Errorf("write key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write key %s: %w", path, err)
	}
	if err := os.WriteFile(path+".pub", pubPEM, 0o644); err != nil {
		return nil, fmt.Errorf("write public key: %w", err)
	}
	return priv, nil
}

func createEd25519(path string) (ed25519.PrivateKey, error) {
	priv, err := WriteNew(path)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it first; use theirs.
		return LoadEd25519(path, false)
	}
	return priv, err
}
