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

// TestLossySubscriberGetsRED: a plain Opus publisher (an encoder over
// WHIP, a pion peer) heard by two halls on a line losing 10 %: the one
// that negotiated RED gets the SFU's copies of the frames before each
// once it has reported its loss, and misses far fewer frames than the
// one without RED.
func TestLossySubscriberGetsRED(t *testing.T) {
	if testing.Short() {
		t.Skip("about 6 s on a lossy line")
	}
	w := newWeakLink(t)
	w.limit(t, 2_000_000, 10)
	b := setup(t, sfu.Config{Net: w.sfuNet, ListenIPs: []string{"10.0.0.1"}})
	const room = "meeting-red-down"
	plain, withRED := &frameLog{frames: map[uint16]int{}}, &frameLog{frames: map[uint16]int{}}
	b.dial(t, room, "hall-plain", sfuclient.Options{Net: w.subNet, OnTrack: plain.onTrack, NoAudioNACK: true}, permSubscribe)
	b.dial(t, room, "hall-red", sfuclient.Options{Net: w.subNet, OnTrack: withRED.onTrack, NoAudioNACK: true, RED: true}, permSubscribe)
	pc := b.dial(t, room, "hall-a", sfuclient.Options{Net: w.pubNet})
	pub, err := pc.PublishAudio(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	// RED starts once a receiver report has told the SFU the line's loss:
	// about a second in (frame 55-65), later when the line loses reports
	// too or the machine is loaded (a run at load 7 had 171 RED packets,
	// against 258-310: its RED started after frame 150, where counting
	// began). 250 frames (5 s) from the first RED packet are counted.
	const counted, redWithin = 250, 500
	from := -1
	sendWhile(t, pub, func(i int) bool {
		if from < 0 {
			if f, ok := withRED.firstRED(); ok {
				from = f
			}
		}
		if from < 0 {
			return i < redWithin
		}
		return i < from+counted
	}, func(int) bool { return false })
	if from < 0 {
		t.Fatalf("no RED within %d frames (%d s) on a line losing 10 %%", redWithin, redWithin/50)
	}
	time.Sleep(300 * time.Millisecond)
	missPlain, gotPlain := plain.gapsFrom(t, from)
	missRED, gotRED := withRED.gapsFrom(t, from)
	t.Logf("line losing 10 %%: RED from frame %d; without RED %d of %d frames missing, with the SFU's RED %d of %d (%d RED packets)",
		from, missPlain, missPlain+gotPlain, missRED, missRED+gotRED, withRED.red)
	if missPlain < 10 {
		t.Fatalf("only %d frames missing without RED: the line did not lose", missPlain)
	}
	if missRED*4 > missPlain || withRED.red == 0 {
		t.Errorf("with RED %d frames missing (%d RED packets), without %d: want at most a quarter", missRED, withRED.red, missPlain)
	}
}
