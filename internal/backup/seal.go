package backup

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// A sealed archive is sealMagic, then chunks of at most sealChunk
// plaintext bytes, each written as a 4-byte big-endian length of the
// sealed chunk, the 12-byte nonce and the AES-256-GCM output. The chunk's
// index and whether it is the last are its associated data, so chunks cannot
// be reordered, dropped or cut off the end unnoticed.
const (
	sealMagic = "CAUBAK1\n"
	sealChunk = 1 << 20
)

// LoadKey reads a backup key file: 32 random bytes in base64 on one line.
func LoadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("%w: %s must hold 32 random bytes in base64 (e.g. `head -c32 /dev/urandom | base64`)", ErrBadKey, path)
	}
	return key, nil
}

func aeadFor(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	return cipher.NewGCM(block)
}

func chunkAD(index uint64, last bool) []byte {
	ad := make([]byte, 9)
	binary.BigEndian.PutUint64(ad, index)
	if last {
		ad[8] = 1
	}
	return ad
}

// sealWriter seals what is written to it; Close seals the last chunk.
type sealWriter struct {
	w     io.Writer
	aead  cipher.AEAD
	buf   []byte
	index uint64
}

func newSealWriter(w io.Writer, key []byte) (*sealWriter, error) {
	aead, err := aeadFor(key)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, sealMagic); err != nil {
		return nil, err
	}
	return &sealWriter{w: w, aead: aead, buf: make([]byte, 0, sealChunk)}, nil
}

func (s *sealWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if len(s.buf) == sealChunk {
			if err := s.flush(false); err != nil {
				return n, err
			}
		}
		k := copy(s.buf[len(s.buf):sealChunk], p)
		s.buf = s.buf[:len(s.buf)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

func (s *sealWriter) flush(last bool) error {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	out := s.aead.Seal(nonce, nonce, s.buf, chunkAD(s.index, last))
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(out)))
	if _, err := s.w.Write(n[:]); err != nil {
		return err
	}
	if _, err := s.w.Write(out); err != nil {
		return err
	}
	s.index++
	s.buf = s.buf[:0]
	return nil
}

func (s *sealWriter) Close() error { return s.flush(true) }

// openReader opens a sealed archive.
type openReader struct {
	r     *bufio.Reader
	aead  cipher.AEAD
	plain []byte
	index uint64
	last  bool
}

func newOpenReader(r *bufio.Reader, key []byte) (*openReader, error) {
	aead, err := aeadFor(key)
	if err != nil {
		return nil, err
	}
	magic := make([]byte, len(sealMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != sealMagic {
		return nil, fmt.Errorf("%w: not a sealed Cầu backup", ErrCorrupt)
	}
	return &openReader{r: r, aead: aead}, nil
}

func (o *openReader) Read(p []byte) (int, error) {
	for len(o.plain) == 0 {
		if o.last {
			return 0, io.EOF
		}
		if err := o.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, o.plain)
	o.plain = o.plain[n:]
	return n, nil
}

func (o *openReader) next() error {
	var n [4]byte
	if _, err := io.ReadFull(o.r, n[:]); err != nil {
		return fmt.Errorf("%w: sealed archive cut off after chunk %d", ErrCorrupt, o.index)
	}
	size := binary.BigEndian.Uint32(n[:])
	if size < uint32(o.aead.NonceSize()+o.aead.Overhead()) || size > sealChunk+64 {
		return fmt.Errorf("%w: sealed chunk %d has a bad length", ErrCorrupt, o.index)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(o.r, buf); err != nil {
		return fmt.Errorf("%w: sealed archive cut off in chunk %d", ErrCorrupt, o.index)
	}
	nonce, sealed := buf[:o.aead.NonceSize()], buf[o.aead.NonceSize():]
	// The last chunk is the one that opens with last=true.
	plain, err := o.aead.Open(nil, nonce, sealed, chunkAD(o.index, false))
	if err != nil {
		plain, err = o.aead.Open(nil, nonce, sealed, chunkAD(o.index, true))
		if err != nil {
			return fmt.Errorf("%w: sealed chunk %d does not open (wrong key or changed bytes)", ErrCorrupt, o.index)
		}
		o.last = true
		if _, err := o.r.Peek(1); !errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: bytes after the last sealed chunk", ErrCorrupt)
		}
	}
	o.plain = plain
	o.index++
	return nil
}
