package sfu_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// TestFastReceivePath: a publisher on UDP has its packets read on the
// fast receive path (the SFU's own SRTP context on the media socket's
// read loop, fastrecv.go), and the up connection's interceptors still
// see them: packets it leaves out once the fast path carries its stream
// are NACKed, transport-wide feedback on them reaches it, and receiver
// reports about its stream count the loss. With Config.PionReceive all
// of it goes through pion, as before.
func TestFastReceivePath(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  sfu.Config
		fast bool
	}{
		{"fast receive", sfu.Config{}, true},
		{"pion receive", sfu.Config{PionReceive: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) { fastReceivePath(t, tc.cfg, tc.fast) })
	}
}

func fastReceivePath(t *testing.T, cfg sfu.Config, fast bool) {
	b := setup(t, cfg)
	a := b.dial(t, "meeting-1", "hall-a", sfuclient.Options{})
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "camera", "cau")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := a.PublishTrack(ctxT(t, 10*time.Second), track, sfu.SourceCamera)
	if err != nil {
		t.Fatal(err)
	}
	fb := &upstreamRTCP{changed: make(chan struct{})}
	go fb.read(sender)

	// Pion's default interceptors do not number a sender's packets for
	// transport-wide feedback (browsers do): the packets carry the
	// negotiated extension themselves.
	var twccID uint8
	for _, e := range sender.GetParameters().HeaderExtensions {
		if e.URI == sdp.TransportCCURI {
			twccID = uint8(e.ID)
		}
	}
	if twccID == 0 {
		t.Fatal("transport-wide congestion control not negotiated on the up connection")
	}

	// 200 packets a second; once lossFrom is set, every 20th from it is
	// never sent (and so never retransmitted: pion's responder has no
	// copy).
	var lossFrom atomic.Uint32
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		seq, ts := uint16(1000), uint32(0)
		payload := make([]byte, 600)
		payload[0] = 0x10 // VP8: start of a partition, not a key frame
		payload[3] = 0x01
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			seq++
			ts += 450
			if f := lossFrom.Load(); f != 0 && uint32(seq) >= f && seq%20 == 0 {
				continue
			}
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: true}, Payload: payload}
			ext, _ := (&rtp.TransportCCExtension{TransportSequence: seq}).Marshal()
			_ = pkt.Header.SetExtension(twccID, ext)
			_ = track.WriteRTP(pkt)
		}
	}()
	defer func() {
		cancel()
		wg.Wait()
	}()

	// The stream is on the path under test before anything is lost.
	deadline := time.After(10 * time.Second)
	for {
		m := gather(t, b)
		in, fastIn := m["cau_sfu_packets_received_total"], m["cau_sfu_rtp_fast_receive_total"]
		if in > 50 && (!fast || fastIn > 50) {
			break
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("packets received %v, on the fast path %v; want more than 50 (on the fast path: %v)", in, fastIn, fast)
		}
	}
	first := fb.lastSent(sender) + 40 // past what is in flight
	lossFrom.Store(uint32(first))

	deadline = time.After(10 * time.Second)
	for {
		nacked, feedback, lost := fb.state(first)
		if nacked && feedback && lost > 0 {
			break
		}
		select {
		case <-fb.wait():
		case <-deadline:
			t.Fatalf("after 10 s: NACKed a packet left out from %d: %v; transport-wide feedback since: %v; loss reported since %d",
				first, nacked, feedback, lost)
		}
	}
	m := gather(t, b)
	in, fastIn := m["cau_sfu_packets_received_total"], m["cau_sfu_rtp_fast_receive_total"]
	if fast && fastIn < in*0.9 {
		t.Errorf("the fast path read %v of %v packets received; want all but pion's first", fastIn, in)
	}
	if !fast && fastIn != 0 {
		t.Errorf("the fast path read %v packets with Config.PionReceive", fastIn)
	}
}

// upstreamRTCP is what a publisher's sender hears from the SFU.
type upstreamRTCP struct {
	mu       sync.Mutex
	nacks    []uint16 // sequence numbers NACKed
	feedback int      // transport-wide feedback packets
	fbMark   int      // feedback count when state was first asked about a loss
	lostMark uint32   // the report's loss then
	marked   bool
	lost     uint32 // cumulative loss of the last receiver report
	changed  chan struct{}
	highest  uint16 // the highest sequence number the SFU reported receiving
	reported bool
}

func (u *upstreamRTCP) read(s *webrtc.RTPSender) {
	ssrc := uint32(s.GetParameters().Encodings[0].SSRC)
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		u.mu.Lock()
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.TransportLayerNack:
				for _, pair := range p.Nacks {
					u.nacks = append(u.nacks, pair.PacketList()...)
				}
			case *rtcp.TransportLayerCC:
				u.feedback++
			case *rtcp.ReceiverReport:
				for _, r := range p.Reports {
					if r.SSRC == ssrc {
						u.lost, u.highest, u.reported = r.TotalLost, uint16(r.LastSequenceNumber), true
					}
				}
			}
		}
		close(u.changed)
		u.changed = make(chan struct{})
		u.mu.Unlock()
	}
}

func (u *upstreamRTCP) wait() <-chan struct{} {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.changed
}

// lastSent is the highest sequence number the SFU has reported
// receiving, once it has (a receiver report a second).
func (u *upstreamRTCP) lastSent(s *webrtc.RTPSender) uint16 {
	for {
		u.mu.Lock()
		h, ok, ch := u.highest, u.reported, u.changed
		u.mu.Unlock()
		if ok {
			return h
		}
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			return 0
		}
	}
}

// state: a sequence number at or after from was NACKed, transport-wide
// feedback came after the first call, and the loss receiver reports
// counted since.
func (u *upstreamRTCP) state(from uint16) (nacked, feedback bool, lost uint32) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.marked {
		u.fbMark, u.lostMark, u.marked = u.feedback, u.lost, true
	}
	for _, s := range u.nacks {
		if s-from < 0x8000 && s%20 == 0 {
			nacked = true
		}
	}
	return nacked, u.feedback > u.fbMark, u.lost - u.lostMark
}
