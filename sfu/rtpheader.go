package sfu

import "encoding/binary"

// rtpInfo is what the forwarder needs from an RTP packet, parsed in place
// without allocating (pion's rtp.Header.Unmarshal allocates its extension
// and CSRC slices on every packet).
type rtpInfo struct {
	marker      bool
	payloadType uint8
	seq         uint16
	ts          uint32
	ssrc        uint32
	// payloadStart and payloadEnd bound the payload in the buffer;
	// padding is excluded.
	payloadStart, payloadEnd int
	// extStart and extEnd bound the header extension data (after the
	// 4-byte extension header); extProfile is 0 if there is none.
	extProfile uint16
	extStart   int
	extEnd     int
}

// parseRTP reads the fixed header, CSRCs, extension and padding of an RTP
// packet (RFC 3550 §5.1). It reports false for anything malformed.
func parseRTP(b []byte, h *rtpInfo) bool {
	if len(b) < 12 || b[0]>>6 != 2 {
		return false
	}
	padding := b[0]&0x20 != 0
	hasExt := b[0]&0x10 != 0
	cc := int(b[0] & 0x0f)
	h.marker = b[1]&0x80 != 0
	h.payloadType = b[1] & 0x7f
	h.seq = binary.BigEndian.Uint16(b[2:4])
	h.ts = binary.BigEndian.Uint32(b[4:8])
	h.ssrc = binary.BigEndian.Uint32(b[8:12])
	off := 12 + 4*cc
	h.extProfile, h.extStart, h.extEnd = 0, 0, 0
	if hasExt {
		if len(b) < off+4 {
			return false
		}
		h.extProfile = binary.BigEndian.Uint16(b[off : off+2])
		words := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
		h.extStart = off + 4
		h.extEnd = h.extStart + 4*words
		off = h.extEnd
	}
	end := len(b)
	if padding {
		if end <= off {
			return false
		}
		pad := int(b[end-1])
		if pad == 0 {
			return false
		}
		end -= pad
	}
	if off > end {
		return false
	}
	h.payloadStart, h.payloadEnd = off, end
	return true
}

// findExtension returns the data of one-byte (RFC 8285 §4.2, profile
// 0xBEDE) or two-byte (§4.3, profile 0x100x) header extension id, or nil.
func findExtension(b []byte, h *rtpInfo, id uint8) []byte {
	if h.extProfile == 0 || id == 0 {
		return nil
	}
	ext := b[h.extStart:h.extEnd]
	switch {
	case h.extProfile == 0xBEDE:
		for i := 0; i < len(ext); {
			if ext[i] == 0 { // padding byte
				i++
				continue
			}
			eid := ext[i] >> 4
			l := int(ext[i]&0x0f) + 1
			if eid == 15 { // reserved: stop parsing (RFC 8285 §4.2)
				return nil
			}
			i++
			if i+l > len(ext) {
				return nil
			}
			if eid == id {
				return ext[i : i+l]
			}
			i += l
		}
	case h.extProfile&0xFFF0 == 0x1000:
		for i := 0; i < len(ext); {
			if ext[i] == 0 {
				i++
				continue
			}
			if i+2 > len(ext) {
				return nil
			}
			eid, l := ext[i], int(ext[i+1])
			i += 2
			if i+l > len(ext) {
				return nil
			}
			if eid == id {
				return ext[i : i+l]
			}
			i += l
		}
	}
	return nil
}

// audioLevel reads the RFC 6464 audio level extension: the level in
// -dBov (0 loudest, 127 silence) and the voice activity flag.
func audioLevel(data []byte) (level uint8, voice bool, ok bool) {
	if len(data) < 1 {
		return 0, false, false
	}
	return data[0] & 0x7f, data[0]&0x80 != 0, true
}
