package sfu

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu/red"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// keptWriter keeps copies of what a down track writes.
type keptWriter struct {
	mu   sync.Mutex
	pkts []rtp.Packet
}

func (w *keptWriter) WriteRTP(h *rtp.Header, p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pkts = append(w.pkts, rtp.Packet{Header: rtp.Header{PayloadType: h.PayloadType, SequenceNumber: h.SequenceNumber,
		Timestamp: h.Timestamp, Marker: h.Marker}, Payload: bytes.Clone(p)})
	return len(p), nil
}

func (w *keptWriter) Write(b []byte) (int, error) { return len(b), nil }

// redRoom is an audio publisher sending RED on 63 over Opus on 111 and
// one subscriber per binding, writing in the reader's pass.
func redRoom(t testing.TB, bindings ...binding) (*upLayer, func()) {
	m, _ := newMetrics(nil)
	cfg := Config{}
	cfg.setDefaults()
	s := &SFU{cfg: cfg, metrics: m}
	owner := &Participant{s: s, id: "hall-pub"}
	tr := &upTrack{id: "hall-pub/microphone", owner: owner, kind: webrtc.RTPCodecTypeAudio, redPT: 63,
		codec: webrtc.RTPCodecParameters{RTPCodecCapability: opusCodec, PayloadType: 111}}
	l := &upLayer{track: tr, index: 2, cache: newPacketCache(audioCacheSize)}
	tr.layers[2] = l
	var subs []*Participant
	for i, b := range bindings {
		sub := &Participant{s: s, id: ParticipantID(fmt.Sprintf("hall-%d", i)), writer: newWriter(nil)}
		sub.downReady.Store(true)
		sub.writer.direct.Store(true)
		subs = append(subs, sub)
		d := newDownTrack(tr.id, "hall-pub", tr.kind, opusCodec, sub)
		d.bound.Store(&b)
		d.src.Store(tr)
		tr.addSub(d)
		d.target.Store(l)
	}
	return l, func() {
		for _, s := range subs {
			s.writer.close()
		}
		l.cache.clear()
	}
}

