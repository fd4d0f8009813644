package sfu

import (
	"testing"

	"github.com/pion/webrtc/v4"
)

func TestParseVP8Desc(t *testing.T) {
	for _, c := range []struct {
		name string
		p    []byte
		want vp8Desc
	}{
		{"15-bit picture ID, TL0PICIDX, KEYIDX", []byte{0x90, 0xd0, 0x81, 0x23, 0x45, 0x27, 0x10},
			vp8Desc{pic: 0x123, picAt: 2, wide: true, tl0: 0x45, tl0At: 4, key: 7, keyAt: 5}},
		{"7-bit picture ID", []byte{0x90, 0x80, 0x12, 0x10}, vp8Desc{pic: 0x12, picAt: 2}},
		{"TL0PICIDX only", []byte{0x80, 0x40, 0x09, 0x10}, vp8Desc{tl0: 9, tl0At: 2}},
		{"no extensions", []byte{0x10, 0x10, 0x00}, vp8Desc{}},
		{"cut in the picture ID", []byte{0x90, 0x80, 0x81}, vp8Desc{}},
		{"cut before TL0PICIDX", []byte{0x90, 0xc0, 0x12}, vp8Desc{}},
		{"empty", nil, vp8Desc{}},
	} {
		if got := parseVP8Desc(c.p); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// vp8Packet is a packet of src with a 15-bit picture ID and TL0PICIDX.
func vp8Packet(seq uint16, ts uint32, pic uint16, tl0 uint8, key bool) *packet {
	p := new(packet)
	b := []byte{0x90, 0xc0, 0x80 | byte(pic>>8), byte(pic), tl0, 0x11, 0xaa}
	if key {
		b[5] = 0x10
	}
	copy(p.buf[12:], b)
	p.info = rtpInfo{seq: seq, ts: ts, payloadStart: 12, payloadEnd: 12 + len(b)}
	p.keyframe, p.vp8 = key, parseVP8Desc(b)
	return p
}

// The numbers a subscriber sees run on across a switch between two
// layers numbering their own pictures, a NACK's copy goes out under the
// numbers it was first sent with, and a run that does not start at a key
// frame keeps its layer's gaps.
func TestVP8NumbersFollowAcrossSwitches(t *testing.T) {
	track := &upTrack{codec: webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{ClockRate: 90000}}}
	low, high := &upLayer{index: 0, track: track}, &upLayer{index: 2, track: track}
	d := &downTrack{}
	d.seq.init(1000, 0, 0)
	now := int64(0)
	sent := map[uint16]vp8Desc{}
	send := func(l *upLayer, p *packet, start bool) vp8Desc {
		t.Helper()
		now += 33e6
		if start {
			d.startRun(l, p, now)
		}
		seq, _, ok := d.seq.forward(l, 0, p.info.seq, p.info.ts, now)
		if !ok {
			t.Fatalf("packet %d of layer %d not forwarded", p.info.seq, l.index)
		}
		got := parseVP8Desc(d.vp8Payload(p, seq))
		sent[seq] = got
		return got
	}
	// The low layer from its key frame: its own numbers.
	if got := send(low, vp8Packet(10, 0, 500, 20, true), true); got.pic != 500 || got.tl0 != 20 {
		t.Fatalf("first run: picture %d TL0 %d, want the source's 500, 20", got.pic, got.tl0)
	}
	send(low, vp8Packet(11, 3000, 501, 21, false), false)
	// A switch to the high layer at its key frame, numbered far away
	// (and across the 15-bit wrap).
	if got := send(high, vp8Packet(7000, 9000, 0x7ffe, 200, true), true); got.pic != 502 || got.tl0 != 22 {
		t.Fatalf("after the switch: picture %d TL0 %d, want 502, 22", got.pic, got.tl0)
	}
	if got := send(high, vp8Packet(7001, 12000, 0x7fff, 201, false), false); got.pic != 503 || got.tl0 != 23 {
		t.Fatalf("next picture: %d TL0 %d, want 503, 23", got.pic, got.tl0)
	}
	if got := send(high, vp8Packet(7002, 15000, 0, 202, false), false); got.pic != 504 {
		t.Fatalf("across the source's wrap: picture %d, want 504", got.pic)
	}
	// A NACK for the low layer's second packet: its copy keeps the
	// numbers it went out with, and leaves the newest numbers sent.
	orig := vp8Packet(11, 3000, 501, 21, false)
	if got := parseVP8Desc(d.vp8Payload(orig, 1001)); got.pic != 501 || got.tl0 != 21 {
		t.Fatalf("NACK's copy: picture %d TL0 %d, want 501, 21", got.pic, got.tl0)
	}
	// The live stream after a replayed key frame starts a run at a delta
	// frame: pictures 1–3 of the source were skipped and stay missing.
	if got := send(high, vp8Packet(7010, 30000, 4, 206, false), true); got.pic != 508 || got.tl0 != 28 {
		t.Fatalf("run at a delta frame: picture %d TL0 %d, want the layer's offset: 508, 28", got.pic, got.tl0)
	}
	if d.vp8.pic != 508 {
		t.Errorf("newest picture noted %d, want 508", d.vp8.pic)
	}
	// The source's packet is every subscriber's: never rewritten.
	if p := vp8Packet(7000, 9000, 0x7ffe, 200, true); parseVP8Desc(p.payload()).pic != 0x7ffe {
		t.Error("source packet changed")
	}
}

// A down track that never switched sends the source's payload as it is.
func TestVP8FirstRunSendsThePayloadItself(t *testing.T) {
	track := &upTrack{codec: webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{ClockRate: 90000}}}
	l := &upLayer{track: track}
	d := &downTrack{}
	d.seq.init(1, 0, 0)
	p := vp8Packet(5, 0, 77, 3, true)
	d.startRun(l, p, 1)
	seq, _, _ := d.seq.forward(l, 0, 5, 0, 1)
	if out := d.vp8Payload(p, seq); &out[0] != &p.payload()[0] {
		t.Error("the first run's payload was copied")
	}
	if d.vp8Buf != nil {
		t.Error("a copy buffer was made")
	}
}
