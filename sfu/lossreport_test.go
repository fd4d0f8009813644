package sfu_test

import (
	"context"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// TestAudioPublisherToldSubscribersLoss: the receiver reports the SFU
// sends an audio publisher carry the loss its subscriber sees on a lossy
// line (so a browser's Opus encoder turns its in-band FEC up), capped at
// 20 %, and nothing on a clean line.
func TestAudioPublisherToldSubscribersLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("about 10 s of receiver reports")
	}
	w := newWeakLink(t)
	b := setup(t, sfu.Config{Net: w.sfuNet, ListenIPs: []string{"10.0.0.1"}})
	const room = "meeting-fec"
	log := &frameLog{frames: map[uint16]int{}}
	b.dial(t, room, "hall-commune", sfuclient.Options{Net: w.subNet, OnTrack: log.onTrack, NoAudioNACK: true}, permSubscribe)
	pc := b.dial(t, room, "hall-a", sfuclient.Options{Net: w.pubNet})
	pub, err := pc.PublishAudio(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sfuclient.SendAudio(ctx, pub, func() int { return 30 }) }()
	t.Cleanup(func() { cancel(); <-done })

	// wait returns the first fraction lost reported that ok accepts.
	wait := func(what string, ok func(uint8) bool) uint8 {
		t.Helper()
		deadline := time.Now().Add(8 * time.Second)
		var last uint8
		for time.Now().Before(deadline) {
			if f, got := pub.FractionLost(); got {
				if last = f; ok(f) {
					return f
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("the publisher was not told %s within 8 s; last report %d/256", what, last)
		return 0
	}
	clean := wait("of a clean line", func(f uint8) bool { return f <= 3 })
	w.limit(t, 2_000_000, 10)
	lossy := wait("of the subscriber's 10 % loss", func(f uint8) bool { return f >= 13 && f <= 51 })
	w.limit(t, 2_000_000, 40)
	capped := wait("40 % loss, capped at 20 %", func(f uint8) bool { return f == 51 })
	t.Logf("fraction lost told to the publisher: clean %d/256, subscriber at 10 %% loss %d/256, at 40 %% %d/256", clean, lossy, capped)
}
