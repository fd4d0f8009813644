package blob

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func TestSectionReadsAnyRange(t *testing.T) {
	s, _ := New(t.TempDir(), testKeyring(t, "k1"))
	for _, n := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 5*ChunkSize + 777} {
		data := randomBytes(n)
		id := put(t, s, data)
		sec, err := s.OpenSection(id)
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		if sec.Size() != int64(n) {
			t.Fatalf("size %d: Size() = %d", n, sec.Size())
		}
		all, err := io.ReadAll(io.NewSectionReader(sec, 0, sec.Size()))
		if err != nil || !bytes.Equal(all, data) {
			t.Fatalf("size %d: whole read: %v, equal %v", n, err, bytes.Equal(all, data))
		}
		for _, r := range [][2]int{{0, 1}, {n / 2, n/2 + 3}, {ChunkSize - 2, ChunkSize + 2}, {n - 1, n}, {max(0, n-100000), n}} {
			lo, hi := max(0, min(r[0], n)), min(r[1], n)
			if lo >= hi {
				continue
			}
			buf := make([]byte, hi-lo)
			if _, err := sec.ReadAt(buf, int64(lo)); err != nil && !(errors.Is(err, io.EOF) && hi == n) {
				t.Fatalf("size %d [%d,%d): %v", n, lo, hi, err)
			}
			if !bytes.Equal(buf, data[lo:hi]) {
				t.Fatalf("size %d [%d,%d): bytes differ", n, lo, hi)
			}
		}
		if _, err := sec.ReadAt(make([]byte, 1), int64(n)); !errors.Is(err, io.EOF) {
			t.Fatalf("size %d: read at the end: %v, want EOF", n, err)
		}
		sec.Close()
	}
}

// A read near the end of a long blob opens only the chunks it covers.
func TestSectionSeekOpensFewChunks(t *testing.T) {
	s, _ := New(t.TempDir(), testKeyring(t, "k1"))
	data := randomBytes(200 * ChunkSize) // 12.5 MiB, 200 chunks
	sec, err := s.OpenSection(put(t, s, data))
	if err != nil {
		t.Fatal(err)
	}
	defer sec.Close()
	buf := make([]byte, 1<<20)
	off := int64(len(data) - len(buf))
	if _, err := io.ReadFull(io.NewSectionReader(sec, off, int64(len(buf))), buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf, data[off:]) {
		t.Fatal("last MiB differs")
	}
	// 16 chunks for the MiB plus the last one authenticated at open (the same).
	if sec.opened > 17 {
		t.Fatalf("reading the last MiB opened %d chunks, want at most 17", sec.opened)
	}
}

func TestSectionTamperingFails(t *testing.T) {
	data := randomBytes(3*ChunkSize + 100)
	cases := map[string]func(raw []byte) []byte{
		"flip a ciphertext bit":        func(raw []byte) []byte { raw[chunkAt(1)+100] ^= 1; return raw },
		"flip the last tag bit":        func(raw []byte) []byte { raw[len(raw)-1] ^= 1; return raw },
		"truncate at a chunk boundary": func(raw []byte) []byte { return raw[:chunkAt(3)] },
		"truncate mid-chunk":           func(raw []byte) []byte { return raw[:chunkAt(2)+500] },
		"only the header":              func(raw []byte) []byte { return raw[:chunkAt(0)] },
		"drop a middle chunk": func(raw []byte) []byte {
			return append(bytes.Clone(raw[:chunkAt(1)]), raw[chunkAt(2):]...)
		},
		"append garbage": func(raw []byte) []byte { return append(raw, randomBytes(64)...) },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			s, _ := New(t.TempDir(), testKeyring(t, "k1"))
			id := put(t, s, data)
			path, _ := s.Path(id)
			raw, _ := os.ReadFile(path)
			if err := os.WriteFile(path, mutate(raw), 0o600); err != nil {
				t.Fatal(err)
			}
			sec, err := s.OpenSection(id)
			if err == nil {
				_, err = io.ReadAll(io.NewSectionReader(sec, 0, sec.Size()))
				sec.Close()
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("want ErrCorrupt, got %v", err)
			}
		})
	}
}

// BenchmarkSectionLastMiB reads the last MiB of a 64 MiB blob through a
// fresh section (what one Range request costs); BenchmarkWholeRead reads
// the whole blob from the start (what seeking cost before sections).
func BenchmarkSectionLastMiB(b *testing.B) {
	s, id, size := benchBlob(b)
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		sec, err := s.OpenSection(id)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sec.ReadAt(buf, size-int64(len(buf))); err != nil && !errors.Is(err, io.EOF) {
			b.Fatal(err)
		}
		sec.Close()
	}
}

func BenchmarkWholeRead(b *testing.B) {
	s, id, size := benchBlob(b)
	b.SetBytes(size)
	for b.Loop() {
		r, err := s.Open(id)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}

func benchBlob(b *testing.B) (*Store, string, int64) {
	b.Helper()
	l, _ := NewKeyLine("k1")
	k, err := ParseKeyring(strings.NewReader(l))
	if err != nil {
		b.Fatal(err)
	}
	s, _ := New(b.TempDir(), k)
	w, _ := s.Create()
	chunk := randomBytes(1 << 20)
	for range 64 {
		w.Write(chunk)
	}
	if err := w.Commit(); err != nil {
		b.Fatal(err)
	}
	return s, w.ID(), 64 << 20
}
