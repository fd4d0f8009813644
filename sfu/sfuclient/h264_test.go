package sfuclient

import (
	"bytes"
	"testing"

	"github.com/pion/rtp/codecs"
)

// The synthetic H.264 must be what a receiver can depacketize: pion's
// RFC 6184 depacketizer rebuilds the access unit (SPS, PPS, IDR for a key
// frame) with the slice's full size, no NAL holds a start code, and every
// packet tells its layer and frame.
func TestH264FramePacketization(t *testing.T) {
	for _, c := range []struct {
		name      string
		layer     int
		key       bool
		size      int
		nals      []byte // NAL unit types after depacketizing
		fragments int    // slice packets
	}{
		{"key frame, fragmented", 2, true, 5000, []byte{nalSPS, nalPPS, nalIDR}, 6},
		{"small key frame", 0, true, 300, []byte{nalSPS, nalPPS, nalIDR}, 1},
		{"delta frame", 1, false, 900, []byte{nalSlice}, 1},
		{"delta frame, fragmented", 1, false, 2100, []byte{nalSlice}, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			pkts := H264Frame(c.layer, c.key, c.size)
			params := 0
			if c.key {
				params = 2
			}
			if len(pkts) != params+c.fragments {
				t.Fatalf("%d packets, want %d", len(pkts), params+c.fragments)
			}
			var annexB []byte
			var h codecs.H264Packet // keeps FU-A fragments until the last
			for i, p := range pkts {
				if len(p) > h264MaxPayload {
					t.Errorf("packet %d: %d bytes, over %d", i, len(p), h264MaxPayload)
				}
				f, ok := ParseSynthetic(p)
				if !ok || !f.H264 || f.Layer != c.layer {
					t.Errorf("packet %d (%x…): %+v %v, want layer %d", i, p[:4], f, ok, c.layer)
				}
				if want := i == 0 && c.key; f.Keyframe != want {
					t.Errorf("packet %d: key frame %v, want %v", i, f.Keyframe, want)
				}
				if want := i == 0; f.Start != want {
					t.Errorf("packet %d: frame start %v, want %v", i, f.Start, want)
				}
				out, err := h.Unmarshal(p)
				if err != nil {
					t.Fatalf("packet %d: depacketize: %v", i, err)
				}
				annexB = append(annexB, out...)
			}
			nals := splitAnnexB(annexB)
			var types []byte
			for _, n := range nals {
				types = append(types, n[0]&0x1f)
				if i := bytes.Index(n, []byte{0, 0}); i >= 0 && i+2 < len(n) && n[i+2] <= 3 {
					t.Errorf("NAL type %d holds 00 00 %02x at %d", n[0]&0x1f, n[i+2], i)
				}
			}
			if !bytes.Equal(types, c.nals) {
				t.Fatalf("NAL units %v, want %v", types, c.nals)
			}
			if slice := nals[len(nals)-1]; len(slice) != 1+c.size {
				t.Errorf("slice NAL %d bytes, want %d", len(slice), 1+c.size)
			}
		})
	}
}

// splitAnnexB splits a byte stream at its 4-byte start codes, as pion's
// depacketizer writes them.
func splitAnnexB(b []byte) [][]byte {
	var out [][]byte
	for _, n := range bytes.Split(b, []byte{0, 0, 0, 1}) {
		if len(n) > 0 {
			out = append(out, n)
		}
	}
	return out
}

// The parameter sets say what H.264 §7.3.2 requires: Constrained
// Baseline level 3.1 (profile-level-id 42e01f, what the SFU negotiates),
// the layer's picture size after cropping, and a PPS naming its SPS.
func TestH264ParameterSets(t *testing.T) {
	for layer, wh := range h264Sizes {
		sps := h264SPS(layer)
		if sps[0] != 0x67 || !bytes.Equal(sps[1:4], []byte{0x42, 0xe0, 0x1f}) {
			t.Fatalf("layer %d: SPS starts %x", layer, sps[:4])
		}
		r := bitReader{b: sps[4:]}
		id := r.ue()
		log2MaxFrameNum := r.ue()
		pocType := r.ue()
		refs := r.ue()
		gaps := r.bits(1)
		mbW, mbH := r.ue()+1, r.ue()+1
		frameMbsOnly, direct8x8 := r.bits(1), r.bits(1)
		w, h := mbW*16, mbH*16
		if r.bits(1) == 1 { // frame_cropping_flag
			left, right, top, bottom := r.ue(), r.ue(), r.ue(), r.ue()
			w -= 2 * (left + right)
			h -= 2 * (top + bottom)
		}
		vui := r.bits(1)
		stop := r.bits(1)
		if r.err || id != layer || log2MaxFrameNum != 0 || pocType != 2 || refs != 1 || gaps != 0 ||
			frameMbsOnly != 1 || direct8x8 != 1 || vui != 0 || stop != 1 {
			t.Errorf("layer %d: SPS %x decodes to id %d, poc %d, refs %d, stop bit %d (error %v)", layer, sps, id, pocType, refs, stop, r.err)
		}
		if w != wh[0] || h != wh[1] {
			t.Errorf("layer %d: SPS says %dx%d, want %dx%d", layer, w, h, wh[0], wh[1])
		}
		pps := h264PPS(layer)
		r = bitReader{b: pps[1:]}
		if pps[0] != 0x68 || r.ue() != layer || r.ue() != layer || r.err {
			t.Errorf("layer %d: PPS %x does not name pps/sps %d", layer, pps, layer)
		}
	}
}

// The marker parser never panics and never takes VP8 for H.264.
func FuzzParseSynthetic(f *testing.F) {
	for _, p := range H264Frame(1, true, 2500) {
		f.Add(p)
	}
	for _, p := range vp8Frame(2, 7, true, 1200) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if fr, ok := ParseSynthetic(b); ok && fr.H264 != (b[0]&0x80 == 0) {
			t.Fatalf("%x parsed as %+v", b, fr)
		}
	})
}

func TestVP8StillParses(t *testing.T) {
	pkts := vp8Frame(2, 300, true, 2500)
	for i, p := range pkts {
		f, ok := ParseSynthetic(p)
		if !ok || f.H264 || f.Layer != 2 || f.Keyframe != (i == 0) {
			t.Errorf("VP8 packet %d: %+v %v", i, f, ok)
		}
	}
}

// bitReader reads H.264 syntax elements; err notes reading past the end.
type bitReader struct {
	b   []byte
	pos int
	err bool
}

func (r *bitReader) bits(n int) int {
	v := 0
	for range n {
		if r.pos/8 >= len(r.b) {
			r.err = true
			return 0
		}
		v = v<<1 | int(r.b[r.pos/8]>>(7-r.pos%8))&1
		r.pos++
	}
	return v
}

func (r *bitReader) ue() int {
	zeros := 0
	for r.bits(1) == 0 && !r.err {
		zeros++
	}
	return 1<<zeros - 1 + r.bits(zeros)
}
