package loadtest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestSimulcastPumpsOverLoopback publishes a synthetic hall to a plain
// pion receiver (no SFU) and checks that every layer and the audio arrive
// with measurable delay and no loss.
func TestSimulcastPumpsOverLoopback(t *testing.T) {
	api, err := NewLoopbackAPI()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sub, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	tracks, err := AddHallTracks(pub, "hall-1", ReferenceLayers)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	stats := map[string]*RecvStats{}
	arrived := make(chan string, 8)
	sub.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		key := tr.Kind().String() + "/" + tr.RID()
		s := NewRecvStats(tr.Kind())
		mu.Lock()
		stats[key] = s
		mu.Unlock()
		arrived <- key
		s.Consume(tr)
	})

	connect(t, pub, sub)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sent SendCounters
	mid := ""
	for _, tr := range pub.GetTransceivers() {
		if tr.Sender() == tracks.VSender {
			mid = tr.Mid()
		}
	}
	ids := NegotiatedStreamIDs(tracks.VSender, mid)
	if ids.MidID == 0 || ids.RIDID == 0 {
		t.Fatalf("stream ID extensions not negotiated: %+v", ids)
	}
	for i, l := range ReferenceLayers {
		go VideoPump(ctx, tracks.Video[i], tracks.VSender, ids, l, &sent)
	}
	go AudioPump(ctx, tracks.Audio, &sent)

	want := map[string]bool{"video/f": true, "video/h": true, "video/q": true, "audio/": true}
	deadline := time.After(15 * time.Second)
	for len(want) > 0 {
		select {
		case k := <-arrived:
			delete(want, k)
		case <-deadline:
			t.Fatalf("tracks still missing after 15s: %v", want)
		}
	}
	// Let a second of media flow, then check each stream.
	time.Sleep(time.Second)
	mu.Lock()
	defer mu.Unlock()
	widths := map[string]int64{"video/f": 1280, "video/h": 640, "video/q": 320}
	for k, s := range stats {
		if s.Packets.Load() < 10 {
			t.Errorf("%s: %d packets", k, s.Packets.Load())
		}
		if s.Delay.Count() == 0 || s.Delay.Quantile(0.5) > 200*time.Millisecond {
			t.Errorf("%s: delay p50 %s over %d samples", k, s.Delay.Quantile(0.5), s.Delay.Count())
		}
		if w, ok := widths[k]; ok && s.Width.Load() != w {
			t.Errorf("%s: key frame width %d, want %d", k, s.Width.Load(), w)
		}
		if s.Loss() > 0.01 {
			t.Errorf("%s: loss %.3f on loopback", k, s.Loss())
		}
	}
}
