// Package mkv writes Matroska and WebM files as a recorder needs them:
// blocks go to disk as they come, so a file cut at any byte (a crash, a
// kill -9) still plays up to the cut, and closing it only adds what a
// player needs to seek (the duration, and the cues).
//
// The segment has an unknown size, as a live stream's; each cluster is
// kept in memory until it closes (a video key frame after clusterMin, or
// clusterMax of any block) and is then written whole with its size, so
// at most about a second is lost to a crash. Every track's block
// timestamps are kept strictly increasing (a block that would repeat or
// go back gets its track's last time plus 1 ms): ffmpeg rejects a
// repeated time with "non monotonically increasing dts".
package mkv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"time"
)

// Codec IDs (Matroska codec specs).
const (
	CodecVP8  = "V_VP8"
	CodecH264 = "V_MPEG4/ISO/AVC"
	CodecOpus = "A_OPUS"
)

// Cluster timing, in milliseconds: a cluster closes at a video key frame
// once clusterMin long (so a seek lands on a key frame), and at any block
// once clusterMax long (so a crash loses at most about that much).
const (
	clusterMin = 500
	clusterMax = 1000
)

// Track is one track of a file.
type Track struct {
	Number       uint8 // 1-based
	CodecID      string
	CodecPrivate []byte // H.264: the avcC record; Opus: the OpusHead
	// Video
	Width, Height int
	// Audio
	SampleRate float64
	Channels   int
	// CodecDelay and SeekPreRoll (Opus: its pre-skip, and 80 ms).
	CodecDelay, SeekPreRoll time.Duration
}

func (t Track) video() bool { return t.CodecID == CodecVP8 || t.CodecID == CodecH264 }

// Writer writes one file. Not safe for concurrent use.
type Writer struct {
	f      *os.File
	tracks []Track
	// durationAt is the file offset of the Info's Duration float, patched
	// on Close; segmentData where the segment's content starts (cue
	// positions count from it).
	durationAt  int64
	segmentData int64
	written     int64

	cluster     bytes.Buffer
	clusterTime int64 // ms of the open cluster; -1: none
	clusterAt   int64 // file offset the open cluster will be written at
	last        [256]int64
	seen        [256]bool
	end         int64 // ms: the latest block time plus its duration
	cues        []cue
	err         error
}

type cue struct {
	time  int64
	track uint8
	at    int64 // cluster position relative to segmentData
}

// Create creates the file at path (DocType webm when every codec is
// VP8 or Opus, else matroska) and writes its header.
func Create(path string, date time.Time, tracks []Track) (*Writer, error) {
	if len(tracks) == 0 {
		return nil, errors.New("mkv: no tracks")
	}
	doc := "webm"
	for _, t := range tracks {
		if t.Number == 0 {
			return nil, fmt.Errorf("mkv: track %s has number 0", t.CodecID)
		}
		if t.CodecID == CodecH264 {
			doc = "matroska"
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("mkv: %w", err)
	}
	w := &Writer{f: f, tracks: tracks, clusterTime: -1}
	var b bytes.Buffer
	b.Write(element(0x1A45DFA3, concat( // EBML
		uintEl(0x4286, 1), uintEl(0x42F7, 1), uintEl(0x42F2, 4), uintEl(0x42F3, 8),
		strEl(0x4282, doc), uintEl(0x4287, 4), uintEl(0x4285, 2))))
	b.Write([]byte{0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}) // Segment, unknown size
	w.segmentData = int64(b.Len())
	// Info: TimestampScale 1 ms, Duration (patched on Close), DateUTC.
	infoStart := b.Len()
	info := concat(uintEl(0x2AD7B1, 1_000_000), strEl(0x4D80, "cau"), strEl(0x5741, "cau recorder"))
	durOff := len(info)
	info = append(info, floatEl(0x4489, 0)...)
	info = append(info, intEl(0x4461, date.Sub(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)).Nanoseconds())...)
	infoEl := element(0x1549A966, info)
	w.durationAt = int64(infoStart + len(infoEl) - len(info) + durOff + 3) // ID (2) + size (1)
	b.Write(infoEl)
	var entries []byte
	for _, t := range tracks {
		entries = append(entries, trackEntry(t)...)
	}
	b.Write(element(0x1654AE6B, entries)) // Tracks
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		return nil, fmt.Errorf("mkv: header: %w", err)
	}
	w.written = int64(b.Len())
	return w, nil
}

func trackEntry(t Track) []byte {
	e := concat(uintEl(0xD7, uint64(t.Number)), uintEl(0x73C5, uint64(t.Number)), strEl(0x86, t.CodecID))
	if len(t.CodecPrivate) > 0 {
		e = append(e, element(0x63A2, t.CodecPrivate)...)
	}
	if t.CodecDelay > 0 {
		e = append(e, uintEl(0x56AA, uint64(t.CodecDelay.Nanoseconds()))...)
	}
	if t.SeekPreRoll > 0 {
		e = append(e, uintEl(0x56BB, uint64(t.SeekPreRoll.Nanoseconds()))...)
	}
	if t.video() {
		e = append(e, uintEl(0x83, 1)...)
		e = append(e, element(0xE0, concat(uintEl(0xB0, uint64(t.Width)), uintEl(0xBA, uint64(t.Height))))...)
	} else {
		e = append(e, uintEl(0x83, 2)...)
		e = append(e, element(0xE1, concat(floatEl(0xB5, t.SampleRate), uintEl(0x9F, uint64(t.Channels))))...)
	}
	return element(0xAE, e)
}

