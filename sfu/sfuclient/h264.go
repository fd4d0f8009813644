package sfuclient

import (
	"math/bits"
	"math/rand/v2"
)

// Synthetic H.264, packetized as hardware encoders and browsers send it
// (RFC 6184, packetization mode 1): a key frame is an SPS, a PPS and an
// IDR slice, each NAL unit in its own packet, a slice too large for one
// packet fragmented into FU-A packets. The parameter sets are real
// (Constrained Baseline, level 3.1, as profile-level-id 42e01f says); the
// slices carry the synthetic marker and random bytes, so nothing decodes
// them, but every depacketizer and key frame detector sees a well-formed
// stream. Each packet tells its layer: the SPS and PPS by their ids (the
// layer index), a slice or fragment by the marker right after its header.

// NAL unit types (H.264 Table 7-1, RFC 6184 §5.2).
const (
	nalSlice = 1  // coded slice of a non-IDR picture
	nalIDR   = 5  // coded slice of an IDR picture
	nalSPS   = 7  // sequence parameter set
	nalPPS   = 8  // picture parameter set
	nalFUA   = 28 // fragmentation unit A
)

// h264MaxPayload keeps packets under the SFU's 1500-byte buffers with
// room for SRTP and header extensions, like the VP8 generator.
const h264MaxPayload = 1000

// h264Sizes are the synthetic layers' picture sizes, low to high.
var h264Sizes = [3][2]int{{320, 180}, {640, 360}, {1280, 720}}

// H264Frame returns the RTP payloads of one synthetic H.264 access unit
// of about size bytes on layer (0 low .. 2 high): SPS, PPS and an IDR
// slice for a key frame, a non-IDR slice otherwise; a slice larger than
// one packet goes out as FU-A fragments.
func H264Frame(layer int, key bool, size int) [][]byte {
	var out [][]byte
	hdr := byte(0x40 | nalSlice) // nal_ref_idc 2: a reference picture
	if key {
		out = append(out, h264SPS(layer), h264PPS(layer))
		hdr = 0x60 | nalIDR // nal_ref_idc 3
	}
	size = max(size, 2)
	if size+1 <= h264MaxPayload {
		return append(out, append([]byte{hdr}, sliceData(layer, size)...))
	}
	// FU-A (RFC 6184 §5.8): the indicator keeps F and NRI of the NAL
	// header, the FU header its type with start and end bits. Every
	// fragment begins with the marker: the slice's data is simply the
	// fragments one after another.
	for first := true; size > 0; first = false {
		n := min(size, h264MaxPayload-2)
		size -= n
		fu := byte(hdr & 0x1f)
		if first {
			fu |= 0x80
		}
		if size == 0 {
			fu |= 0x40
		}
		out = append(out, append([]byte{hdr&0xe0 | nalFUA, fu}, sliceData(layer, n)...))
	}
	return out
}

// sliceData is n bytes of slice: the marker, then random bytes that are
// never zero, so no start code or emulation prevention byte is needed.
func sliceData(layer, n int) []byte {
	b := make([]byte, n)
	b[0], b[1] = synthMagic, byte(layer)
	for i := 2; i < n; i++ {
		b[i] = byte(rand.Uint32()) | 0x01
	}
	return b
}

// h264SPS is the sequence parameter set of a layer (H.264 §7.3.2.1.1),
// its id the layer index.
func h264SPS(layer int) []byte {
	wh := h264Sizes[min(max(layer, 0), 2)]
	mbW, mbH := (wh[0]+15)/16, (wh[1]+15)/16
	var w bitWriter
	w.bits(66, 8)   // profile_idc: Baseline
	w.bits(0xe0, 8) // constraint_set0..2: Constrained Baseline
	w.bits(31, 8)   // level_idc 3.1
	w.ue(uint(layer))
	w.ue(0) // log2_max_frame_num_minus4
	w.ue(2) // pic_order_cnt_type: display order is decoding order
	w.ue(1) // max_num_ref_frames
	w.bits(0, 1)
	w.ue(uint(mbW - 1))
	w.ue(uint(mbH - 1))
	w.bits(1, 1) // frame_mbs_only_flag
	w.bits(1, 1) // direct_8x8_inference_flag
	cropW, cropH := mbW*16-wh[0], mbH*16-wh[1]
	if cropW|cropH != 0 {
		// Cropping in units of 2 luma samples (4:2:0, frames only).
		w.bits(1, 1)
		w.ue(0)
		w.ue(uint(cropW / 2))
		w.ue(0)
		w.ue(uint(cropH / 2))
	} else {
		w.bits(0, 1)
	}
	w.bits(0, 1) // vui_parameters_present_flag
	return nalUnit(0x60|nalSPS, w.trailing())
}