// redPacket is RED packet i (seq 100+i, 20 ms frames) carrying frames i-2
// and i-1 before frame i, each frame a byte 0x78 and i.
func redPacket(t testing.TB, i int) []byte {
	frame := func(k int) []byte { return []byte{0x78, byte(k), 0xee} }
	var blocks []red.Block
	for k := max(i-2, 0); k < i; k++ {
		blocks = append(blocks, red.Block{PT: 111, TSOffset: uint16(960 * (i - k)), Data: frame(k)})
	}
	payload, err := red.Append(nil, blocks, red.Block{PT: 111, Data: frame(i)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 63, SequenceNumber: uint16(100 + i), Timestamp: uint32(5000 + 960*i)},
		Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// recoveredCount reads cau_sfu_red_recovered_total.
func recoveredCount(t *testing.T, l *upLayer) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := reg.Register(l.track.owner.s.metrics.redRecovered); err != nil {
		t.Fatal(err)
	}
	fams, err := reg.Gather()
	if err != nil || len(fams) != 1 {
		t.Fatalf("gather: %v", err)
	}
	return fams[0].GetMetric()[0].GetCounter().GetValue()
}

func ingestBytes(l *upLayer, b []byte) {
	p := newPacket()
	p.n = copy(p.buf[:], b)
	l.ingest(p, l.track.owner.s.metrics)
}

// TestREDStripRenumberRecover: packets 3 and 4 of 10 are lost on the way
// in. A subscriber without RED gets every frame as Opus on its own
// payload type, 3 and 4 rebuilt from packet 5 with their own numbers and
// timestamps; a subscriber with RED that numbers Opus 109 gets each RED
// payload with its blocks renumbered, and 3 and 4 stay a gap.
func TestREDStripRenumberRecover(t *testing.T) {
	plain, withRED := &keptWriter{}, &keptWriter{}
	l, done := redRoom(t,
		binding{w: plain, ssrc: 1, pt: 111, codecs: []boundCodec{{mime: webrtc.MimeTypeOpus, pt: 111}}},
		binding{w: withRED, ssrc: 2, pt: 109, red: 120, codecs: []boundCodec{{mime: webrtc.MimeTypeOpus, pt: 109}}})
	defer done()
	for i := range 10 {
		if i == 3 || i == 4 {
			continue
		}
		ingestBytes(l, redPacket(t, i))
	}
	if len(plain.pkts) != 10 {
		t.Fatalf("the Opus subscriber got %d packets, want 10", len(plain.pkts))
	}
	s0, ts0 := plain.pkts[0].SequenceNumber, plain.pkts[0].Timestamp
	for i, p := range plain.pkts {
		if p.PayloadType != 111 || !bytes.Equal(p.Payload, []byte{0x78, byte(i), 0xee}) ||
			p.SequenceNumber != s0+uint16(i) || p.Timestamp != ts0+uint32(960*i) {
			t.Errorf("Opus packet %d: pt %d seq +%d ts +%d payload % x", i, p.PayloadType, p.SequenceNumber-s0, p.Timestamp-ts0, p.Payload)
		}
	}
	if got := recoveredCount(t, l); got != 2 {
		t.Errorf("cau_sfu_red_recovered_total = %v, want 2", got)
	}
	if len(withRED.pkts) != 8 {
		t.Fatalf("the RED subscriber got %d packets, want 8", len(withRED.pkts))
	}
	for _, p := range withRED.pkts {
		blocks, err := red.Parse(p.Payload, nil)
		if p.PayloadType != 120 || err != nil {
			t.Fatalf("RED packet pt %d, %v", p.PayloadType, err)
		}
		for _, blk := range blocks {
			if blk.PT != 109 {
				t.Errorf("block %+v not renumbered to 109", blk)
			}
		}
	}
}

// TestREDMalformedDropped: a RED packet whose blocks do not parse is not
// sent to a subscriber without RED (nothing it could decode), and nothing
// is rebuilt from it.
func TestREDMalformedDropped(t *testing.T) {
	plain := &keptWriter{}
	l, done := redRoom(t, binding{w: plain, ssrc: 1, pt: 111, codecs: []boundCodec{{mime: webrtc.MimeTypeOpus, pt: 111}}})
	defer done()
	ingestBytes(l, redPacket(t, 0))
	bad, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 63, SequenceNumber: 102, Timestamp: 5000 + 1920},
		Payload: []byte{0x80 | 111, 0, 4, 200, 111, 1}}).Marshal() // a block longer than the payload
	ingestBytes(l, bad)
	if len(plain.pkts) != 1 {
		t.Fatalf("got %d packets, want only the good one", len(plain.pkts))
	}
}

// TestREDPathAllocatesNothing: cutting RED to Opus, rebuilding a lost
// frame and making plain Opus RED allocate nothing per packet.
func TestREDPathAllocatesNothing(t *testing.T) {
	var n atomic.Int64
	l, done := redRoom(t, binding{w: &countingWriter{&n}, ssrc: 1, pt: 111, codecs: []boundCodec{{mime: webrtc.MimeTypeOpus, pt: 111}}})
	defer done()
	pkts := make([][]byte, 64)
	for i := range pkts {
		pkts[i] = redPacket(t, i)
	}
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		ingestBytes(l, pkts[i%64])
		i += 2 // every other packet lost: one frame rebuilt per packet
		if i%64 == 0 {
			l.epoch.Add(1) // the numbers start again: a new run, not old packets
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per packet", allocs)
	}
	if n.Load() < 300 {
		t.Errorf("%d packets written for 200 RED packets with every other lost, want about 400", n.Load())
	}

	// Plain Opus made RED with two copies for a lossy subscriber.
	l2, done2 := redRoom(t, binding{w: &countingWriter{&n}, ssrc: 1, pt: 111, red: 63, codecs: []boundCodec{{mime: webrtc.MimeTypeOpus, pt: 111}}})
	defer done2()
	l2.track.redPT = 0
	(*l2.track.subs.Load())[0].lossOut.Store(60)
	plain := make([][]byte, 64)
	for i := range plain {
		plain[i], _ = (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(i), Timestamp: uint32(960 * i)},
			Payload: []byte{0x78, byte(i), 0xee}}).Marshal()
	}
	i = 0
	if allocs := testing.AllocsPerRun(200, func() {
		ingestBytes(l2, plain[i%64])
		if i++; i%64 == 0 {
			l2.epoch.Add(1)
		}
	}); allocs != 0 {
		t.Errorf("%v allocations per packet made RED", allocs)
	}
}

