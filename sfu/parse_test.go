package sfu

import (
	"bytes"
	"testing"

	"github.com/pion/rtp"
)

func marshal(t testing.TB, p *rtp.Packet) []byte {
	t.Helper()
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func seedPackets(t testing.TB) [][]byte {
	one := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 65535, Timestamp: 3000, SSRC: 42, Marker: true}, Payload: []byte{0x90, 0x80, 0x81, 0x23, 0x10, 0x02, 0x00}}
	_ = one.Header.SetExtension(1, []byte("0"))
	_ = one.Header.SetExtension(3, []byte{0x80 | 30})
	two := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: 7, Timestamp: 960, SSRC: 7, CSRC: []uint32{1, 2}}, Payload: []byte{1, 2, 3}}
	_ = two.Header.SetExtension(5, bytes.Repeat([]byte{9}, 20)) // two-byte form
	pad := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, Padding: true, PaddingSize: 4}, Payload: []byte{1, 2}}
	return [][]byte{marshal(t, one), marshal(t, two), marshal(t, pad), {0x80, 0, 0, 1}}
}

func TestParseRTPMatchesPion(t *testing.T) {
	for _, b := range seedPackets(t) {
		checkAgainstPion(t, b)
	}
	var h rtpInfo
	b := seedPackets(t)[0]
	if !parseRTP(b, &h) {
		t.Fatal("seed not parsed")
	}
	if lv, _, ok := audioLevel(findExtension(b, &h, 3)); !ok || lv != 30 {
		t.Errorf("audio level = %d %v, want 30", lv, ok)
	}
	if got := findExtension(b, &h, 1); string(got) != "0" {
		t.Errorf("mid extension = %q", got)
	}
	if got := findExtension(b, &h, 9); got != nil {
		t.Errorf("absent extension = %q", got)
	}
}

// checkAgainstPion compares parseRTP with pion's parser: when pion reads
// a packet, so must we, with the same fields, payload and extensions.
func checkAgainstPion(t testing.TB, b []byte) {
	var h rtpInfo
	ok := parseRTP(b, &h)
	var p rtp.Packet
	if p.Unmarshal(append([]byte(nil), b...)) != nil {
		return
	}
	if !ok {
		// pion accepts versions other than 2, and a zero padding count;
		// RFC 3550 allows neither.
		if p.Version != 2 || (p.Padding && p.PaddingSize == 0) {
			return
		}
		t.Fatalf("pion parsed %x, parseRTP did not", b)
	}
	if h.seq != p.SequenceNumber || h.ts != p.Timestamp || h.ssrc != p.SSRC || h.marker != p.Marker || h.payloadType != p.PayloadType {
		t.Fatalf("header mismatch on %x: %+v vs %+v", b, h, p.Header)
	}
	if !bytes.Equal(b[h.payloadStart:h.payloadEnd], p.Payload) {
		t.Fatalf("payload mismatch on %x: %x vs %x", b, b[h.payloadStart:h.payloadEnd], p.Payload)
	}
	if h.extProfile != 0xBEDE && h.extProfile != 0x1000 { // pion ignores the appbits
		return // a profile of its own: no RFC 8285 elements to compare
	}
	for _, id := range p.GetExtensionIDs() {
		if want, got := p.GetExtension(id), findExtension(b, &h, id); !bytes.Equal(want, got) {
			t.Fatalf("extension %d on %x: %x vs pion %x", id, b, got, want)
		}
	}
}

func FuzzParseRTP(f *testing.F) {
	for _, b := range seedPackets(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkAgainstPion(t, b)
		var h rtpInfo
		if parseRTP(b, &h) {
			for id := uint8(0); id < 16; id++ {
				_ = findExtension(b, &h, id)
			}
			if h.payloadStart > h.payloadEnd || h.payloadEnd > len(b) {
				t.Fatalf("payload bounds %d..%d of %d", h.payloadStart, h.payloadEnd, len(b))
			}
		}
	})
}

func TestKeyframes(t *testing.T) {
	for _, c := range []struct {
		name string
		vp8  []byte
		want bool
	}{
		{"key, no extension", []byte{0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a}, true},
		{"inter, no extension", []byte{0x10, 0x11, 0x02, 0x00}, false},
		{"key, 15-bit picture id", []byte{0x90, 0x80, 0x81, 0x23, 0x10}, true},
		{"key, 7-bit picture id, tl0, tid", []byte{0x90, 0xe0, 0x12, 0x05, 0x40, 0x10}, true},
		{"continuation", []byte{0x80, 0x80, 0x81, 0x23, 0x10}, false},
		{"partition 1", []byte{0x11, 0x10}, false},
		{"truncated", []byte{0x90, 0x80, 0x81}, false},
		{"empty", nil, false},
	} {
		if got := isVP8Keyframe(c.vp8); got != c.want {
			t.Errorf("VP8 %s: %v, want %v", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		name string
		h264 []byte
		want bool
	}{
		{"IDR", []byte{0x65, 0x88}, true},
		{"SPS", []byte{0x67, 0x42}, true},
		{"non-IDR slice", []byte{0x41, 0x9a}, false},
		{"STAP-A with SPS", []byte{0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce}, true},
		{"STAP-A bad size", []byte{0x78, 0x00, 0x09, 0x67}, false},
		{"FU-A start IDR", []byte{0x7c, 0x85, 0x00}, true},
		{"FU-A middle IDR", []byte{0x7c, 0x05, 0x00}, false},
		{"FU-A end IDR", []byte{0x7c, 0x45, 0x00}, false},
		{"FU-A start non-IDR", []byte{0x5c, 0x81, 0xca}, false},
		{"FU-A truncated", []byte{0x7c}, false},
		{"PPS", []byte{0x68, 0xce, 0x3c, 0x80}, false},
		{"SEI", []byte{0x06, 0x05, 0x10}, false},
		{"STAP-A without SPS or IDR", []byte{0x78, 0x00, 0x02, 0x06, 0x05, 0x00, 0x02, 0x68, 0xce}, false},
		{"empty", nil, false},
	} {
		if got := isH264Keyframe(c.h264); got != c.want {
			t.Errorf("H.264 %s: %v, want %v", c.name, got, c.want)
		}
	}
}

// IsH264Keyframe lets the external tests check the detection against
// sfuclient's synthetic H.264 (sfuclient imports this package, so this
// package's own tests cannot import it).
var IsH264Keyframe = isH264Keyframe

func FuzzKeyframe(f *testing.F) {
	f.Add([]byte{0x90, 0x80, 0x81, 0x23, 0x10})
	f.Add([]byte{0x78, 0x00, 0x02, 0x67, 0x42})
	f.Add([]byte{0x7c, 0x85, 0x00})
	f.Add([]byte{0x67, 0x42, 0xe0, 0x1f, 0x56, 0x80, 0xa0, 0x2f, 0xf9, 0x50}) // synthetic SPS
	f.Add([]byte{0x65, 0xca, 0x02, 0x33})                                     // synthetic IDR slice
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = isVP8Keyframe(b)
		_ = isH264Keyframe(b)
	})
}

func TestSeqLess(t *testing.T) {
	for _, c := range []struct {
		a, b uint16
		want bool
	}{{1, 2, true}, {2, 1, false}, {65535, 0, true}, {0, 65535, false}, {5, 5, false}, {0, 32767, true}} {
		if got := seqLess(c.a, c.b); got != c.want {
			t.Errorf("seqLess(%d, %d) = %v", c.a, c.b, got)
		}
	}
}
