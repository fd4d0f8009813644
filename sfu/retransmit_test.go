package sfu

import (
	"testing"
	"time"
)

// TestRetransmitOncePerRoundTrip: a NACK is answered from the cache of
// the layer the packet came from, and the same packet is not sent again
// within rtxMinGap, however often the receiver NACKs it meanwhile.
func TestRetransmitOncePerRoundTrip(t *testing.T) {
	l, written, done := benchRoom(t, 1, false, true)
	defer done()
	m := l.track.owner.s.metrics
	raw := benchPacket(t)
	for seq := range uint16(3) {
		p := newPacket()
		p.n = copy(p.buf[:], raw)
		p.buf[2], p.buf[3] = byte(seq>>8), byte(seq)
		l.ingest(p, m)
	}
	wait := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for written.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("written %d, want %d", written.Load(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	wait(3)
	d := (*l.track.subs.Load())[0]
	out := d.seq.next - 2 // the second packet, as the subscriber numbered it
	for range 3 {
		d.w.nack(d, out)
	}
	wait(4)
	time.Sleep(50 * time.Millisecond) // room for copies that should not come
	if n := written.Load(); n != 4 {
		t.Errorf("written %d packets, want 4 (three, and one retransmission for three NACKs)", n)
	}
}
