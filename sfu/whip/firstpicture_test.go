package whip_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestWHEPFirstPictureAtOnce: a WHEP player joining a floor whose encoder
// ignores PLIs (and sends a key frame every 10 s) gets its first video
// packet, a key frame, within 100 ms of its media connection coming up:
// the SFU replays the layer's last key frame from its cache. Before, it
// waited for the encoder's next key frame: up to 10 s.
func TestWHEPFirstPictureAtOnce(t *testing.T) {
	sv := start(t, sfu.Config{InitialBitrate: 4_000_000})
	const room = "meeting-31"
	ctx := ctxT(t, 60*time.Second)

	enc, err := sfuclient.PublishWHIP(ctx, sv.srv.URL+"/whip/"+room, sv.token(room, "hall-1", true, false, false),
		sfuclient.Options{Logger: sv.log}, sfuclient.WHIPPublication{VideoMime: webrtc.MimeTypeVP8, RIDs: []string{"q", "h", "f"}, Audio: true})
	if err != nil {
		t.Fatalf("WHIP publish: %v", err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		sfuclient.SendVideo(sctx, enc.Video, sfuclient.VideoSpec{Bitrates: []int{150_000, 500_000, 1_500_000},
			KeyInterval: 10 * time.Second, IgnorePLI: true})
	}()
	go func() { defer wg.Done(); sfuclient.SendAudio(sctx, enc.Audio, func() int { return 30 }) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	if err := sv.s.PinFloor(room, "hall-1"); err != nil {
		t.Fatal(err)
	}
	// Past the ring of the top layer (about 1.4 s of it): the key frame
	// comes from the cache's own copy.
	time.Sleep(2 * time.Second)

	const players = 12
	var fromConnected, fromJoin []time.Duration
	for i := range players {
		var mu sync.Mutex
		var connected time.Time
		first := make(chan struct {
			at  time.Time
			key bool
		}, 1)
		begin := time.Now()
		o := sfuclient.Options{Logger: sv.log,
			OnConnectionState: func(st webrtc.PeerConnectionState) {
				if st == webrtc.PeerConnectionStateConnected {
					mu.Lock()
					connected = time.Now()
					mu.Unlock()
				}
			},
			OnTrack: func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
				if tr.Kind() != webrtc.RTPCodecTypeVideo {
					go sfuclient.ReadPackets(tr, nil)
					return
				}
				sent := false
				go sfuclient.ReadPackets(tr, func(p *rtp.Packet) {
					if sent || len(p.Payload) == 0 {
						return
					}
					f, _ := sfuclient.ParseSynthetic(p.Payload)
					first <- struct {
						at  time.Time
						key bool
					}{time.Now(), f.Keyframe}
					sent = true
				})
			},
		}
		player, err := sfuclient.PlayWHEP(ctx, sv.srv.URL+"/whep", sv.token(room, "lobby", false, true, false), o, 1)
		if err != nil {
			t.Fatalf("player %d: WHEP play: %v", i, err)
		}
		select {
		case f := <-first:
			mu.Lock()
			c := connected
			mu.Unlock()
			if !f.key {
				t.Errorf("player %d: the first video packet is not a key frame's", i)
			}
			if c.IsZero() {
				c = f.at // connected is reported after the first packet at times
			}
			fromConnected = append(fromConnected, max(f.at.Sub(c), 0))
			fromJoin = append(fromJoin, f.at.Sub(begin))
		case <-time.After(5 * time.Second):
			t.Fatalf("player %d: no video within 5 s of joining", i)
		}
		if err := player.Close(ctx); err != nil {
			t.Fatalf("player %d: WHEP DELETE: %v", i, err)
		}
	}
	slices.Sort(fromConnected)
	slices.Sort(fromJoin)
	p99 := func(ds []time.Duration) time.Duration { return ds[(len(ds)*99+99)/100-1] }
	t.Logf("first video packet after the media connection: p50 %v p99 %v; after the WHEP request: p50 %v p99 %v",
		fromConnected[len(fromConnected)/2], p99(fromConnected), fromJoin[len(fromJoin)/2], p99(fromJoin))
	if got := p99(fromConnected); got >= 100*time.Millisecond {
		t.Errorf("first video packet p99 %v after the media connection, want < 100 ms (all: %v)", got, fromConnected)
	}
}
