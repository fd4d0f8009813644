package sfu

import (
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// TestRenegotiationWaitsForICEStart: a publisher's second offer that
// reaches the SFU before pion has started the up connection's ICE
// transport (held back here on the connection's operations queue, as a
// loaded machine holds it) is answered once the transport started, under
// the first answer's ufrag. Answered at once, pion restarted ICE and the
// second answer carried a new ufrag (icestart).
func TestRenegotiationWaitsForICEStart(t *testing.T) {
	s, err := New(Config{ListenIPs: []string{"127.0.0.1"}, TCPPort: -1}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	p, err := s.Join(Grant{Room: "meeting-ice", Identity: "hall-a", Kind: KindHall, Publish: true}, Discard, JoinOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pc, _, err := p.upConn()
	if err != nil {
		t.Fatal(err)
	}
	release := holdOperations(t, pc)

	client := loopbackPeer(t)
	offer := func() string {
		t.Helper()
		o, err := client.CreateOffer(nil)
		if err == nil {
			err = client.SetLocalDescription(o)
		}
		if err != nil {
			t.Fatal(err)
		}
		answer, err := p.Offer(o.SDP, OfferOptions{})
		if err != nil {
			t.Fatalf("offer: %v", err)
		}
		if err := client.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
			t.Fatal(err)
		}
		return answer
	}
	if _, err := client.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	first := offer()
	if _, err := client.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond) // the second offer arrives meanwhile
		release()
	}()
	second := offer()
	if a, b := sdpUfrag(first), sdpUfrag(second); a != b {
		t.Errorf("the SFU answered the renegotiation under ufrag %s, the first offer under %s: ICE restarted", b, a)
	}
}

// holdOperations keeps pc's operations queue busy until release is
// called, so that the ICE transport of its first exchange does not start:
// the queue runs the negotiationneeded handler, which a data channel
// nobody negotiates calls.
func holdOperations(t *testing.T, pc *webrtc.PeerConnection) (release func()) {
	t.Helper()
	held, done := make(chan struct{}), make(chan struct{})
	var once, releaseOnce sync.Once
	pc.OnNegotiationNeeded(func() {
		once.Do(func() { close(held) })
		<-done
	})
	if _, err := pc.CreateDataChannel("hold", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held:
	case <-time.After(5 * time.Second):
		t.Fatal("the operations queue never ran the negotiationneeded handler")
	}
	release = func() { releaseOnce.Do(func() { close(done) }) }
	t.Cleanup(release)
	return release
}

// loopbackPeer is a plain pion peer connection with loopback candidates
// only, closed at the end of the test.
func loopbackPeer(t *testing.T) *webrtc.PeerConnection {
	t.Helper()
	var se webrtc.SettingEngine
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// sdpUfrag is a description's first ICE ufrag.
func sdpUfrag(sdp string) string {
	for _, l := range strings.Split(sdp, "\r\n") {
		if u, ok := strings.CutPrefix(l, "a=ice-ufrag:"); ok {
			return u
		}
	}
	return ""
}
