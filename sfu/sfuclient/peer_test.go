package sfuclient

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestLateCopyAccepted: the client takes a copy of a packet that arrives
// far behind the newest (a NACK answered through a commune line's queue),
// as a browser does. With pion's SRTP replay window of 64 it was dropped
// before transport feedback saw it, and the SFU's estimator counted it
// lost (see srtpReplayWindow).
func TestLateCopyAccepted(t *testing.T) {
	const first, n, missing = 1000, 300, 1010
	for _, tc := range []struct {
		name string
		api  func(t *testing.T) *webrtc.API
		want bool
	}{
		{"client", func(t *testing.T) *webrtc.API {
			api, err := newAPI(Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			return api
		}, true},
		// pion's defaults: the reason for the client's (and a check that
		// the copy really is far enough behind to be refused by them).
		{"pion defaults", func(*testing.T) *webrtc.API { return plainAPI() }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "test")
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			got := map[uint16]bool{}
			last := make(chan struct{})
			onTrack := func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
				for {
					p, _, err := tr.ReadRTP()
					if err != nil {
						return
					}
					mu.Lock()
					got[p.SequenceNumber] = true
					mu.Unlock()
					if p.SequenceNumber == first+n {
						close(last)
					}
				}
			}
			send, _ := connectedPairWith(t, plainAPI(), tc.api(t), track, onTrack)
			connected := make(chan struct{})
			var once sync.Once
			send.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
				if s == webrtc.PeerConnectionStateConnected {
					once.Do(func() { close(connected) })
				}
			})
			select {
			case <-connected:
			case <-time.After(10 * time.Second):
				t.Fatal("no connection within 10 s")
			}
			write := func(seq uint16) {
				t.Helper()
				// A VP8 key frame's descriptor, so the receiver's OnTrack fires.
				p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 3000},
					Payload: []byte{0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x01, 0x00, 0x01, 0x00}}
				if err := track.WriteRTP(p); err != nil {
					t.Fatal(err)
				}
			}
			// Until the receiver reads, then the rest with one gap, then the
			// copy that fills it, then one more to know all have come.
			seq := uint16(first - 200)
			for deadline := time.Now().Add(10 * time.Second); ; seq++ {
				write(seq)
				mu.Lock()
				started := len(got) > 0
				mu.Unlock()
				if started {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("nothing received within 10 s")
				}
				time.Sleep(10 * time.Millisecond)
			}
			for s := uint16(first); s < first+n; s++ {
				if s != missing {
					write(s)
				}
			}
			time.Sleep(50 * time.Millisecond)
			write(missing)
			time.Sleep(50 * time.Millisecond)
			write(first + n)
			select {
			case <-last:
			case <-time.After(5 * time.Second):
				t.Fatal("the last packet did not come within 5 s")
			}
			mu.Lock()
			defer mu.Unlock()
			if got[missing] != tc.want {
				t.Errorf("copy of %d, %d behind the newest: received %v, want %v", missing, first+n-1-missing, got[missing], tc.want)
			}
		})
	}
}
