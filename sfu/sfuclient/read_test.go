package sfuclient

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// connectedPair returns two pion peers over loopback, the first sending
// track to the second, and the second's OnTrack hooked to onTrack.
func connectedPair(t *testing.T, track webrtc.TrackLocal, onTrack func(*webrtc.TrackRemote, *webrtc.RTPReceiver)) (send, recv *webrtc.PeerConnection) {
	t.Helper()
	api := plainAPI()
	return connectedPairWith(t, api, api, track, onTrack)
}

// plainAPI is pion's defaults on loopback UDP (no interceptors: nothing
// answers NACKs).
func plainAPI() *webrtc.API {
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return webrtc.NewAPI(webrtc.WithSettingEngine(se))
}

// connectedPairWith is connectedPair with the sender on sendAPI and the
// receiver on recvAPI.
func connectedPairWith(t *testing.T, sendAPI, recvAPI *webrtc.API, track webrtc.TrackLocal, onTrack func(*webrtc.TrackRemote, *webrtc.RTPReceiver)) (send, recv *webrtc.PeerConnection) {
	t.Helper()
	var err error
	if send, err = sendAPI.NewPeerConnection(webrtc.Configuration{}); err != nil {
		t.Fatal(err)
	}
	if recv, err = recvAPI.NewPeerConnection(webrtc.Configuration{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = send.Close(); _ = recv.Close() })
	recv.OnTrack(onTrack)
	if _, err := send.AddTrack(track); err != nil {
		t.Fatal(err)
	}
	// Whole descriptions (candidates gathered), no trickle.
	describe := func(pc *webrtc.PeerConnection, d webrtc.SessionDescription) webrtc.SessionDescription {
		done := webrtc.GatheringCompletePromise(pc)
		if err := pc.SetLocalDescription(d); err != nil {
			t.Fatal(err)
		}
		<-done
		return *pc.LocalDescription()
	}
	offer, err := send.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := recv.SetRemoteDescription(describe(send, offer)); err != nil {
		t.Fatal(err)
	}
	answer, err := recv.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := send.SetRemoteDescription(describe(recv, answer)); err != nil {
		t.Fatal(err)
	}
	return send, recv
}

// TestReadPackets: every packet sent comes to the function in order with
// its payload, and ReadPackets returns when the receiving peer closes.
func TestReadPackets(t *testing.T) {
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "test")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan [2]uint16, 1000) // sequence number, first payload byte
	ended := make(chan struct{})
	_, recv := connectedPair(t, track, func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		go func() {
			defer close(ended)
			ReadPackets(tr, func(p *rtp.Packet) {
				got <- [2]uint16{p.SequenceNumber, uint16(p.Payload[0])}
			})
		}()
	})
	send := func(seq uint16) {
		t.Helper()
		p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 960}, Payload: []byte{byte(seq), 0xf8}}
		if err := track.WriteRTP(p); err != nil {
			t.Fatal(err)
		}
	}
	// Send until the first is read (ICE and DTLS take a moment: what
	// goes before is lost), then 100 more; all after the first must come.
	const more = 100
	seq := uint16(1000)
	var first uint16
	deadline := time.After(10 * time.Second)
	for first == 0 {
		send(seq)
		select {
		case g := <-got:
			first = g[0]
		case <-time.After(20 * time.Millisecond):
			seq++
		case <-deadline:
			t.Fatal("no packet read in 10 s")
		}
	}
	for range more {
		seq++
		send(seq)
		time.Sleep(time.Millisecond) // loopback keeps the order; pacing keeps the buffers small
	}
	for want := first + 1; want != seq+1; want++ {
		select {
		case g := <-got:
			if g[0] != want || g[1] != uint16(byte(want)) {
				t.Fatalf("read packet %d with payload byte %d, want %d with %d", g[0], g[1], want, byte(want))
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("read up to %d of %d packets", want, seq)
		}
	}
	if err := recv.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("ReadPackets did not return after its peer closed")
	}
}
