package sfu

import (
	"slices"
	"testing"

	"github.com/pion/webrtc/v4"
)

// A congested subscriber loses video a whole frame at a time: once its
// queue is full, the rest of that frame is dropped even if room frees up,
// and the next frame is queued again.
func TestFullQueueDropsToEndOfFrame(t *testing.T) {
	m, _ := newMetrics(nil)
	s := &SFU{metrics: m, cfg: Config{}}
	w := &writer{ch: make(chan job, 2), done: make(chan struct{})} // no goroutine: the test drains it
	sub := &Participant{s: s, id: "hall-1", writer: w}
	l := &upLayer{index: 2}
	pkt := func(seq uint16, ts uint32, marker bool) *packet {
		p := newPacket()
		p.info.seq, p.info.ts, p.info.marker = seq, ts, marker
		return p
	}
	drain := func() (seqs []uint16) {
		for {
			select {
			case j := <-w.ch:
				seqs = append(seqs, j.p.info.seq)
				j.p.release()
			default:
				return seqs
			}
		}
	}
	for _, tc := range []struct {
		name    string
		kind    webrtc.RTPCodecType
		after   []uint16 // queued after the first drain
		dropped uint64
	}{
		// 1, 2 fill the queue; 3 is dropped and so are 4 and 5 (the
		// marker) after the drain; 6 starts the next frame.
		{"video", webrtc.RTPCodecTypeVideo, []uint16{6}, 3},
		// Audio has no frames to cut: each packet takes its chance (6
		// finds the queue full of 4 and 5).
		{"audio", webrtc.RTPCodecTypeAudio, []uint16{4, 5}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDownTrack("hall-2/camera", "hall-2", tc.kind, webrtc.RTPCodecCapability{}, sub)
			for _, p := range []*packet{pkt(1, 1000, false), pkt(2, 1000, false), pkt(3, 1000, false)} {
				d.send(l, p, nanotime())
				p.release()
			}
			if got := drain(); len(got) != 2 || got[0] != 1 || got[1] != 2 {
				t.Fatalf("first packets queued %v, want [1 2]", got)
			}
			for _, p := range []*packet{pkt(4, 1000, false), pkt(5, 1000, true), pkt(6, 4000, false)} {
				d.send(l, p, nanotime())
				p.release()
			}
			if got := drain(); !slices.Equal(got, tc.after) {
				t.Fatalf("after the drain queued %v, want %v", got, tc.after)
			}
			if n := d.dropped.Load(); n != tc.dropped {
				t.Errorf("dropped %d packets, want %d", n, tc.dropped)
			}
		})
	}
}
