package sfu_test

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/red"
	"github.com/cau-gov/cau/sfu/sfuclient"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestREDAnswerLeadsWithRED: a publisher offering Opus and then RED, in
// Chromium's order, is answered RED first (Chromium sends RED only then)
// with Opus's in-band FEC kept, and the track is announced as Opus.
func TestREDAnswerLeadsWithRED(t *testing.T) {
	b := setup(t, sfu.Config{})
	const room = "meeting-red-sdp"
	watcher := b.dial(t, room, "hall-b", sfuclient.Options{}, permSubscribe)
	pub := b.dial(t, room, "hall-a", sfuclient.Options{RED: true})
	audio, err := pub.PublishAudio(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sfuclient.SendAudio(ctx, audio, func() int { return 30 }) }()
	t.Cleanup(func() { cancel(); <-done })
	answer := pub.UpConnection().RemoteDescription().SDP
	var mline, fmtp string
	for _, l := range strings.Split(answer, "\r\n") {
		if strings.HasPrefix(l, "m=audio") {
			mline = l
		}
		if strings.HasPrefix(l, "a=fmtp:111 ") {
			fmtp = l
		}
	}
	if f := strings.Fields(mline); len(f) < 5 || f[3] != "63" || f[4] != "111" {
		t.Errorf("audio section %q, want RED (63) before Opus (111)", mline)
	}
	if !strings.Contains(fmtp, "useinbandfec=1") {
		t.Errorf("Opus fmtp %q, want useinbandfec=1", fmtp)
	}
	ev, err := watcher.WaitFor(ctxT(t, 10*time.Second), sfuclient.IsType("track_published", func(e sfu.TrackPublished) bool { return e.Track.ID == "hall-a/microphone" }))
	if err != nil {
		t.Fatal(err)
	}
	if tr := decode[sfu.TrackPublished](t, ev).Track; !strings.EqualFold(tr.Codec, webrtc.MimeTypeOpus) {
		t.Errorf("track announced as %q, want Opus", tr.Codec)
	}
}

// audioFrame is frame i of a test publisher: an Opus TOC byte and i.
func audioFrame(i int) []byte {
	f := make([]byte, 40)
	f[0] = 0x78
	binary.BigEndian.PutUint32(f[1:], uint32(i))
	return f
}

// frameIndex reads audioFrame's i back.
func frameIndex(f []byte) (int, bool) {
	if len(f) != 40 || f[0] != 0x78 {
		return 0, false
	}
	return int(binary.BigEndian.Uint32(f[1:])), true
}

// frameLog keeps, per sequence number, the frame a subscriber received
// (its primary, from RED).
type frameLog struct {
	mu     sync.Mutex
	frames map[uint16]int
	red    int // packets that came as RED
	bad    int // packets that were neither a test frame nor RED of one
	// redFrom is the frame the first RED packet carried as its primary,
	// plus one (0: none yet).
	redFrom int
}

// firstRED is the frame the first RED packet carried as its primary;
// false before one came.
func (a *frameLog) firstRED() (int, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.redFrom - 1, a.redFrom > 0
}

func (a *frameLog) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	if tr.Kind() != webrtc.RTPCodecTypeAudio {
		return
	}
	go sfuclient.ReadPackets(tr, func(p *rtp.Packet) {
		payload := p.Payload
		a.mu.Lock()
		if p.PayloadType == 63 {
			// As a browser would: the primary, and the frames of the
			// packets before from the redundant blocks.
			a.red++
			if blocks, err := red.Parse(payload, nil); err == nil {
				payload = blocks[len(blocks)-1].Data
				for k, blk := range blocks[:len(blocks)-1] {
					if i, ok := frameIndex(blk.Data); ok {
						a.frames[p.SequenceNumber-uint16(len(blocks)-1-k)] = i
					}
				}
			}
		}
		if i, ok := frameIndex(payload); ok {
			a.frames[p.SequenceNumber] = i
			if p.PayloadType == 63 && a.redFrom == 0 {
				a.redFrom = i + 1
			}
		} else {
			a.bad++
		}
		a.mu.Unlock()
	})
}

// gaps checks that the subscriber's numbers and the frames match (one
// apart in the one are one apart in the other) and counts the frames
// missing between the first and last received.
func (a *frameLog) gaps(t *testing.T) (missing, received int) {
	t.Helper()
	return a.gapsFrom(t, 0)
}

// gapsFrom is gaps over the frames from from on.
func (a *frameLog) gapsFrom(t *testing.T, from int) (missing, received int) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	var seq0 uint16
	first := true
	lo, hi, n := 0, 0, 0
	for s, i := range a.frames {
		if i < from {
			continue
		}
		n++
		if first || i < lo {
			lo, seq0 = i, s
		}
		if first || i > hi {
			hi = i
		}
		first = false
	}
	for s, i := range a.frames {
		if i >= from && int(uint16(s-seq0)) != i-lo {
			t.Errorf("frame %d came as sequence number %d, %d after frame %d's; want %d", i, s, uint16(s-seq0), lo, i-lo)
			break
		}
	}
	if n == 0 {
		return 0, 0
	}
	return hi - lo + 1 - n, n
}

// sendLossy publishes n 20 ms frames of pub, as RED when pub.RED, and
// loses each on the way to the SFU when lost(i) says so.
func sendLossy(t *testing.T, pub *sfuclient.Publication, n int, lost func(int) bool) {
	t.Helper()
	sendWhile(t, pub, func(i int) bool { return i < n }, lost)
}

