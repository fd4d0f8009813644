package loadtest

import (
	"encoding/binary"
	"errors"
	"time"
)

// Synthetic VP8: payloads that an SFU (and a browser's depacketizer) see
// as real VP8 — a valid payload descriptor (RFC 7741), a frame header with
// the key-frame bit, and for key frames the start code and dimensions —
// carrying a send timestamp so the receiver can measure forward delay. The
// picture data is filler: nobody decodes it.

// stampMagic marks a payload that carries a send timestamp.
const stampMagic = 0xCA0C

// frameHeaderLen is the VP8 frame header a key frame starts with:
// 3 bytes of frame tag, 3 of start code, 4 of dimensions.
const keyHeaderLen = 10

// interHeaderLen is the frame tag of an inter frame.
const interHeaderLen = 3

// stampLen is magic (2) + send time in Unix nanoseconds (8).
const stampLen = 10

// VP8Frame builds the RTP payloads of one frame of size bytes split into
// packets of at most mtu payload bytes. The first payload carries the
// frame header and the send timestamp.
func VP8Frame(size, mtu int, key bool, width, height int, sent time.Time) [][]byte {
	header := interHeaderLen
	if key {
		header = keyHeaderLen
	}
	if min := header + stampLen; size < min {
		size = min
	}
	const descLen = 1
	var out [][]byte
	remaining := size
	first := true
	for remaining > 0 {
		n := remaining
		if n > mtu-descLen {
			n = mtu - descLen
		}
		p := make([]byte, descLen+n)
		if first {
			p[0] = 0x10 // S=1: start of partition 0; PID=0
			writeFrameHeader(p[1:], key, width, height, size)
			binary.BigEndian.PutUint16(p[1+header:], stampMagic)
			binary.BigEndian.PutUint64(p[1+header+2:], uint64(sent.UnixNano()))
		} else {
			p[0] = 0x00 // continuation
		}
		out = append(out, p)
		remaining -= n
		first = false
	}
	return out
}

// writeFrameHeader writes the VP8 frame tag (RFC 6386 §9.1): bit 0 is the
// inverse key-frame flag, bits 1–3 the version, bit 4 show_frame, then 19
// bits of first partition size. Key frames add the start code and the
// 14-bit width and height.
func writeFrameHeader(b []byte, key bool, width, height, size int) {
	part := uint32(size) & 0x7FFFF
	tag := part<<5 | 1<<4 // show_frame, version 0
	if !key {
		tag |= 1
	}
	b[0], b[1], b[2] = byte(tag), byte(tag>>8), byte(tag>>16)
	if key {
		b[3], b[4], b[5] = 0x9d, 0x01, 0x2a
		binary.LittleEndian.PutUint16(b[6:], uint16(width&0x3FFF))
		binary.LittleEndian.PutUint16(b[8:], uint16(height&0x3FFF))
	}
}

// ErrNotVP8 means a payload is too short or malformed for VP8.
var ErrNotVP8 = errors.New("not a VP8 payload")

// VP8Info is what a receiver reads from one payload.
type VP8Info struct {
	Start  bool      // first packet of a frame (S bit, partition 0)
	Key    bool      // a key frame's first packet
	Width  int       // for key frames
	Height int       // for key frames
	Sent   time.Time // zero unless the payload carries a timestamp
}

// ParseVP8 reads the payload descriptor and, on a frame's first packet, the
// frame header and the timestamp.
func ParseVP8(p []byte) (VP8Info, error) {
	var info VP8Info
	if len(p) < 1 {
		return info, ErrNotVP8
	}
	i := 1
	if p[0]&0x80 != 0 { // X: extension byte follows
		if len(p) < 2 {
			return info, ErrNotVP8
		}
		ext := p[1]
		i = 2
		if ext&0x80 != 0 { // I: picture ID, 7 or 15 bits
			if len(p) <= i {
				return info, ErrNotVP8
			}
			if p[i]&0x80 != 0 {
				i += 2
			} else {
				i++
			}
		}
		if ext&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if ext&0x30 != 0 { // T or K: TID/KEYIDX byte
			i++
		}
	}
	if len(p) <= i {
		return info, ErrNotVP8
	}
	info.Start = p[0]&0x10 != 0 && p[0]&0x07 == 0
	if !info.Start {
		return info, nil
	}
	b := p[i:]
	if len(b) < interHeaderLen {
		return info, ErrNotVP8
	}
	info.Key = b[0]&0x01 == 0
	header := interHeaderLen
	if info.Key {
		if len(b) < keyHeaderLen || b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
			return info, ErrNotVP8
		}
		info.Width = int(binary.LittleEndian.Uint16(b[6:]) & 0x3FFF)
		info.Height = int(binary.LittleEndian.Uint16(b[8:]) & 0x3FFF)
		header = keyHeaderLen
	}
	if len(b) >= header+stampLen && binary.BigEndian.Uint16(b[header:]) == stampMagic {
		info.Sent = time.Unix(0, int64(binary.BigEndian.Uint64(b[header+2:])))
	}
	return info, nil
}

// OpusPayload is an Opus-sized audio payload (a 20 ms frame) carrying a
// send timestamp. Its first byte is a valid TOC (config 15: CELT-only
// fullband 20 ms, mono, one frame) so that Opus-aware code accepts it.
func OpusPayload(size int, sent time.Time) []byte {
	if size < 1+stampLen {
		size = 1 + stampLen
	}
	p := make([]byte, size)
	p[0] = 15 << 3
	binary.BigEndian.PutUint16(p[1:], stampMagic)
	binary.BigEndian.PutUint64(p[3:], uint64(sent.UnixNano()))
	return p
}

// OpusSent returns the timestamp of an OpusPayload, or zero.
func OpusSent(p []byte) time.Time {
	if len(p) < 1+stampLen || binary.BigEndian.Uint16(p[1:]) != stampMagic {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(p[3:])))
}