// h264PPS is the picture parameter set of a layer (§7.3.2.2), its id and
// its SPS's the layer index.
func h264PPS(layer int) []byte {
	var w bitWriter
	w.ue(uint(layer)) // pic_parameter_set_id
	w.ue(uint(layer)) // seq_parameter_set_id
	w.bits(0, 1)      // entropy_coding_mode_flag: CAVLC
	w.bits(0, 1)      // bottom_field_pic_order_in_frame_present_flag
	w.ue(0)           // num_slice_groups_minus1
	w.ue(0)           // num_ref_idx_l0_default_active_minus1
	w.ue(0)           // num_ref_idx_l1_default_active_minus1
	w.bits(0, 1)      // weighted_pred_flag
	w.bits(0, 2)      // weighted_bipred_idc
	w.ue(0)           // pic_init_qp_minus26 (se 0 codes as ue 0)
	w.ue(0)           // pic_init_qs_minus26
	w.ue(0)           // chroma_qp_index_offset
	w.bits(1, 1)      // deblocking_filter_control_present_flag
	w.bits(0, 1)      // constrained_intra_pred_flag
	w.bits(0, 1)      // redundant_pic_cnt_present_flag
	return nalUnit(0x60|nalPPS, w.trailing())
}

// nalUnit prefixes the header and inserts emulation prevention bytes
// (§7.4.1: 00 00 followed by 00..03 becomes 00 00 03 0x).
func nalUnit(hdr byte, rbsp []byte) []byte {
	out := []byte{hdr}
	zeros := 0
	for _, c := range rbsp {
		if zeros >= 2 && c <= 3 {
			out = append(out, 3)
			zeros = 0
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

// parseH264 reads what a synthetic H.264 payload says of itself.
func parseH264(p []byte) (Frame, bool) {
	if len(p) < 1 {
		return Frame{}, false
	}
	f := Frame{H264: true}
	switch p[0] & 0x1f {
	case nalSPS:
		if len(p) < 5 {
			return Frame{}, false
		}
		id, ok := readUE(p[4:]) // after profile, constraints and level
		f.Layer, f.Keyframe, f.Start = id, true, true
		return f, ok
	case nalPPS:
		id, ok := readUE(p[1:])
		f.Layer = id
		return f, ok
	case nalSlice, nalIDR:
		if len(p) < 3 || p[1] != synthMagic {
			return Frame{}, false
		}
		// An IDR slice's frame began with its SPS.
		f.Layer, f.Start = int(p[2]), p[0]&0x1f == nalSlice
		return f, true
	case nalFUA:
		if len(p) < 4 || p[2] != synthMagic {
			return Frame{}, false
		}
		f.Layer, f.Start = int(p[3]), p[1]&0x80 != 0 && p[1]&0x1f == nalSlice
		return f, true
	}
	return Frame{}, false
}

// bitWriter writes the bit fields of a parameter set, most significant
// bit first.
type bitWriter struct {
	b []byte
	n int // bits written
}

func (w *bitWriter) bits(v uint, n int) {
	for i := n - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		if v>>i&1 != 0 {
			w.b[len(w.b)-1] |= 0x80 >> (w.n % 8)
		}
		w.n++
	}
}

// ue writes an unsigned Exp-Golomb code (§9.1).
func (w *bitWriter) ue(v uint) {
	n := bits.Len(v + 1)
	w.bits(0, n-1)
	w.bits(v+1, n)
}

// trailing ends the RBSP with a stop bit and zero bits to a byte.
func (w *bitWriter) trailing() []byte {
	w.bits(1, 1)
	for w.n%8 != 0 {
		w.bits(0, 1)
	}
	return w.b
}

// readUE reads an unsigned Exp-Golomb code from the start of b.
func readUE(b []byte) (int, bool) {
	pos := 0
	bit := func() (int, bool) {
		if pos/8 >= len(b) {
			return 0, false
		}
		v := int(b[pos/8]>>(7-pos%8)) & 1
		pos++
		return v, true
	}
	zeros := 0
	for {
		v, ok := bit()
		if !ok || zeros > 16 {
			return 0, false
		}
		if v == 1 {
			break
		}
		zeros++
	}
	val := 0
	for range zeros {
		v, ok := bit()
		if !ok {
			return 0, false
		}
		val = val<<1 | v
	}
	return 1<<zeros - 1 + val, true
}