// sendWhile is sendLossy for as long as more says, asked before each
// frame.
func sendWhile(t *testing.T, pub *sfuclient.Publication, more func(int) bool, lost func(int) bool) {
	t.Helper()
	var frames sfuclient.AudioFrames
	seq, ts := uint16(rand.Uint32()), rand.Uint32()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; more(i); i++ {
		<-tick.C
		p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: seq, Timestamp: ts},
			Payload: frames.Next(audioFrame(i), pub.RED)}
		seq++
		ts += 960
		if !lost(i) {
			if err := pub.WriteRTP(0, p, 30); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestREDRecoversUpstreamLoss: a RED publisher loses 10 % of its packets
// on the way to the SFU. A subscriber without RED (a pion peer, a WHEP
// player without it) gets the primary Opus frames, and the frames lost
// are rebuilt from the next packet's copies, under the numbers they would
// have had; a subscriber with RED gets it as sent. The same losses from
// a plain Opus publisher leave the gaps.
func TestREDRecoversUpstreamLoss(t *testing.T) {
	b := setup(t, sfu.Config{})
	const frames = 300 // 6 s
	rng := rand.New(rand.NewPCG(19, 2198))
	drop := make([]bool, frames)
	for i := 20; i < frames-5; i++ { // the first ones open the stream
		drop[i] = rng.Float64() < 0.10
	}
	lost := func(i int) bool { return drop[i] }

	run := func(room string, asRED bool) (plain, redSub *frameLog) {
		plain, redSub = &frameLog{frames: map[uint16]int{}}, &frameLog{frames: map[uint16]int{}}
		b.dial(t, room, "hall-b", sfuclient.Options{OnTrack: plain.onTrack}, permSubscribe)
		b.dial(t, room, "hall-c", sfuclient.Options{OnTrack: redSub.onTrack, RED: true}, permSubscribe)
		pc := b.dial(t, room, "hall-a", sfuclient.Options{RED: asRED})
		pub, err := pc.PublishAudio(ctxT(t, 10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // subscribed and connected
		sendLossy(t, pub, frames, lost)
		time.Sleep(300 * time.Millisecond)
		return plain, redSub
	}

	before := gather(t, b)["cau_sfu_red_recovered_total"]
	plain, redSub := run("meeting-red", true)
	recovered := gather(t, b)["cau_sfu_red_recovered_total"] - before
	basePlain, _ := run("meeting-opus", false)

	missing, got := plain.gaps(t)
	baseMissing, baseGot := basePlain.gaps(t)
	redMissing, redGot := redSub.gaps(t)
	dropped := 0
	for _, d := range drop {
		if d {
			dropped++
		}
	}
	t.Logf("%d of %d frames lost upstream; Opus subscriber of RED: %d missing of %d (%v rebuilt); of plain Opus: %d missing of %d; RED subscriber, with the copies: %d missing, %d RED packets",
		dropped, frames, missing, got+missing, recovered, baseMissing, baseGot+baseMissing, redMissing, redSub.red)
	if baseMissing < dropped/2 {
		t.Fatalf("the plain publisher's subscriber missed %d frames of %d lost: the loss did not happen", baseMissing, dropped)
	}
	if missing*5 > baseMissing {
		t.Errorf("with RED the Opus subscriber missed %d frames, without %d: want at most a fifth", missing, baseMissing)
	}
	if int(recovered) < dropped-missing-2 {
		t.Errorf("%v frames counted as rebuilt, want about %d", recovered, dropped-missing)
	}
	if plain.red != 0 || plain.bad != 0 {
		t.Errorf("the Opus subscriber got %d RED and %d unreadable packets, want none", plain.red, plain.bad)
	}
	if redSub.red < redGot-redMissing-dropped || redSub.bad != 0 {
		t.Errorf("the RED subscriber got %d RED packets for %d frames, %d unreadable", redSub.red, redGot, redSub.bad)
	}
	if redMissing > missing+1 {
		t.Errorf("the RED subscriber misses %d frames after reading the copies, the Opus one %d", redMissing, missing)
	}
}

// TestREDTapGetsOpus: a tap (what a relay to another node or a recording
// reads) gets a RED publisher's audio as plain Opus packets: the primary
// frame under Opus's payload type, header extensions kept.
func TestREDTapGetsOpus(t *testing.T) {
	b := setup(t, sfu.Config{})
	const room = "meeting-red-tap"
	pc := b.dial(t, room, "hall-a", sfuclient.Options{RED: true})
	pub, err := pc.PublishAudio(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var frames sfuclient.AudioFrames
	write := func(i int) {
		p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(i), Timestamp: uint32(960 * i)},
			Payload: frames.Next(audioFrame(i), true)}
		if err := pub.WriteRTP(0, p, 30); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	i := 0
	for len(b.s.LocalTracks(room)) == 0 { // published on its first packet
		if time.Now().After(deadline) {
			t.Fatal("the RED track was not published")
		}
		write(i)
		i++
		time.Sleep(20 * time.Millisecond)
	}
	type tapped struct {
		pt    uint8
		frame int
		ok    bool
		ext   bool
	}
	got := make(chan tapped, 64)
	untap, err := b.s.Tap(room, "hall-a/microphone", func(_ int, _ bool, pkt []byte) {
		var p rtp.Packet
		if p.Unmarshal(pkt) != nil {
			got <- tapped{}
			return
		}
		f, ok := frameIndex(p.Payload)
		select {
		case got <- tapped{pt: p.PayloadType, frame: f, ok: ok, ext: p.Extension}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer untap()
	first := i
	for range 10 {
		write(i)
		i++
	}
	for range 10 {
		select {
		case tp := <-got:
			if tp.pt != 111 || !tp.ok || tp.frame < first || !tp.ext {
				t.Fatalf("tapped packet %+v, want Opus (111) frame from %d on with its extensions", tp, first)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the tap got nothing")
		}
	}
}
