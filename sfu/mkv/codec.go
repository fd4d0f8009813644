package mkv

import (
	"encoding/binary"
	"errors"
)

// VP8Size reads the picture size from a VP8 key frame (RFC 6386 §9.1);
// false if frame is not one.
func VP8Size(frame []byte) (w, h int, ok bool) {
	if len(frame) < 10 || frame[0]&0x01 != 0 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, false
	}
	return int(binary.LittleEndian.Uint16(frame[6:]) & 0x3fff), int(binary.LittleEndian.Uint16(frame[8:]) & 0x3fff), true
}

// NALUnits splits an H.264 Annex B stream (start codes of 3 or 4 bytes,
// as pion's depacketizer writes) into its NAL units.
func NALUnits(annexB []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i+2 < len(annexB); i++ {
		if annexB[i] == 0 && annexB[i+1] == 0 && annexB[i+2] == 1 {
			if start >= 0 {
				end := i
				if end > start && annexB[end-1] == 0 {
					end--
				}
				out = append(out, annexB[start:end])
			}
			start = i + 3
			i += 2
		}
	}
	if start >= 0 && start < len(annexB) {
		out = append(out, annexB[start:])
	}
	return out
}

// AVCC turns NAL units into Matroska's block format: each behind its size
// in 4 bytes.
func AVCC(nals [][]byte) []byte {
	var n int
	for _, u := range nals {
		n += 4 + len(u)
	}
	out := make([]byte, 0, n)
	for _, u := range nals {
		out = binary.BigEndian.AppendUint32(out, uint32(len(u)))
		out = append(out, u...)
	}
	return out
}

// AVCConfig is the AVCDecoderConfigurationRecord (ISO/IEC 14496-15
// §5.2.4.1) of one SPS and one PPS: the CodecPrivate of an H.264 track.
func AVCConfig(sps, pps []byte) ([]byte, error) {
	if len(sps) < 4 || len(pps) < 1 {
		return nil, errors.New("mkv: short SPS or PPS")
	}
	b := []byte{1, sps[1], sps[2], sps[3], 0xff, 0xe1}
	b = binary.BigEndian.AppendUint16(b, uint16(len(sps)))
	b = append(b, sps...)
	b = append(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(len(pps)))
	return append(b, pps...), nil
}

// H264Size reads the picture size from a sequence parameter set (H.264
// §7.3.2.1.1); false for one it cannot read (scaling matrices).
func H264Size(sps []byte) (w, h int, ok bool) {
	if len(sps) < 4 {
		return 0, 0, false
	}
	r := bitReader{b: unescape(sps[1:])}
	profile := r.bits(8)
	r.bits(16) // constraint flags, level
	r.ue()     // seq_parameter_set_id
	chroma := 1
	switch profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		chroma = r.ue()
		if chroma == 3 {
			r.bits(1)
		}
		r.ue()    // bit_depth_luma
		r.ue()    // bit_depth_chroma
		r.bits(1) // qpprime_y_zero_transform_bypass
		if r.bits(1) == 1 {
			return 0, 0, false // scaling matrices: not worth parsing for a size
		}
	}
	r.ue() // log2_max_frame_num
	switch r.ue() {
	case 0:
		r.ue()
	case 1:
		r.bits(1)
		r.se()
		r.se()
		for n := r.ue(); n > 0 && !r.bad; n-- {
			r.se()
		}
	}
	r.ue()    // max_num_ref_frames
	r.bits(1) // gaps_in_frame_num_allowed
	mbW := r.ue() + 1
	mbH := r.ue() + 1
	frameMbs := r.bits(1)
	if frameMbs == 0 {
		r.bits(1)
	}
	r.bits(1) // direct_8x8_inference
	w, h = mbW*16, mbH*16*(2-frameMbs)
	if r.bits(1) == 1 { // frame_cropping
		cx, cy := 2, 2*(2-frameMbs)
		if chroma == 0 || chroma == 3 {
			cx, cy = 1, 2-frameMbs
		}
		l, rt, t, b := r.ue(), r.ue(), r.ue(), r.ue()
		w -= cx * (l + rt)
		h -= cy * (t + b)
	}
	return w, h, !r.bad && w > 0 && h > 0
}

// unescape drops the emulation prevention bytes (00 00 03).
func unescape(b []byte) []byte {
	out := make([]byte, 0, len(b))
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, c)
	}
	return out
}

type bitReader struct {
	b   []byte
	pos int
	bad bool
}

func (r *bitReader) bits(n int) int {
	v := 0
	for range n {
		if r.pos >= 8*len(r.b) {
			r.bad = true
			return 0
		}
		v = v<<1 | int(r.b[r.pos/8]>>(7-r.pos%8)&1)
		r.pos++
	}
	return v
}

func (r *bitReader) ue() int {
	zeros := 0
	for r.bits(1) == 0 {
		if r.bad || zeros > 31 {
			r.bad = true
			return 0
		}
		zeros++
	}
	return (1<<zeros - 1) + r.bits(zeros)
}

func (r *bitReader) se() int {
	v := r.ue()
	if v%2 == 1 {
		return (v + 1) / 2
	}
	return -v / 2
}
