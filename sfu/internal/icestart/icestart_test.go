package icestart

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// TestBeforeRenegotiation: an answerer whose first exchange's ICE
// transport has not started (its operations queue held, as a loaded
// machine holds it) is given a renegotiation offer. Set at once, pion
// restarts ICE and the answer carries a new ufrag; set after
// BeforeRenegotiation, the answer keeps the first one's.
func TestBeforeRenegotiation(t *testing.T) {
	for _, wait := range []bool{false, true} {
		offerer, answerer := loopbackPeer(t), loopbackPeer(t)
		started := New()
		answerer.OnConnectionStateChange(started.Note)
		release := holdOperations(t, answerer)
		if _, err := offerer.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
		first := exchange(t, offerer, answerer, nil)
		if _, err := offerer.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(100 * time.Millisecond) // the offer arrives meanwhile
			release()
		}()
		second := exchange(t, offerer, answerer, func() {
			if wait {
				if err := started.BeforeRenegotiation(context.Background(), answerer, 5*time.Second); err != nil {
					t.Fatal(err)
				}
			}
		})
		switch {
		case wait && first != second:
			t.Errorf("after BeforeRenegotiation the answerer restarted ICE: ufrag %s, then %s", first, second)
		case !wait && first == second:
			// Pion no longer restarts: the package may go.
			t.Logf("set at once, the renegotiation kept ufrag %s: pion no longer restarts ICE on it", first)
		}
		release()
	}
}

// exchange runs one offer/answer from offerer to answerer, before (nil:
// nothing) called just before the answerer sets the offer, and returns
// the answer's ufrag.
func exchange(t *testing.T, offerer, answerer *webrtc.PeerConnection, before func()) string {
	t.Helper()
	offer, err := offerer.CreateOffer(nil)
	if err == nil {
		err = offerer.SetLocalDescription(offer)
	}
	if err != nil {
		t.Fatal(err)
	}
	if before != nil {
		before()
	}
	if err := answerer.SetRemoteDescription(offer); err != nil {
		t.Fatal(err)
	}
	answer, err := answerer.CreateAnswer(nil)
	if err == nil {
		err = answerer.SetLocalDescription(answer)
	}
	if err == nil {
		err = offerer.SetRemoteDescription(answer)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(answer.SDP, "\r\n") {
		if u, ok := strings.CutPrefix(l, "a=ice-ufrag:"); ok {
			return u
		}
	}
	t.Fatal("an answer without a ufrag")
	return ""
}

// holdOperations keeps pc's operations queue busy until release is
// called, so that the ICE transport of its first exchange does not
// start: the queue runs the negotiationneeded handler, which a data
// channel nobody negotiates calls.
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
