package sfu

import (
	"testing"
	"time"
)

// seqStep is one thing done to a seqMap in a table test: a packet of a
// layer forwarded (switching to the layer first if start), padding, or a
// NACK mapped back.
type seqStep struct {
	src   *upLayer
	epoch uint32
	seq   uint16
	ts    uint32
	start bool
	pad   uint16

	// What forwarding or padding must give.
	out  uint16
	drop bool // forward refuses it

	// nack: reverse(nack) must give src/seq (nackSrc nil: not mappable).
	nack    uint16
	isNACK  bool
	nackSrc *upLayer
	nackSeq uint16
	nackPad bool // the number was padding (answered with padding)
}

func TestSeqMap(t *testing.T) {
	low, high := &upLayer{index: 0}, &upLayer{index: 2}
	fwd := func(src *upLayer, seq, out uint16) seqStep { return seqStep{src: src, seq: seq, out: out} }
	sw := func(src *upLayer, seq, out uint16) seqStep { return seqStep{src: src, seq: seq, out: out, start: true} }
	nack := func(out uint16, src *upLayer, seq uint16) seqStep {
		return seqStep{isNACK: true, nack: out, nackSrc: src, nackSeq: seq}
	}
	padNACK := func(out uint16) seqStep { return seqStep{isNACK: true, nack: out, nackPad: true} }
	cases := []struct {
		name  string
		first uint16 // the map's starting number
		steps []seqStep
	}{
		{"continuous", 1000, []seqStep{
			sw(low, 50, 1000), fwd(low, 51, 1001), fwd(low, 52, 1002),
			nack(1001, low, 51), nack(1003, nil, 0),
		}},
		{"a gap upstream stays a gap, and a late packet fills it", 1000, []seqStep{
			sw(low, 50, 1000), fwd(low, 53, 1003), fwd(low, 51, 1001),
			nack(1002, low, 52),
		}},
		{"wrap-around of the source and of the subscriber", 65534, []seqStep{
			sw(low, 65533, 65534), fwd(low, 65534, 65535), fwd(low, 65535, 0), fwd(low, 0, 1), fwd(low, 1, 2),
			nack(65535, low, 65534), nack(0, low, 65535), nack(1, low, 0),
		}},
		{"a layer switch: NACKs for the old layer map to it", 500, []seqStep{
			sw(low, 100, 500), fwd(low, 101, 501), fwd(low, 102, 502),
			sw(high, 9000, 503), fwd(high, 9001, 504),
			nack(501, low, 101), nack(502, low, 102), nack(503, high, 9000), nack(504, high, 9001),
			// A late packet of the old layer from after its last one sent
			// has no number left.
			{src: low, seq: 103, drop: true},
			// Back to low: a new offset; the first one still answers.
			sw(low, 130, 505), fwd(low, 131, 506),
			nack(501, low, 101), nack(503, high, 9000), nack(506, low, 131),
		}},
		{"a switch across the wrap", 65533, []seqStep{
			sw(low, 10, 65533), fwd(low, 11, 65534), fwd(low, 12, 65535),
			sw(high, 65530, 0), fwd(high, 65531, 1), fwd(high, 65535, 5), fwd(high, 0, 6),
			nack(65535, low, 12), nack(0, high, 65530), nack(6, high, 0), nack(3, high, 65533),
		}},
		{"padding between packets of one layer", 10, []seqStep{
			sw(high, 200, 10), fwd(high, 201, 11),
			{pad: 3, out: 12},
			fwd(high, 202, 15), fwd(high, 203, 16),
			nack(11, high, 201), padNACK(12), padNACK(14), nack(15, high, 202),
			// More padding extends nothing of the media runs.
			{pad: 2, out: 17}, fwd(high, 204, 19),
			nack(16, high, 203), nack(19, high, 204),
		}},
		{"a packet lost before padding stays a gap to NACK", 10, []seqStep{
			sw(high, 200, 10), fwd(high, 201, 11),
			{pad: 2, out: 12},
			fwd(high, 203, 15), fwd(high, 202, 14),
			nack(14, high, 202),
		}},
		{"a packet from before the switch is dropped", 10, []seqStep{
			sw(high, 200, 10), {src: high, seq: 199, drop: true}, fwd(high, 201, 11),
		}},
		{"an unmute is a new run of the same layer", 10, []seqStep{
			sw(low, 100, 10), fwd(low, 101, 11),
			{src: low, epoch: 1, seq: 400, start: true, out: 12}, {src: low, epoch: 1, seq: 401, out: 13},
			{src: low, epoch: 0, seq: 102, drop: true},
			nack(11, low, 101), nack(12, low, 400),
		}},
		{"NACKs too far back or ahead are not mapped", 10, []seqStep{
			sw(low, 100, 10), fwd(low, 101, 11),
			nack(12, nil, 0), nack(65536+12-seqMapReach-1, nil, 0), nack(9, nil, 0),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m seqMap
			now := int64(time.Second)
			m.init(c.first, 0, now)
			for i, s := range c.steps {
				now += int64(10 * time.Millisecond)
				switch {
				case s.isNACK:
					src, _, seq, _, ok := m.reverse(s.nack)
					switch {
					case s.nackSrc == nil && ok:
						t.Errorf("step %d: reverse(%d) = layer %d seq %d, want none", i, s.nack, src.index, seq)
					case s.nackSrc != nil && (!ok || src != s.nackSrc || seq != s.nackSeq):
						t.Errorf("step %d: reverse(%d) = ok %v seq %d, want layer %d seq %d", i, s.nack, ok, seq, s.nackSrc.index, s.nackSeq)
					}
					if got := m.padding(s.nack); got != s.nackPad {
						t.Errorf("step %d: padding(%d) = %v, want %v", i, s.nack, got, s.nackPad)
					}
				case s.pad > 0:
					if got := m.pad(s.pad); got != s.out {
						t.Errorf("step %d: pad(%d) = %d, want %d", i, s.pad, got, s.out)
					}
				default:
					if s.start {
						m.start(s.src, s.epoch, s.seq, s.ts, 90000, now)
					}
					out, _, ok := m.forward(s.src, s.epoch, s.seq, s.ts, now)
					switch {
					case s.drop && ok:
						t.Errorf("step %d: forward(%d) = %d, want dropped", i, s.seq, out)
					case !s.drop && (!ok || out != s.out):
						t.Errorf("step %d: forward(%d) = %d ok %v, want %d", i, s.seq, out, ok, s.out)
					}
				}
			}
		})
	}
}

