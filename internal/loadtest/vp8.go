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

// stampMagic marks a payload that carries a send timestamp;
// stampFromMagic one that also names the packet as its publisher sent it
// (Stamp.From).
const (
	stampMagic     = 0xCA0C
	stampFromMagic = 0xCA0D
)

// frameHeaderLen is the VP8 frame header a key frame starts with:
// 3 bytes of frame tag, 3 of start code, 4 of dimensions.
const keyHeaderLen = 10

// interHeaderLen is the frame tag of an inter frame.
const interHeaderLen = 3

// stampLen is magic (2) + send time in Unix nanoseconds (8);
// stampFromLen adds the publisher's SSRC (4) and sequence number (2).
const (
	stampLen     = 10
	stampFromLen = stampLen + 6
)

// Stamp is what a synthetic payload tells its receiver: when the
// generator made it and, if From, which packet it was as its publisher
// sent it (SSRC and sequence number before the SFU rewrote them), to
// find when the publisher's socket took it (sendtime.go).
type Stamp struct {
	Sent time.Time
	From bool
	SSRC uint32
	Seq  uint16
}

// size is how many bytes st takes in a payload.
func (st Stamp) size() int {
	if st.From {
		return stampFromLen
	}
	return stampLen
}

// put writes st at the start of b (st.size() bytes).
func (st Stamp) put(b []byte) {
	magic := uint16(stampMagic)
	if st.From {
		magic = stampFromMagic
		binary.BigEndian.PutUint32(b[stampLen:], st.SSRC)
		binary.BigEndian.PutUint16(b[stampLen+4:], st.Seq)
	}
	binary.BigEndian.PutUint16(b, magic)
	binary.BigEndian.PutUint64(b[2:], uint64(st.Sent.UnixNano()))
}

// readStamp reads a stamp at the start of b: the zero Stamp if there is none.
func readStamp(b []byte) Stamp {
	if len(b) < stampLen {
		return Stamp{}
	}
	var st Stamp
	switch binary.BigEndian.Uint16(b) {
	case stampFromMagic:
		if len(b) < stampFromLen {
			return Stamp{}
		}
		st.From, st.SSRC, st.Seq = true, binary.BigEndian.Uint32(b[stampLen:]), binary.BigEndian.Uint16(b[stampLen+4:])
	case stampMagic:
	default:
		return Stamp{}
	}
	st.Sent = time.Unix(0, int64(binary.BigEndian.Uint64(b[2:])))
	return st
}

// VP8Frame builds the RTP payloads of one frame of size bytes split into
// packets of at most mtu payload bytes. The first payload carries the
// frame header and the send timestamp.
func VP8Frame(size, mtu int, key bool, width, height int, sent time.Time) [][]byte {
	return VP8FrameStamped(size, mtu, key, width, height, Stamp{Sent: sent})
}

// VP8FrameStamped is VP8Frame with the first payload carrying st.
func VP8FrameStamped(size, mtu int, key bool, width, height int, st Stamp) [][]byte {
	header := interHeaderLen
	if key {
		header = keyHeaderLen
	}
	if min := header + st.size(); size < min {
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
			st.put(p[1+header:])
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
	Start  bool  // first packet of a frame (S bit, partition 0)
	Key    bool  // a key frame's first packet
	Width  int   // for key frames
	Height int   // for key frames
	Stamp  Stamp // zero unless the payload carries a timestamp
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
	info.Stamp = readStamp(b[header:])
	return info, nil
}

// OpusPayload is an Opus-sized audio payload (a 20 ms frame) carrying a
// send timestamp. Its first byte is a valid TOC (config 15: CELT-only
// fullband 20 ms, mono, one frame) so that Opus-aware code accepts it.
func OpusPayload(size int, sent time.Time) []byte {
	return OpusPayloadStamped(size, Stamp{Sent: sent})
}

// OpusPayloadStamped is OpusPayload carrying st.
func OpusPayloadStamped(size int, st Stamp) []byte {
	if size < 1+st.size() {
		size = 1 + st.size()
	}
	p := make([]byte, size)
	p[0] = 15 << 3
	st.put(p[1:])
	return p
}

// OpusSent returns the timestamp of an OpusPayload, or zero.
func OpusSent(p []byte) time.Time { return OpusStamp(p).Sent }

// OpusStamp returns the stamp of an OpusPayload, or the zero Stamp.
func OpusStamp(p []byte) Stamp {
	if len(p) < 1 {
		return Stamp{}
	}
	return readStamp(p[1:])
}
