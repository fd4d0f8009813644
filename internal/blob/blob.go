// Package blob stores documents encrypted at rest. Each blob is split into
// fixed-size chunks sealed with AES-256-GCM, each under its own random
// nonce, with the blob's header, its ID, the chunk's index and whether it
// is the last chunk authenticated as associated data: a chunk changed,
// dropped, reordered, cut off the end or moved into another blob fails to
// open. Files stream in and out; nothing holds a whole document in memory.
//
// Keys carry IDs (see Keyring). New blobs use the current key; old blobs
// name their key in the header and stay readable while the key is in the
// ring; Rotate re-encrypts a blob under the current key.
package blob

import (
	"bufio"
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ChunkSize is the plaintext bytes per sealed chunk: large enough that the
// 28 bytes of nonce and tag per chunk cost nothing, small enough to stream.
const ChunkSize = 64 << 10

const (
	magic     = "CAUBLOB1"
	nonceSize = 12
	tagSize   = 16
	idBytes   = 16
)

// Store keeps blobs as files under a directory, two hex characters of
// fan-out deep so no directory grows huge.
type Store struct {
	dir  string
	keys *Keyring
}

// New opens (creating if needed) a blob directory.
func New(dir string, keys *Keyring) (*Store, error) {
	if keys == nil {
		return nil, fmt.Errorf("%w: no keyring", ErrBadKeyring)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create blob directory: %w", err)
	}
	return &Store{dir: dir, keys: keys}, nil
}

// Path is where a blob's file lives (tests read the raw bytes there).
func (s *Store) Path(id string) (string, error) {
	if err := validID(id); err != nil {
		return "", err
	}
	return filepath.Join(s.dir, id[:2], id), nil
}

func validID(id string) error {
	if len(id) != 2*idBytes {
		return ErrBadID
	}
	if _, err := hex.DecodeString(id); err != nil || strings.ToLower(id) != id {
		return ErrBadID
	}
	return nil
}

func newID() (string, error) {
	b := make([]byte, idBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("blob id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// header is the plaintext file header; it is authenticated with every chunk.
func header(keyID string) []byte {
	h := make([]byte, 0, len(magic)+1+len(keyID)+4)
	h = append(h, magic...)
	h = append(h, byte(len(keyID)))
	h = append(h, keyID...)
	return binary.BigEndian.AppendUint32(h, ChunkSize)
}

// aad binds a chunk to its blob, its place and whether it ends the blob.
func aad(dst, hdr []byte, id string, index uint64, final bool) []byte {
	dst = append(dst[:0], hdr...)
	dst = append(dst, id...)
	dst = binary.BigEndian.AppendUint64(dst, index)
	if final {
		return append(dst, 1)
	}
	return append(dst, 0)
}

func gcmFor(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	return cipher.NewGCM(block)
}

// Create starts a new blob under the current key. Write to it, then Commit
// (the blob appears atomically) or Abort (nothing remains).
func (s *Store) Create() (*Writer, error) {
	id, err := newID()
	if err != nil {
		return nil, err
	}
	return s.create(id)
}

func (s *Store) create(id string) (*Writer, error) {
	keyID := s.keys.Current()
	key, _ := s.keys.key(keyID)
	aead, err := gcmFor(key)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create blob: %w", err)
	}
	w := &Writer{s: s, id: id, f: f, bw: bufio.NewWriterSize(f, ChunkSize+nonceSize+tagSize), aead: aead,
		hdr: header(keyID), buf: make([]byte, 0, ChunkSize)}
	if _, err := w.bw.Write(w.hdr); err != nil {
		w.Abort()
		return nil, fmt.Errorf("write blob header: %w", err)
	}
	return w, nil
}

// Writer encrypts a blob as it is written. It is not safe for concurrent use.
type Writer struct {
	s     *Store
	id    string
	f     *os.File
	bw    *bufio.Writer
	aead  cipher.AEAD
	hdr   []byte
	buf   []byte // plaintext of the chunk being filled
	out   []byte
	ad    []byte
	index uint64
	size  int64
	err   error
	done  bool
}

// ID is the blob's ID, valid once committed.
func (w *Writer) ID() string { return w.id }

// Size is the plaintext bytes written so far.
func (w *Writer) Size() int64 { return w.size }

// Write buffers p, sealing each chunk once the next byte shows it is not
// the last.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.done {
		return 0, errors.New("blob: write after commit or abort")
	}
	n := 0
	for len(p) > 0 {
		if len(w.buf) == ChunkSize {
			if err := w.seal(false); err != nil {
				return n, err
			}
		}
		k := copy(w.buf[len(w.buf):ChunkSize], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
		n += k
		w.size += int64(k)
	}
	return n, nil
}

func (w *Writer) seal(final bool) error {
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		w.err = fmt.Errorf("blob nonce: %w", err)
		return w.err
	}
	w.ad = aad(w.ad, w.hdr, w.id, w.index, final)
	w.out = w.aead.Seal(append(w.out[:0], nonce...), nonce, w.buf, w.ad)
	if _, err := w.bw.Write(w.out); err != nil {
		w.err = fmt.Errorf("write blob: %w", err)
		return w.err
	}
	w.index++
	w.buf = w.buf[:0]
	return nil
}

// Commit seals the last chunk, syncs the file and moves it into place.
func (w *Writer) Commit() error {
	if w.done {
		return errors.New("blob: commit after commit or abort")
	}
	err := w.err
	if err == nil {
		err = w.seal(true)
	}
	if err == nil {
		err = w.bw.Flush()
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	var dst string
	if err == nil {
		dst, err = w.s.Path(w.id)
	}
	if err == nil {
		err = os.MkdirAll(filepath.Dir(dst), 0o700)
	}
	if err == nil {
		err = os.Rename(w.f.Name(), dst)
	}
	w.done = true
	if err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("commit blob: %w", err)
	}
	return nil
}

// Abort discards the blob. It is safe after Commit (then it does nothing).
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.f.Close()
	os.Remove(w.f.Name())
}

