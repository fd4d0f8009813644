// Package red reads and writes RTP payloads for redundant audio data
// (RFC 2198), as Chromium sends Opus when "audio/red" is negotiated: each
// packet carries its own frame (the primary block) after copies of the
// frames of the packets before it (the redundant blocks), so one lost
// packet is rebuilt from the next.
//
// A payload is a list of block headers, then the blocks' data in the same
// order. A redundant block's header is four bytes: F=1, its payload type
// (7 bits), how many clock ticks its frame is older than the packet's
// timestamp (14 bits) and its length in bytes (10 bits). The last header,
// the primary's, is one byte: F=0 and the payload type; its data runs to
// the end of the payload.
//
// Parse and Primary do not allocate; malformed payloads are refused with
// an error, never read past their end.
package red

import "errors"

// Limits of the format (RFC 2198 §3) and of this reader.
const (
	// MaxBlocks is the most blocks a payload may have, the primary
	// included: Chromium sends at most three; more is refused.
	MaxBlocks = 16
	// MaxTSOffset is the largest timestamp offset a redundant block can
	// carry: 341 ms at 48 kHz.
	MaxTSOffset = 1<<14 - 1
	// MaxLength is the largest redundant block in bytes.
	MaxLength = 1<<10 - 1
)

// Errors of a payload that is not RED.
var (
	ErrTruncated = errors.New("red: payload ends inside a block or its header")
	ErrTooMany   = errors.New("red: more blocks than a payload may have")
	ErrBlock     = errors.New("red: block out of the format's range")
)

// Block is one encoding of a frame in a RED payload.
type Block struct {
	PT uint8
	// TSOffset is how far the frame's timestamp is before the packet's;
	// 0 for the primary.
	TSOffset uint16
	// Data is the block's encoding, a slice of the parsed payload.
	Data []byte
}

// Parse appends the blocks of payload to blocks: the redundant ones oldest
// first, then the primary, which is always last. Their data is part of
// payload. With fewer than MaxBlocks of capacity it may allocate.
func Parse(payload []byte, blocks []Block) ([]Block, error) {
	first := len(blocks)
	var lengths [MaxBlocks]int
	i := 0
	for {
		if i >= len(payload) {
			return blocks[:first], ErrTruncated
		}
		b := payload[i]
		if b&0x80 == 0 { // the primary's header ends the list
			blocks = append(blocks, Block{PT: b & 0x7f})
			i++
			break
		}
		if len(blocks)-first == MaxBlocks-1 {
			return blocks[:first], ErrTooMany
		}
		if i+4 > len(payload) {
			return blocks[:first], ErrTruncated
		}
		off := uint16(payload[i+1])<<6 | uint16(payload[i+2])>>2
		n := int(payload[i+2]&0x03)<<8 | int(payload[i+3])
		lengths[len(blocks)-first] = n
		blocks = append(blocks, Block{PT: b & 0x7f, TSOffset: off})
		i += 4
	}
	last := len(blocks) - 1
	for k := first; k < last; k++ {
		n := lengths[k-first]
		if i+n > len(payload) {
			return blocks[:first], ErrTruncated
		}
		blocks[k].Data = payload[i : i+n : i+n]
		i += n
	}
	blocks[last].Data = payload[i:len(payload):len(payload)]
	return blocks, nil
}

// Primary returns the primary block of payload, checking the whole
// header list as Parse does, without a block list.
func Primary(payload []byte) (Block, error) {
	i, data, blocks := 0, 0, 0
	for {
		if i >= len(payload) {
			return Block{}, ErrTruncated
		}
		b := payload[i]
		if b&0x80 == 0 {
			i++
			if i+data > len(payload) {
				return Block{}, ErrTruncated
			}
			return Block{PT: b & 0x7f, Data: payload[i+data : len(payload) : len(payload)]}, nil
		}
		if blocks++; blocks == MaxBlocks {
			return Block{}, ErrTooMany
		}
		if i+4 > len(payload) {
			return Block{}, ErrTruncated
		}
		data += int(payload[i+2]&0x03)<<8 | int(payload[i+3])
		i += 4
	}
}

// Append writes a RED payload onto dst: the redundant blocks (oldest
// first) and then the primary, whose TSOffset is ignored.
func Append(dst []byte, redundant []Block, primary Block) ([]byte, error) {
	if len(redundant) >= MaxBlocks {
		return dst, ErrTooMany
	}
	for _, b := range redundant {
		if b.PT > 0x7f || b.TSOffset > MaxTSOffset || len(b.Data) > MaxLength {
			return dst, ErrBlock
		}
	}
	if primary.PT > 0x7f {
		return dst, ErrBlock
	}
	for _, b := range redundant {
		n := len(b.Data)
		dst = append(dst, 0x80|b.PT, byte(b.TSOffset>>6), byte(b.TSOffset<<2)|byte(n>>8), byte(n))
	}
	dst = append(dst, primary.PT)
	for _, b := range redundant {
		dst = append(dst, b.Data...)
	}
	return append(dst, primary.Data...), nil
}

// SetPT rewrites, in place, the payload type of every block of payload
// that has from to to (a subscriber that numbered Opus differently from
// its publisher). The payload must have parsed.
func SetPT(payload []byte, from, to uint8) {
	for i := 0; i < len(payload); i += 4 {
		b := payload[i]
		if b&0x7f == from {
			payload[i] = b&0x80 | to
		}
		if b&0x80 == 0 {
			return
		}
	}
}