// TestREDAudioRateByWhatTheSubscriberGets: the downlink share planned for
// a RED track is its whole rate for a subscriber that gets RED and its
// primary frames' for one that does not.
func TestREDAudioRateByWhatTheSubscriberGets(t *testing.T) {
	l, done := redRoom(t,
		binding{w: &keptWriter{}, ssrc: 1, pt: 111, codecs: []boundCodec{{mime: webrtc.MimeTypeOpus, pt: 111}}},
		binding{w: &keptWriter{}, ssrc: 2, pt: 111, red: 63, codecs: []boundCodec{{mime: webrtc.MimeTypeOpus, pt: 111}}})
	defer done()
	now := time.Now()
	l.rate.sample(0, now)
	l.primaryRate.sample(0, now)
	for i := range 50 {
		ingestBytes(l, redPacket(t, i))
	}
	full := l.rate.sample(l.stats.bytes.Load(), now.Add(time.Second))
	prim := l.primaryRate.sample(l.primaryBytes.Load(), now.Add(time.Second))
	if prim != 50*(12+3)*8 {
		t.Errorf("primary rate %d bit/s, want %d (50 packets of a 12-byte header and a 3-byte frame)", prim, 50*15*8)
	}
	subs := *l.track.subs.Load()
	if got := subs[0].audioRate(l); got != prim {
		t.Errorf("rate for the subscriber without RED %d, want the primary's %d", got, prim)
	}
	if got := subs[1].audioRate(l); got != full || full <= prim {
		t.Errorf("rate for the RED subscriber %d, want the whole %d (above %d)", got, full, prim)
	}
}

// TestREDAddedForLossySubscriber: a plain Opus publisher's packets go to
// a subscriber that negotiated RED as they are while it reports no loss,
// with the frame before from 1 % loss and the two before from 10 %, each
// copy with its timestamp offset and the subscriber's Opus number.
func TestREDAddedForLossySubscriber(t *testing.T) {
	for _, tc := range []struct {
		lost   uint32 // fraction lost ×256 the subscriber reports
		copies int
	}{{0, 0}, {5, 1}, {60, 2}} {
		t.Run(fmt.Sprintf("lost=%d", tc.lost), func(t *testing.T) {
			w := &keptWriter{}
			l, done := redRoom(t, binding{w: w, ssrc: 1, pt: 109, red: 120, codecs: []boundCodec{{mime: webrtc.MimeTypeOpus, pt: 109}}})
			defer done()
			l.track.redPT = 0 // the publisher sends plain Opus
			(*l.track.subs.Load())[0].lossOut.Store(tc.lost)
			for i := range 6 {
				b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(100 + i), Timestamp: uint32(5000 + 960*i)},
					Payload: []byte{0x78, byte(i), 0xee}}).Marshal()
				if err != nil {
					t.Fatal(err)
				}
				ingestBytes(l, b)
			}
			if len(w.pkts) != 6 {
				t.Fatalf("%d packets, want 6", len(w.pkts))
			}
			for i, p := range w.pkts {
				want := min(i, tc.copies)
				if want == 0 {
					if p.PayloadType != 109 || !bytes.Equal(p.Payload, []byte{0x78, byte(i), 0xee}) {
						t.Errorf("packet %d: pt %d % x, want plain Opus on 109", i, p.PayloadType, p.Payload)
					}
					continue
				}
				blocks, err := red.Parse(p.Payload, nil)
				if p.PayloadType != 120 || err != nil || len(blocks) != want+1 {
					t.Fatalf("packet %d: pt %d, %d blocks, %v; want RED on 120 with %d copies", i, p.PayloadType, len(blocks), err, want)
				}
				for k, blk := range blocks {
					frame := i - want + k
					if blk.PT != 109 || !bytes.Equal(blk.Data, []byte{0x78, byte(frame), 0xee}) || int(blk.TSOffset) != 960*(i-frame) {
						t.Errorf("packet %d block %d = %+v, want frame %d, offset %d, on 109", i, k, blk, frame, 960*(i-frame))
					}
				}
			}
		})
	}
}
