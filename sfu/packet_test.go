package sfu

import (
	"slices"
	"testing"
)

// TestCacheKeepsLastKeyframe: the cache keeps the packets of the last
// complete key frame apart from its ring, for a new subscriber.
func TestCacheKeepsLastKeyframe(t *testing.T) {
	pkt := func(seq uint16, ts uint32, key, marker bool) *packet {
		p := newPacket()
		p.info.seq, p.info.ts, p.info.marker, p.keyframe = seq, ts, marker, key
		return p
	}
	seqs := func(c *packetCache) []uint16 {
		var out []uint16
		kf := c.keyframe(nil)
		for _, p := range kf {
			out = append(out, p.info.seq)
		}
		releaseAll(kf)
		return out
	}
	c := newPacketCache(4)
	feed := func(ps ...*packet) {
		for _, p := range ps {
			c.add(p)
			c.addKeyframe(p)
			p.release()
		}
	}
	feed(pkt(1, 100, true, false), pkt(2, 100, false, false))
	if got := seqs(c); got != nil {
		t.Fatalf("an incomplete key frame is kept: %v", got)
	}
	feed(pkt(3, 100, false, true), pkt(4, 200, false, true), pkt(5, 300, false, false), pkt(6, 300, false, true))
	if got := seqs(c); !slices.Equal(got, []uint16{1, 2, 3}) {
		t.Fatalf("key frame = %v, want [1 2 3] (kept past the ring of 4)", got)
	}
	if c.keyInRing() {
		t.Errorf("keyInRing after the ring moved past the key frame")
	}
	// An H.264 key frame flags several packets of one timestamp.
	feed(pkt(7, 400, true, false), pkt(8, 400, true, false), pkt(9, 400, false, true))
	if got := seqs(c); !slices.Equal(got, []uint16{7, 8, 9}) {
		t.Fatalf("key frame = %v, want [7 8 9]", got)
	}
	if !c.keyInRing() {
		t.Errorf("keyInRing false with the key frame in the ring")
	}
	// A key frame cut short (no marker before the next frame) is not
	// kept: the last complete one stays.
	feed(pkt(10, 500, true, false), pkt(11, 600, false, true))
	if got := seqs(c); !slices.Equal(got, []uint16{7, 8, 9}) {
		t.Fatalf("key frame = %v, want [7 8 9]", got)
	}
	c.clear()
	if got := seqs(c); got != nil {
		t.Fatalf("after clear: %v", got)
	}
}