// Open streams a blob's plaintext. Authentication failures surface as
// ErrCorrupt from Read, before any unauthenticated byte is returned.
func (s *Store) Open(id string) (io.ReadCloser, error) {
	r, err := s.openSealed(id, ChunkSize+nonceSize+tagSize)
	if err != nil {
		return nil, err
	}
	r.in = make([]byte, nonceSize+ChunkSize+tagSize)
	// Open the first chunk now: a blob damaged at its start fails here,
	// before a caller has sent any headers for it.
	r.next()
	if r.err != nil {
		r.f.Close()
		return nil, r.err
	}
	return r, nil
}

// openSealed opens a blob's file, reads its header and finds its key:
// what Open and OpenSection share. The reader's buffer is bufSize (Open
// streams through it; OpenSection reads only the header with it).
func (s *Store) openSealed(id string, bufSize int) (*reader, error) {
	path, err := s.Path(id)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open blob: %w", err)
	}
	r := &reader{f: f, br: bufio.NewReaderSize(f, bufSize), id: id}
	keyID, err := r.readHeader()
	if err != nil {
		f.Close()
		return nil, err
	}
	key, ok := s.keys.key(keyID)
	if !ok {
		f.Close()
		return nil, fmt.Errorf("blob %s key %q: %w", id, keyID, ErrUnknownKey)
	}
	if r.aead, err = gcmFor(key); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// KeyID names the key a blob is encrypted with.
func (s *Store) KeyID(id string) (string, error) {
	path, err := s.Path(id)
	if err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("blob %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("open blob: %w", err)
	}
	defer f.Close()
	r := &reader{br: bufio.NewReader(f), id: id}
	return r.readHeader()
}

type reader struct {
	f     *os.File
	br    *bufio.Reader
	aead  cipher.AEAD
	id    string
	hdr   []byte
	in    []byte
	plain []byte // decrypted bytes not yet returned
	ad    []byte
	index uint64
	final bool
	err   error
}

