// Package pctest holds what tests of pion peer connections share: a
// loopback-only peer, a held operations queue (as a loaded machine holds
// it) and an SDP's ICE ufrag.
package pctest

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// LoopbackPeer is a plain pion peer connection with loopback candidates
// only, closed at the end of the test.
func LoopbackPeer(t testing.TB) *webrtc.PeerConnection {
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

// HoldOperations keeps pc's operations queue busy until release is
// called, so that the ICE transport of its first exchange does not
// start: the queue runs the negotiationneeded handler, which a data
// channel nobody negotiates calls.
func HoldOperations(t testing.TB, pc *webrtc.PeerConnection) (release func()) {
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

// Ufrag is a description's first ICE ufrag ("" if it has none).
func Ufrag(sdp string) string {
	for _, l := range strings.Split(sdp, "\r\n") {
		if u, ok := strings.CutPrefix(l, "a=ice-ufrag:"); ok {
			return u
		}
	}
	return ""
}
