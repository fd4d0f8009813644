package blob

import (
	"crypto/cipher"
	"fmt"
	"io"
	"os"
	"sync"
)

// Section reads a blob at any offset, opening only the chunks a read
// covers: every chunk has the same size on disk, so plaintext offset o is
// in chunk o/ChunkSize at a known file offset, and seeking to the last
// megabyte of a long recording decrypts 16 chunks, not the whole file.
// Each chunk is authenticated as in Open (its place, the blob's ID and
// whether it is the last are in its associated data), so a section never
// returns a byte a sequential read would refuse.
type Section struct {
	f      *os.File
	aead   cipher.AEAD
	id     string
	hdr    []byte
	size   int64 // plaintext bytes
	body   int64 // file bytes after the header
	chunks int64

	mu    sync.Mutex // guards the cached chunk and the buffers
	in    []byte
	ad    []byte
	plain []byte // plaintext of chunk cached
	// cached is the index of the chunk in plain; -1 when none.
	cached int64
	opened int // chunks decrypted so far (tests check a seek opens few)
}

// sealedChunk is one chunk's size in the file.
const sealedChunk = nonceSize + ChunkSize + tagSize

// OpenSection opens a blob for reading at offsets (io.ReaderAt). Wrap it
// in io.NewSectionReader(s, 0, s.Size()) for an io.ReadSeeker.
func (s *Store) OpenSection(id string) (*Section, error) {
	r, err := s.openSealed(id, 256)
	if err != nil {
		return nil, err
	}
	f, aead := r.f, r.aead
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat blob: %w", err)
	}
	sec := &Section{f: f, aead: aead, id: id, hdr: r.hdr, body: st.Size() - int64(len(r.hdr)),
		in: make([]byte, sealedChunk), cached: -1}
	// Every blob has at least one chunk (an empty blob seals an empty
	// final chunk), and only the last may be short.
	sec.chunks = (sec.body + sealedChunk - 1) / sealedChunk
	last := sec.body - (sec.chunks-1)*sealedChunk
	if sec.chunks < 1 || last < nonceSize+tagSize {
		f.Close()
		return nil, fmt.Errorf("blob %s: length: %w", id, ErrCorrupt)
	}
	sec.size = sec.body - sec.chunks*(nonceSize+tagSize)
	// Authenticate the last chunk now: a blob cut short fails here, before
	// a caller has sent any headers for it, and its size is then proven.
	sec.mu.Lock()
	err = sec.load(sec.chunks - 1)
	sec.mu.Unlock()
	if err != nil {
		f.Close()
		return nil, err
	}
	return sec, nil
}

// Size is the blob's plaintext length in bytes.
func (s *Section) Size() int64 { return s.size }

// load opens chunk i into s.plain; the caller holds s.mu.
func (s *Section) load(i int64) error {
	if s.cached == i {
		return nil
	}
	s.cached = -1
	n := min(int64(sealedChunk), s.body-i*sealedChunk)
	in := s.in[:n]
	if _, err := s.f.ReadAt(in, int64(len(s.hdr))+i*sealedChunk); err != nil {
		return fmt.Errorf("read blob %s chunk %d: %w", s.id, i, err)
	}
	s.ad = aad(s.ad, s.hdr, s.id, uint64(i), i == s.chunks-1)
	plain, err := s.aead.Open(s.plain[:0], in[:nonceSize], in[nonceSize:], s.ad)
	if err != nil {
		return fmt.Errorf("blob %s chunk %d: %w", s.id, i, ErrCorrupt)
	}
	s.plain, s.cached = plain, i
	s.opened++
	return nil
}

// ReadAt reads len(p) bytes at plaintext offset off (io.ReaderAt).
func (s *Section) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("blob %s: negative offset", s.id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for n < len(p) {
		if off >= s.size {
			return n, io.EOF
		}
		if err := s.load(off / ChunkSize); err != nil {
			return n, err
		}
		k := copy(p[n:], s.plain[off%ChunkSize:])
		n += k
		off += int64(k)
	}
	return n, nil
}

// Close closes the blob's file.
func (s *Section) Close() error { return s.f.Close() }
