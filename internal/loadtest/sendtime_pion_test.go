package loadtest

import (
	"net"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// slowWrites is an interceptor that holds every RTP packet its peer
// sends for d before passing it on: a generator's pion path that waits
// (for a core, a lock) between the stamp and the socket.
type slowWrites struct {
	interceptor.NoOp
	d time.Duration
}

func (s *slowWrites) NewInterceptor(string) (interceptor.Interceptor, error) { return s, nil }

func (s *slowWrites) BindLocalStream(_ *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		time.Sleep(s.d)
		return w.Write(h, payload, a)
	})
}

// wireAPI is a loopback pion API whose sockets are n's, with extra
// interceptors.
func wireAPI(t *testing.T, n *WireNet, extra ...interceptor.Factory) *webrtc.API {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	for _, f := range extra {
		ir.Add(f)
	}
	s := webrtc.SettingEngine{}
	s.SetNet(n)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(s))
}

// TestOutsideDelayUnderPion: a pion publisher whose write path holds
// each packet 25 ms after the generator stamped it, over SRTP to a pion
// subscriber on loopback. pion writes through the timed socket (ICE's
// WriteTo), the SSRC and sequence number are read from the encrypted
// datagrams on both sides, and the delay from outside leaves the 25 ms
// out, where the delay to the read and the wire delay hold it.
func TestOutsideDelayUnderPion(t *testing.T) {
	const slow = 25 * time.Millisecond
	sends := NewSendClock()
	pubNet, err := NewWireNet()
	if err != nil {
		t.Fatal(err)
	}
	pubNet.Sends = sends
	subNet, err := NewWireNet()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := wireAPI(t, pubNet, &slowWrites{d: slow}).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sub, err := wireAPI(t, subNet).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "hall")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := pub.AddTrack(track)
	if err != nil {
		t.Fatal(err)
	}
	stats := make(chan *RecvStats, 1)
	sub.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		s := NewRecvStats(tr.Kind())
		s.Wire, s.Sends = subNet.Clock, sends
		stats <- s
		s.Consume(tr)
	})
	connect(t, pub, sub)

	ssrc := uint32(sender.GetParameters().Encodings[0].SSRC)
	var s *RecvStats
	deadline := time.After(15 * time.Second)
	for seq := uint16(0); s == nil || s.OutsideDelay.Count() < 20; seq++ {
		st := Stamp{Sent: time.Now(), From: true, SSRC: ssrc, Seq: seq}
		if err := track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 960},
			Payload: OpusPayloadStamped(opusBytes, st)}); err != nil {
			t.Fatal(err)
		}
		select {
		case s = <-stats:
		case <-deadline:
			t.Fatalf("fewer than 20 packets matched from outside in 15 s (track arrived: %v)", s != nil)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if n := s.WireDelay.Count(); s.OutsideDelay.Count() > n {
		t.Errorf("%d delays from outside of %d packets at the socket", s.OutsideDelay.Count(), n)
	}
	t.Logf("from outside p50 %v (%d packets), wire p50 %v, to the read p50 %v", s.OutsideDelay.Quantile(0.5), s.OutsideDelay.Count(), s.WireDelay.Quantile(0.5), s.Delay.Quantile(0.5))
	// Loopback and pion's receiving: well under the 25 ms the publisher's
	// pion held each packet, which the stamp-based delays include.
	if out := s.OutsideDelay.Quantile(0.5); out >= slow/2 {
		t.Errorf("delay from outside p50 %v: holds the publisher's %v", out, slow)
	}
	// The send stamp comes before the arrival (loopback delivers within
	// the sender's write: a stamp at its return would come after).
	if s.OutsideDelay.Max() <= 0 {
		t.Errorf("every delay from outside ≤ 0: the send stamp is after the arrival")
	}
	if w, d := s.WireDelay.Quantile(0.5), s.Delay.Quantile(0.5); w < slow || d < w {
		t.Errorf("wire delay p50 %v, to the read %v: want ≥ %v, and the read after the socket", w, d, slow)
	}
}

// connect negotiates pub's offer with sub, candidates gathered first.
func connect(t *testing.T, pub, sub *webrtc.PeerConnection) {
	t.Helper()
	offer, err := pub.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pub)
	if err := pub.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := sub.SetRemoteDescription(*pub.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	answer, err := sub.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(sub)
	if err := sub.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := pub.SetRemoteDescription(*sub.LocalDescription()); err != nil {
		t.Fatal(err)
	}
}
