package sfu_test

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// TestFastWritePath: a subscriber on UDP gets its media from the fast
// write path (the SFU's own SRTP context with pion's DTLS keys, batched
// to the socket): it decrypts audio and video including key frames, and
// the sender reports the SFU now sends itself arrive with the counts of
// what was sent. Its RTCP is read on the fast read path (fastrtcp.go):
// its receiver reports, answering those sender reports, give the round
// trip in the stats, its NACK is answered and its PLI reaches the
// publisher. With Config.PionWrites all of it goes through pion.
func TestFastWritePath(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  sfu.Config
		fast bool
	}{
		{"fan-out pass", sfu.Config{}, true},
		{"writer goroutines", sfu.Config{QueuedWrites: true}, true},
		{"pion writes", sfu.Config{PionWrites: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) { fastWritePath(t, tc.cfg, tc.fast) })
	}
}

func fastWritePath(t *testing.T, cfg sfu.Config, fast bool) {
	cfg.StatsInterval = 200 * time.Millisecond
	b := setup(t, cfg)
	rec := newRecorder()
	srs := &reports{got: map[string]rtcp.SenderReport{}, changed: make(chan struct{})}
	var camMu sync.Mutex
	var cam *webrtc.RTPReceiver // hall-b's receiver of hall-a's camera
	var camSSRC uint32
	a := b.dial(t, "meeting-1", "hall-a", sfuclient.Options{})
	c := b.dial(t, "meeting-1", "hall-b", sfuclient.Options{OnTrack: func(tr *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		if tr.ID() == "hall-a/camera" {
			camMu.Lock()
			cam, camSSRC = r, uint32(tr.SSRC())
			camMu.Unlock()
		}
		rec.onTrack(tr, r)
		go srs.read(tr.ID(), r)
	}})
	_, video := publishHall(t, a, nil, sfuclient.VideoSpec{Bitrates: []int{300_000}})
	waitTrack(t, c, "hall-a/camera")
	if err := c.Subscribe("hall-a/camera", sfu.QualityHigh); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 10*time.Second, "hall-a's audio and video", func(r *recorder) bool {
		return r.packets["hall-a/microphone"] > 50 && r.keys["hall-a/camera"] > 0 && r.packets["hall-a/camera"] > 50
	})
	for _, id := range []string{"hall-a/camera", "hall-a/microphone"} {
		sr := srs.wait(t, id, 5*time.Second)
		if sr.PacketCount == 0 || sr.OctetCount == 0 || sr.NTPTime == 0 {
			t.Errorf("%s: sender report without counts: %+v", id, sr)
		}
	}
	m := gather(t, b)
	fastOut, out := m["cau_sfu_packets_fast_path_total"], m["cau_sfu_packets_forwarded_total"]
	if fast && (fastOut == 0 || fastOut < out*0.9) {
		t.Errorf("fast path carried %v of %v packets forwarded; want all (but a flush's worth)", fastOut, out)
	}
	if !fast && fastOut != 0 {
		t.Errorf("fast path carried %v packets with pion's writes", fastOut)
	}
	waitStats(t, b, "meeting-1", "hall-b", "a round trip from its receiver reports", 10*time.Second,
		func(st sfu.ParticipantStats) bool { return st.RTTMs > 0 })
	// GCC moves off its initial estimate only on transport-wide feedback.
	waitStats(t, b, "meeting-1", "hall-b", "an estimate from its feedback", 10*time.Second,
		func(st sfu.ParticipantStats) bool { return st.EstimateOut > 1_000_000 })

	// A NACK for a packet it has (the answer is a duplicate its SRTP
	// drops, but the SFU counts it) and a PLI.
	rec.mu.Lock()
	seq := rec.lastSeq["hall-a/camera"] - 5
	rec.mu.Unlock()
	camMu.Lock()
	r, ssrc := cam, camSSRC
	camMu.Unlock()
	plis := video.PLIs()
	// Sent again every 100 ms until seen, as a receiver repeats them: a
	// PLI within PLIInterval of the SFU's last key frame request is
	// throttled away.
	deadline := time.After(5 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for video.PLIs() == plis || gather(t, b)["cau_sfu_nacks_answered_total"] == 0 {
		if _, err := r.Transport().WriteRTCP([]rtcp.Packet{
			&rtcp.TransportLayerNack{MediaSSRC: ssrc, Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{seq})},
			&rtcp.PictureLossIndication{MediaSSRC: ssrc},
		}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-tick.C:
		case <-deadline:
			m := gather(t, b)
			t.Fatalf("after a NACK and a PLI: the publisher's PLIs %d (before %d), NACKs received %v, answered %v",
				video.PLIs(), plis, m["cau_sfu_nacks_received_total"], m["cau_sfu_nacks_answered_total"])
		}
	}

	fastRTCP := gather(t, b)["cau_sfu_rtcp_fast_path_total"]
	if fast && fastRTCP == 0 {
		t.Error("no RTCP read on the fast read path")
	}
	if !fast && fastRTCP != 0 {
		t.Errorf("%v RTCP datagrams read on the fast read path with pion's writes", fastRTCP)
	}
}

// waitStats waits until the stats of id satisfy cond.
func waitStats(t *testing.T, b bundle, room sfu.RoomID, id sfu.ParticipantID, what string, d time.Duration,
	cond func(sfu.ParticipantStats) bool) {
	t.Helper()
	deadline := time.After(d)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, st := range b.s.RoomStats(room) {
			if st.Identity == id && cond(st) {
				return
			}
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: %s not seen in %v (stats: %+v)", id, what, d, b.s.RoomStats(room))
		}
	}
}

// reports keeps the last sender report received per track.
type reports struct {
	mu      sync.Mutex
	got     map[string]rtcp.SenderReport
	changed chan struct{} // closed and replaced at each report
}

func (s *reports) read(id string, r *webrtc.RTPReceiver) {
	for {
		pkts, _, err := r.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			if sr, ok := p.(*rtcp.SenderReport); ok {
				s.mu.Lock()
				s.got[id] = *sr
				close(s.changed)
				s.changed = make(chan struct{})
				s.mu.Unlock()
			}
		}
	}
}

func (s *reports) wait(t *testing.T, id string, d time.Duration) rtcp.SenderReport {
	t.Helper()
	deadline := time.After(d)
	for {
		s.mu.Lock()
		sr, ok := s.got[id]
		changed := s.changed
		s.mu.Unlock()
		if ok && sr.PacketCount > 0 {
			return sr
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%s: no sender report with packets in %v (last: %+v)", id, d, sr)
		}
	}
}
