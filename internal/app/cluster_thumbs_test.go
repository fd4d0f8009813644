package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// layers counts a client's video packets per track and the synthetic
// layer of the last one.
type layers struct {
	mu    sync.Mutex
	n     map[string]int
	layer map[string]int
}

func (l *layers) onTrack(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	go sfuclient.ReadPackets(t, func(p *rtp.Packet) {
		f, ok := sfuclient.ParseSynthetic(p.Payload)
		if t.Kind() != webrtc.RTPCodecTypeVideo || !ok {
			return
		}
		l.mu.Lock()
		l.n[t.ID()]++
		l.layer[t.ID()] = f.Layer
		l.mu.Unlock()
	})
}

func (l *layers) get(id string) (n, layer int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n[id], l.layer[id]
}

// thumbClient dials a hall that publishes synthetic media and counts the
// layers of what it receives.
func thumbClient(t *testing.T, g joinGrant) (*sfuclient.Client, *layers) {
	t.Helper()
	l := &layers{n: map[string]int{}, layer: map[string]int{}}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := sfuclient.Dial(ctx, sfuclient.Options{URL: g.SignalingURL, Token: g.Token, OnTrack: l.onTrack})
	if err != nil {
		t.Fatalf("dial %s: %v", g.SignalingURL, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := publishSynthetic(c, 150_000, 500_000, 1_500_000); err != nil {
		t.Fatal(err)
	}
	return c, l
}

// TestClusterThumbnails: halls on the district node see the province
// hall's camera (homed on the province node, not the floor) in their
// strip and get its thumbnail, the low layer, when they ask: the relay
// subscribes on the home once for the link whatever the halls asking, and
// stops when none asks. A screen the province hall shares reaches them
// the same way.
func TestClusterThumbnails(t *testing.T) {
	p := setupProvince(t)
	room := sfu.RoomID(fmt.Sprintf("meeting-%d", p.w.id))
	provinceCam := sfu.TrackID(fmt.Sprintf("hall-%d/camera", p.provinceHall))
	province, _ := thumbClient(t, p.join(t, "op-province", p.provinceHall))
	waitHome(t, p, string(room), "sfu-province", 5*time.Second)
	communeID := sfu.ParticipantID(fmt.Sprintf("hall-%d", p.communeHall))
	commune, communeL := thumbClient(t, p.join(t, "op-commune", p.communeHall))
	commune2, commune2L := thumbClient(t, p.join(t, "op-commune2", p.communeHall2))
	// The floor is the first commune's: the province camera is nobody's
	// floor on the district node, only a thumbnail.
	waitFor(t, "the commune hall is a ghost on the home node", func() bool {
		_, ok := p.home.App.SFU.Participant(room, communeID)
		return ok
	})
	if err := p.home.App.SFU.PinFloor(room, communeID); err != nil {
		t.Fatal(err)
	}

	// The district node's halls see the remote camera in their strip.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range []*sfuclient.Client{commune, commune2} {
		waitTrack(t, c, provinceCam, "a hall on the district node sees the province hall's camera")
	}
	homeSent := func() (packets uint64, subs int) {
		for _, m := range p.home.App.SFU.Egress(room) {
			if v, ok := m[provinceCam]; ok {
				packets += v
				subs++
			}
		}
		return packets, subs
	}
	// It went down while it was the floor (the first camera takes the
	// floor), and stops now that no hall on the district node asks for it.
	stopped := func(what string) {
		t.Helper()
		var last uint64
		waitFor(t, what, func() bool {
			n, _ := homeSent()
			moved := n != last
			last = n
			time.Sleep(300 * time.Millisecond)
			return !moved
		})
	}
	stopped("the province camera does not cross the link while no hall on the district node wants it")
	// The link's gauge counts what crosses it now: the camera turned off
	// (it was the floor a moment) is not among its streams.
	streams := func() float64 { return relayMetric(t, p.home, "cau_sfu_relay_streams", "sfu-bao-lam", "out") }
	idle := streams()

	// Both communes ask for its thumbnail.
	began := time.Now()
	for _, c := range []*sfuclient.Client{commune, commune2} {
		if err := c.Subscribe(provinceCam, sfu.QualityLow); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the first packet of the province hall's thumbnail on the district node", func() bool {
		n, _ := communeL.get(string(provinceCam))
		return n > 0
	})
	first := time.Since(began)
	for i, l := range []*layers{communeL, commune2L} {
		waitFor(t, fmt.Sprintf("commune %d gets the province hall's thumbnail", i+1), func() bool {
			n, _ := l.get(string(provinceCam))
			return n >= 30
		})
		if _, layer := l.get(string(provinceCam)); layer != 0 {
			t.Errorf("commune %d gets the province camera's layer %d, want the low layer (0)", i+1, layer)
		}
	}
	t.Logf("thumbnail across the link: the first packet %v after the communes asked, 30 packets at both after %v",
		first.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	if got := streams(); got != idle+1 {
		t.Errorf("cau_sfu_relay_streams home → district: %v with the thumbnail asked, want %v", got, idle+1)
	}
	h0, _ := homeSent()
	e0 := edgeSent(p.edge.App.SFU.Egress(room), provinceCam)
	time.Sleep(2 * time.Second)
	h1, subs := homeSent()
	e1 := edgeSent(p.edge.App.SFU.Egress(room), provinceCam)
	t.Logf("over 2 s: the home sent the province camera to %d subscriber(s), %d packets; the district node %d packets to its two halls", subs, h1-h0, e1-e0)
	if subs != 1 || h1-h0 == 0 || float64(e1-e0) < 1.5*float64(h1-h0) {
		t.Errorf("the thumbnail leaves the home to %d subscribers (want 1, the relay), %d packets, and the district node sends %d (want about twice)", subs, h1-h0, e1-e0)
	}

	// Nobody on the district node wants it any more: it stops crossing.
	for _, c := range []*sfuclient.Client{commune, commune2} {
		if err := c.Subscribe(provinceCam, sfu.QualityOff); err != nil {
			t.Fatal(err)
		}
	}
	stopped("the province camera stops crossing the link once no hall wants it")
	if got := streams(); got != idle {
		t.Errorf("cau_sfu_relay_streams home → district: %v once no hall wants the thumbnail, want %v", got, idle)
	}
	t.Logf("streams home → district: %v idle (the province hall's microphone), %v with the thumbnail", idle, idle+1)

	// A screen shared at home is offered on the district node too, and
	// comes down in the quality a hall there asks (it is the main
	// picture), once for the link.
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	screen, err := province.PublishVideo(sctx, sfu.SourceScreen, webrtc.MimeTypeVP8)
	scancel()
	if err != nil {
		t.Fatal(err)
	}
	mctx, stop := context.WithCancel(context.Background())
	defer stop()
	go sfuclient.SendVideo(mctx, screen, sfuclient.VideoSpec{Bitrates: []int{800_000}, FPS: 15})
	screenID := sfu.TrackID(fmt.Sprintf("hall-%d/screen", p.provinceHall))
	waitTrack(t, commune, screenID, "the district node's hall sees the province hall's screen")
	for _, c := range []*sfuclient.Client{commune, commune2} {
		if err := c.Subscribe(screenID, sfu.QualityHigh); err != nil {
			t.Fatal(err)
		}
	}
	for i, l := range []*layers{communeL, commune2L} {
		waitFor(t, fmt.Sprintf("commune %d gets the province hall's screen", i+1), func() bool {
			n, _ := l.get(string(screenID))
			return n >= 30
		})
	}
	screenSubs := 0
	for _, m := range p.home.App.SFU.Egress(room) {
		if _, ok := m[screenID]; ok {
			screenSubs++
		}
	}
	if screenSubs != 1 {
		t.Errorf("the province screen leaves the home to %d subscribers, want 1 (the relay)", screenSubs)
	}

	// The province hall leaves: the district node's halls see its camera go.
	mark := commune.Mark()
	_ = province.Close()
	if _, err := commune.WaitFrom(ctx, mark, sfuclient.IsType("track_unpublished", func(e sfu.TrackUnpublished) bool { return e.TrackID == provinceCam })); err != nil {
		t.Errorf("the province hall left the home: the district node's hall was not told its camera went (%v)", err)
	}
}

func edgeSent(eg map[sfu.ParticipantID]map[sfu.TrackID]uint64, id sfu.TrackID) (n uint64) {
	for _, m := range eg {
		n += m[id]
	}
	return n
}

// waitTrack waits up to 10 s for a client to know of a track: in its
// joined answer or a track_published since (and not unpublished after).
func waitTrack(t *testing.T, c *sfuclient.Client, id sfu.TrackID, what string) {
	t.Helper()
	waitFor(t, what, func() bool {
		known := false
		for _, tr := range c.Joined().Tracks {
			known = known || tr.ID == id
		}
		for _, ev := range c.Events() {
			switch ev.Type {
			case "track_published":
				var e sfu.TrackPublished
				if json.Unmarshal(ev.Data, &e) == nil && e.Track.ID == id {
					known = true
				}
			case "track_unpublished":
				var e sfu.TrackUnpublished
				if json.Unmarshal(ev.Data, &e) == nil && e.TrackID == id {
					known = false
				}
			}
		}
		return known
	})
}