// Write adds a frame of track at ms (milliseconds from the file's time
// zero, not negative) lasting dur ms (for the duration only). A time at
// or before the track's last is moved to just after it.
func (w *Writer) Write(track uint8, ms int64, dur int64, key bool, data []byte) error {
	if w.err != nil {
		return w.err
	}
	ms = max(ms, 0)
	if w.seen[track] && ms <= w.last[track] {
		ms = w.last[track] + 1
	}
	w.seen[track], w.last[track] = true, ms
	video := w.isVideo(track)
	open := w.clusterTime >= 0
	if !open || ms-w.clusterTime >= clusterMax || (video && key && ms-w.clusterTime >= clusterMin) ||
		ms-w.clusterTime > math.MaxInt16 || ms < w.clusterTime-math.MaxInt16 || w.cluster.Len() > 4<<20 {
		if err := w.flush(); err != nil {
			return err
		}
		w.clusterTime = ms
		w.cluster.Write(uintEl(0xE7, uint64(ms))) // Timestamp
	}
	if video && key {
		w.cues = append(w.cues, cue{time: ms, track: track, at: w.clusterAt - w.segmentData})
	}
	// SimpleBlock: track number (vint), relative time (int16), flags.
	rel := int16(ms - w.clusterTime)
	flags := byte(0)
	if key {
		flags = 0x80
	}
	hdr := []byte{0x80 | track, byte(uint16(rel) >> 8), byte(rel), flags}
	w.cluster.Write([]byte{0xA3})
	w.cluster.Write(vint(uint64(len(hdr) + len(data))))
	w.cluster.Write(hdr)
	w.cluster.Write(data)
	w.end = max(w.end, ms+dur)
	return nil
}

func (w *Writer) isVideo(track uint8) bool {
	for _, t := range w.tracks {
		if t.Number == track {
			return t.video()
		}
	}
	return false
}

// flush writes the open cluster, whole, with its size.
func (w *Writer) flush() error {
	if w.clusterTime < 0 {
		w.clusterAt = w.written
		return nil
	}
	c := element(0x1F43B675, w.cluster.Bytes())
	w.cluster.Reset()
	w.clusterTime = -1
	if _, err := w.f.Write(c); err != nil {
		w.err = fmt.Errorf("mkv: write cluster: %w", err)
		return w.err
	}
	w.written += int64(len(c))
	w.clusterAt = w.written
	return nil
}

// Duration is the time from zero to the end of the latest block.
func (w *Writer) Duration() time.Duration { return time.Duration(w.end) * time.Millisecond }

// Close writes the last cluster and the cues, sets the duration and
// closes the file. The file is synced to disk first.
func (w *Writer) Close() error {
	if w.f == nil {
		return w.err
	}
	err := w.flush()
	if err == nil && len(w.cues) > 0 {
		var points []byte
		for _, c := range w.cues {
			pos := element(0xB7, concat(uintEl(0xF7, uint64(c.track)), uintEl(0xF1, uint64(c.at))))
			points = append(points, element(0xBB, concat(uintEl(0xB3, uint64(c.time)), pos))...)
		}
		if _, werr := w.f.Write(element(0x1C53BB6B, points)); werr != nil {
			err = fmt.Errorf("mkv: cues: %w", werr)
		}
	}
	if err == nil {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], math.Float64bits(float64(w.end)))
		if _, werr := w.f.WriteAt(b[:], w.durationAt); werr != nil {
			err = fmt.Errorf("mkv: duration: %w", werr)
		}
	}
	if serr := w.f.Sync(); err == nil && serr != nil {
		err = fmt.Errorf("mkv: sync: %w", serr)
	}
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("mkv: close: %w", cerr)
	}
	w.f = nil
	if w.err == nil {
		w.err = errors.New("mkv: closed")
	}
	return err
}

// EBML encoding.

func vint(n uint64) []byte {
	for l := 1; l <= 8; l++ {
		if n < 1<<(7*l)-1 {
			b := make([]byte, l)
			for i := l - 1; i >= 0; i-- {
				b[i] = byte(n)
				n >>= 8
			}
			b[0] |= 1 << (8 - l)
			return b
		}
	}
	panic("mkv: size too large")
}

func id(i uint32) []byte {
	switch {
	case i >= 1<<24:
		return []byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}
	case i >= 1<<16:
		return []byte{byte(i >> 16), byte(i >> 8), byte(i)}
	case i >= 1<<8:
		return []byte{byte(i >> 8), byte(i)}
	}
	return []byte{byte(i)}
}

func element(i uint32, data []byte) []byte {
	return concat(id(i), vint(uint64(len(data))), data)
}

func uintEl(i uint32, v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	n := 7
	for n > 0 && b[7-n] == 0 {
		n--
	}
	return element(i, b[7-n:])
}

func intEl(i uint32, v int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(v))
	return element(i, b[:])
}

// floatEl is always 8 bytes, so the Duration can be patched in place.
func floatEl(i uint32, v float64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], math.Float64bits(v))
	return concat(id(i), []byte{0x88}, b[:])
}

func strEl(i uint32, s string) []byte { return element(i, []byte(s)) }

func concat(parts ...[]byte) []byte {
	var n int
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
