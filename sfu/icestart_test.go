package sfu

import (
	"log/slog"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu/internal/pctest"
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
	release := pctest.HoldOperations(t, pc)

	client := pctest.LoopbackPeer(t)
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
	if a, b := pctest.Ufrag(first), pctest.Ufrag(second); a != b {
		t.Errorf("the SFU answered the renegotiation under ufrag %s, the first offer under %s: ICE restarted", b, a)
	}
}