func (r *reader) readHeader() (string, error) {
	fixed := make([]byte, len(magic)+1)
	if _, err := io.ReadFull(r.br, fixed); err != nil || string(fixed[:len(magic)]) != magic {
		return "", fmt.Errorf("blob %s header: %w", r.id, ErrCorrupt)
	}
	rest := make([]byte, int(fixed[len(magic)])+4)
	if _, err := io.ReadFull(r.br, rest); err != nil {
		return "", fmt.Errorf("blob %s header: %w", r.id, ErrCorrupt)
	}
	if binary.BigEndian.Uint32(rest[len(rest)-4:]) != ChunkSize {
		return "", fmt.Errorf("blob %s: chunk size: %w", r.id, ErrCorrupt)
	}
	keyID := string(rest[:len(rest)-4])
	r.hdr = append(fixed, rest...)
	if !bytes.Equal(r.hdr, header(keyID)) {
		return "", fmt.Errorf("blob %s header: %w", r.id, ErrCorrupt)
	}
	return keyID, nil
}

func (r *reader) Read(p []byte) (int, error) {
	for len(r.plain) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.final {
			return 0, io.EOF
		}
		r.next()
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	return n, nil
}

// next opens the next chunk. A full-size chunk is the last one exactly
// when the file ends after it; the final flag in its associated data makes
// a blob cut at a chunk boundary fail instead of ending early.
func (r *reader) next() {
	n, err := io.ReadFull(r.br, r.in)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		r.final = true
	case err != nil:
		r.err = fmt.Errorf("read blob %s: %w", r.id, err)
		return
	default:
		if _, perr := r.br.Peek(1); errors.Is(perr, io.EOF) {
			r.final = true
		} else if perr != nil {
			r.err = fmt.Errorf("read blob %s: %w", r.id, perr)
			return
		}
	}
	if n < nonceSize+tagSize {
		r.err = fmt.Errorf("blob %s chunk %d: %w", r.id, r.index, ErrCorrupt)
		return
	}
	r.ad = aad(r.ad, r.hdr, r.id, r.index, r.final)
	plain, oerr := r.aead.Open(r.in[nonceSize:nonceSize], r.in[:nonceSize], r.in[nonceSize:n], r.ad)
	if oerr != nil {
		r.err = fmt.Errorf("blob %s chunk %d: %w", r.id, r.index, ErrCorrupt)
		return
	}
	r.plain = plain
	r.index++
}

func (r *reader) Close() error { return r.f.Close() }

// Remove deletes a blob; removing a missing blob is not an error.
func (s *Store) Remove(id string) error {
	path, err := s.Path(id)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove blob: %w", err)
	}
	return nil
}

// Rotate re-encrypts a blob under the current key if it uses another one,
// replacing the file atomically; it reports whether it changed anything.
// The old blob is fully authenticated before the new one replaces it.
func (s *Store) Rotate(id string) (bool, error) {
	keyID, err := s.KeyID(id)
	if err != nil {
		return false, err
	}
	if keyID == s.keys.Current() {
		return false, nil
	}
	src, err := s.Open(id)
	if err != nil {
		return false, err
	}
	defer src.Close()
	w, err := s.create(id)
	if err != nil {
		return false, err
	}
	if _, err := io.Copy(w, src); err != nil {
		w.Abort()
		return false, fmt.Errorf("rotate blob %s: %w", id, err)
	}
	if err := w.Commit(); err != nil {
		return false, fmt.Errorf("rotate blob %s: %w", id, err)
	}
	return true, nil
}

// RotateAll re-encrypts every blob not under the current key; it returns
// how many it rewrote. It stops at the first error or when ctx ends.
func (s *Store) RotateAll(ctx context.Context) (int, error) {
	n := 0
	err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || validID(d.Name()) != nil {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		changed, err := s.Rotate(d.Name())
		if changed {
			n++
		}
		return err
	})
	return n, err
}
