package icestart

import (
	"context"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu/internal/pctest"
	"github.com/pion/webrtc/v4"
)

// TestBeforeRenegotiation: an answerer whose first exchange's ICE
// transport has not started (its operations queue held, as a loaded
// machine holds it) is given a renegotiation offer. Set at once, pion
// restarts ICE and the answer carries a new ufrag; set after
// BeforeRenegotiation, the answer keeps the first one's.
func TestBeforeRenegotiation(t *testing.T) {
	for _, wait := range []bool{false, true} {
		offerer, answerer := pctest.LoopbackPeer(t), pctest.LoopbackPeer(t)
		started := New()
		answerer.OnConnectionStateChange(started.Note)
		release := pctest.HoldOperations(t, answerer)
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
				if err := started.BeforeRenegotiation(context.Background(), answerer); err != nil {
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
	u := pctest.Ufrag(answer.SDP)
	if u == "" {
		t.Fatal("an answer without a ufrag")
	}
	return u
}
