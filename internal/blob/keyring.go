package blob

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the AES-256 key length in bytes.
const KeySize = 32

// maxKeyIDLen bounds key IDs: they are stored in every blob's header.
const maxKeyIDLen = 64

// Keyring holds the document encryption keys by ID. The current key
// encrypts new blobs; every key in the ring still decrypts old ones, so a
// key is rotated by appending a new line and later re-encrypting (Rotate).
type Keyring struct {
	keys    map[string][]byte
	current string
}

// NewKeyring builds a keyring from IDs and keys in order; the last is current.
func NewKeyring(ids []string, keys [][]byte) (*Keyring, error) {
	if len(ids) == 0 || len(ids) != len(keys) {
		return nil, fmt.Errorf("%w: no keys", ErrBadKeyring)
	}
	k := &Keyring{keys: make(map[string][]byte, len(ids))}
	for i, id := range ids {
		if err := validKeyID(id); err != nil {
			return nil, err
		}
		if len(keys[i]) != KeySize {
			return nil, fmt.Errorf("%w: key %q is %d bytes, want %d", ErrBadKeyring, id, len(keys[i]), KeySize)
		}
		if _, dup := k.keys[id]; dup {
			return nil, fmt.Errorf("%w: key id %q appears twice", ErrBadKeyring, id)
		}
		k.keys[id] = bytes.Clone(keys[i])
		k.current = id
	}
	return k, nil
}

func validKeyID(id string) error {
	if id == "" || len(id) > maxKeyIDLen {
		return fmt.Errorf("%w: key id %q must be 1 to %d characters", ErrBadKeyring, id, maxKeyIDLen)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("%w: key id %q may hold only letters, digits, '-', '_' and '.'", ErrBadKeyring, id)
		}
	}
	return nil
}

// ParseKeyring reads `keyid:base64-of-32-bytes` lines; blank lines and
// lines starting with # are skipped. The last key is the current one.
func ParseKeyring(r io.Reader) (*Keyring, error) {
	var ids []string
	var keys [][]byte
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, b64, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("%w: line %d is not keyid:base64", ErrBadKeyring, n)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: key is not base64", ErrBadKeyring, n)
		}
		ids = append(ids, strings.TrimSpace(id))
		keys = append(keys, key)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	return NewKeyring(ids, keys)
}

// LoadKeyring reads the keys file at path. When the file is missing and
// create is true (never in production) it writes a new file, mode 0600,
// holding one fresh key.
func LoadKeyring(path string, create bool) (*Keyring, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && create {
		if err := createKeysFile(path); err != nil {
			return nil, err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open keys file: %w", err)
	}
	defer f.Close()
	k, err := ParseKeyring(f)
	if err != nil {
		return nil, fmt.Errorf("keys file %s: %w", path, err)
	}
	return k, nil
}

func createKeysFile(path string) error {
	line, err := NewKeyLine("k1")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create keys directory: %w", err)
	}
	// O_EXCL: of two processes starting at once, one writes and both read it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create keys file %s: %w", path, err)
	}
	_, err = f.WriteString("# Cầu document keys: keyid:base64(32 bytes); the last line is current.\n" + line + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write keys file %s: %w", path, err)
	}
	return nil
}

// NewKeyLine returns a keys-file line holding a fresh random key.
func NewKeyLine(id string) (string, error) {
	if err := validKeyID(id); err != nil {
		return "", err
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(key), nil
}

// Current is the ID of the key new blobs are encrypted with.
func (k *Keyring) Current() string { return k.current }

func (k *Keyring) key(id string) ([]byte, bool) {
	key, ok := k.keys[id]
	return key, ok
}