// TestSeqMapTimestamps: a switch continues the timestamps by the time
// that passed, and a retransmission carries the offset it was sent with.
func TestSeqMapTimestamps(t *testing.T) {
	low, high := &upLayer{index: 0}, &upLayer{index: 2}
	var m seqMap
	now := int64(time.Second)
	m.init(0, 1_000_000, now)
	m.start(low, 0, 10, 5000, 90000, now)
	if _, ts, _ := m.forward(low, 0, 10, 5000, now); ts != 1_000_001 {
		t.Errorf("first timestamp = %d, want 1000001 (one tick after the last)", ts)
	}
	if _, ts, _ := m.forward(low, 0, 11, 8000, now); ts != 1_003_001 {
		t.Errorf("second timestamp = %d, want 1003001 (the source's step kept)", ts)
	}
	now += int64(100 * time.Millisecond) // 9000 ticks at 90 kHz
	m.start(high, 0, 700, 123, 90000, now)
	if _, ts, _ := m.forward(high, 0, 700, 123, now); ts != 1_012_001 {
		t.Errorf("timestamp after the switch = %d, want 1012001 (100 ms on)", ts)
	}
	if _, _, _, off, _ := m.reverse(1); 8000+off != 1_003_001 {
		t.Errorf("offset of a retransmission of the old layer gives %d, want 1003001", 8000+off)
	}
}

// TestSeqMapForgetsOldRuns: after more runs than it remembers, the oldest
// NACKs are not mapped (rather than mapped wrong).
func TestSeqMapForgetsOldRuns(t *testing.T) {
	low, high := &upLayer{index: 0}, &upLayer{index: 2}
	var m seqMap
	now := int64(time.Second)
	m.init(0, 0, now)
	m.start(low, 0, 100, 0, 90000, now)
	m.forward(low, 0, 100, 0, now)
	for i := range seqMapRuns {
		src := high
		if i%2 == 1 {
			src = low
		}
		m.start(src, 0, uint16(1000*i), 0, 90000, now)
		m.forward(src, 0, uint16(1000*i), 0, now)
	}
	if src, _, seq, _, ok := m.reverse(0); ok {
		t.Errorf("reverse(0) = layer %d seq %d, want forgotten", src.index, seq)
	}
	if src, _, seq, _, ok := m.reverse(seqMapRuns); !ok || seq != uint16(1000*(seqMapRuns-1)) {
		t.Errorf("reverse(newest) = %v %d %v", src, seq, ok)
	}
}

func BenchmarkSeqMapForward(b *testing.B) {
	l := &upLayer{}
	var m seqMap
	m.init(0, 0, 0)
	m.start(l, 0, 0, 0, 90000, 0)
	b.ReportAllocs()
	for i := range b.N {
		m.forward(l, 0, uint16(i), uint32(i), int64(i))
	}
}

// TestSeqMapLongRun: one run through several wraps of the 16-bit space
// keeps mapping, and NACKs of its recent numbers still map back.
func TestSeqMapLongRun(t *testing.T) {
	l := &upLayer{}
	var m seqMap
	m.init(7, 0, 0)
	m.start(l, 0, 60000, 0, 90000, 0)
	for i := range 3 * 65536 {
		seq := uint16(60000 + i)
		out, _, ok := m.forward(l, 0, seq, 0, 0)
		if want := uint16(7 + i); !ok || out != want {
			t.Fatalf("packet %d: forward(%d) = %d ok %v, want %d", i, seq, out, ok, want)
		}
		if i%1000 == 999 {
			if _, _, back, _, ok := m.reverse(out - 100); !ok || back != seq-100 {
				t.Fatalf("packet %d: reverse(%d) = %d ok %v, want %d", i, out-100, back, ok, seq-100)
			}
		}
	}
}
