package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testKeyring(t *testing.T, ids ...string) *Keyring {
	t.Helper()
	var lines []string
	for _, id := range ids {
		l, err := NewKeyLine(id)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	k, err := ParseKeyring(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func put(t *testing.T, s *Store, data []byte) string {
	t.Helper()
	w, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	// Odd-sized writes cross chunk boundaries.
	for p := data; len(p) > 0; {
		n := min(len(p), 7777)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if w.Size() != int64(len(data)) {
		t.Fatalf("size %d, want %d", w.Size(), len(data))
	}
	return w.ID()
}

func get(s *Store, id string) ([]byte, error) {
	r, err := s.Open(id)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func TestRoundTripSizes(t *testing.T) {
	s, err := New(t.TempDir(), testKeyring(t, "k1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3 * ChunkSize, 3*ChunkSize + 12345} {
		data := randomBytes(n)
		id := put(t, s, data)
		got, err := get(s, id)
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("size %d: got %d bytes back, not the same", n, len(got))
		}
	}
}

func TestStoredBytesHoldNoPlaintext(t *testing.T) {
	s, _ := New(t.TempDir(), testKeyring(t, "k1"))
	secret := bytes.Repeat([]byte("Tài liệu MẬT của Ủy ban nhân dân tỉnh. "), 5000)
	id := put(t, s, secret)
	path, _ := s.Path(id)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("Tài liệu")) || bytes.Contains(raw, []byte("nhân dân")) {
		t.Fatal("the stored file contains the plaintext")
	}
	if len(raw) <= len(secret) {
		t.Fatalf("stored %d bytes for %d of plaintext: no room for nonces and tags", len(raw), len(secret))
	}
}

// chunkAt returns the byte offset of chunk i in a blob file of key id "k1".
func chunkAt(i int) int {
	return len(header("k1")) + i*(nonceSize+ChunkSize+tagSize)
}

func TestTamperingFails(t *testing.T) {
	data := randomBytes(3*ChunkSize + 100) // 4 chunks
	chunk := nonceSize + ChunkSize + tagSize
	cases := []struct {
		name   string
		mutate func(raw []byte) []byte
	}{
		{"flip a ciphertext bit", func(raw []byte) []byte { raw[chunkAt(1)+100] ^= 1; return raw }},
		{"flip a nonce bit", func(raw []byte) []byte { raw[chunkAt(2)] ^= 0x80; return raw }},
		{"flip a tag bit", func(raw []byte) []byte { raw[len(raw)-1] ^= 1; return raw }},
		{"truncate at a chunk boundary", func(raw []byte) []byte { return raw[:chunkAt(3)] }},
		{"truncate mid-chunk", func(raw []byte) []byte { return raw[:chunkAt(2)+500] }},
		{"drop the last byte", func(raw []byte) []byte { return raw[:len(raw)-1] }},
		{"only the header", func(raw []byte) []byte { return raw[:chunkAt(0)] }},
		{"swap chunks 0 and 1", func(raw []byte) []byte {
			out := bytes.Clone(raw)
			copy(out[chunkAt(0):], raw[chunkAt(1):chunkAt(1)+chunk])
			copy(out[chunkAt(1):], raw[chunkAt(0):chunkAt(0)+chunk])
			return out
		}},
		{"drop a middle chunk", func(raw []byte) []byte {
			return append(bytes.Clone(raw[:chunkAt(1)]), raw[chunkAt(2):]...)
		}},
		{"change the chunk size in the header", func(raw []byte) []byte { raw[len(header("k1"))-1] ^= 1; return raw }},
		{"append garbage", func(raw []byte) []byte { return append(raw, randomBytes(64)...) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := New(t.TempDir(), testKeyring(t, "k1"))
			id := put(t, s, data)
			path, _ := s.Path(id)
			raw, _ := os.ReadFile(path)
			if err := os.WriteFile(path, tc.mutate(raw), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := get(s, id)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("want ErrCorrupt, got %v with %d bytes", err, len(got))
			}
		})
	}
}

func TestBlobMovedToAnotherIDFails(t *testing.T) {
	s, _ := New(t.TempDir(), testKeyring(t, "k1"))
	a := put(t, s, []byte("biên bản A"))
	b := put(t, s, []byte("biên bản B"))
	pa, _ := s.Path(a)
	pb, _ := s.Path(b)
	raw, _ := os.ReadFile(pa)
	if err := os.WriteFile(pb, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := get(s, b); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("blob A's bytes under B's ID: want ErrCorrupt, got %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	dir := t.TempDir()
	l1, _ := NewKeyLine("2026-01")
	l2, _ := NewKeyLine("2026-11")
	old, err := ParseKeyring(strings.NewReader(l1))
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := New(dir, old)
	data := randomBytes(2*ChunkSize + 5)
	id := put(t, s1, data)

	// The operator appends a new key: old blobs stay readable, new ones use it.
	both, err := ParseKeyring(strings.NewReader("# comment\n" + l1 + "\n\n" + l2 + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := New(dir, both)
	if got, err := get(s2, id); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("old blob after adding a key: %v", err)
	}
	id2 := put(t, s2, []byte("mới"))
	if k, _ := s2.KeyID(id2); k != "2026-11" {
		t.Fatalf("new blob key %q, want 2026-11", k)
	}
	if k, _ := s2.KeyID(id); k != "2026-01" {
		t.Fatalf("old blob key %q, want 2026-01", k)
	}

	n, err := s2.RotateAll(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("RotateAll = %d, %v; want 1 rewritten", n, err)
	}
	if k, _ := s2.KeyID(id); k != "2026-11" {
		t.Fatalf("rotated blob key %q, want 2026-11", k)
	}
	if changed, err := s2.Rotate(id); changed || err != nil {
		t.Fatalf("second rotate = %v, %v; want nothing to do", changed, err)
	}

	// With the old key retired, the rotated blob still opens.
	newOnly, _ := ParseKeyring(strings.NewReader(l2))
	s3, _ := New(dir, newOnly)
	if got, err := get(s3, id); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("rotated blob with only the new key: %v", err)
	}
	// And a blob under a retired key says so.
	s4, _ := New(dir, old)
	if _, err := get(s4, id); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("blob under a key not in the ring: want ErrUnknownKey, got %v", err)
	}
	// No temporary files are left behind.
	left, _ := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	s, _ := New(dir, testKeyring(t, "k1"))
	w, _ := s.Create()
	w.Write(randomBytes(ChunkSize * 2))
	w.Abort()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("abort left %d entries", len(entries))
	}
	if _, err := s.Open(w.ID()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("aborted blob: want ErrNotFound, got %v", err)
	}
}

func TestKeyringErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"k1",
		"k1:not-base64!",
		"k1:AAAA",
		"bad id:" + strings.Repeat("A", 43) + "=",
		"k1:" + strings.Repeat("A", 43) + "=\nk1:" + strings.Repeat("B", 43) + "=",
	} {
		if _, err := ParseKeyring(strings.NewReader(in)); !errors.Is(err, ErrBadKeyring) {
			t.Errorf("ParseKeyring(%q) = %v, want ErrBadKeyring", in, err)
		}
	}
}

func TestLoadKeyringCreates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "documents.keys")
	if _, err := LoadKeyring(path, false); err == nil {
		t.Fatal("missing keys file without create: want an error")
	}
	k1, err := LoadKeyring(path, true)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keys file mode %v, %v; want 0600", fi.Mode(), err)
	}
	k2, err := LoadKeyring(path, true)
	if err != nil || k2.Current() != k1.Current() || !bytes.Equal(k1.keys[k1.Current()], k2.keys[k2.Current()]) {
		t.Fatal("loading again must read the same key, not make a new one")
	}
}

func TestBadIDs(t *testing.T) {
	s, _ := New(t.TempDir(), testKeyring(t, "k1"))
	for _, id := range []string{"", "../../etc/passwd", strings.Repeat("Z", 32), strings.Repeat("A", 32)} {
		if _, err := s.Open(id); !errors.Is(err, ErrBadID) {
			t.Errorf("Open(%q) = %v, want ErrBadID", id, err)
		}
	}
}
