package whip_test

import (
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/red"
	"github.com/cau-gov/cau/sfu/sfuclient"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// audioTypes counts the audio packets a player gets by payload type, and
// those of RED whose blocks do not parse or whose primary is not Opus.
type audioTypes struct {
	mu  sync.Mutex
	pts map[uint8]int
	bad int
}

func (a *audioTypes) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	if tr.Kind() != webrtc.RTPCodecTypeAudio {
		return
	}
	go sfuclient.ReadPackets(tr, func(p *rtp.Packet) {
		a.mu.Lock()
		a.pts[p.PayloadType]++
		payload := p.Payload
		if p.PayloadType == 63 {
			if prim, err := red.Primary(payload); err != nil || prim.PT != 111 {
				a.bad++
			} else {
				payload = prim.Data
			}
		}
		if len(payload) != 80 || payload[0] != 0x78 { // SendAudio's frames
			a.bad++
		}
		a.mu.Unlock()
	})
}

func (a *audioTypes) counts() (map[uint8]int, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[uint8]int{}
	for k, v := range a.pts {
		out[k] = v
	}
	return out, a.bad
}

// TestWHEPPlayersGetREDOrOpus: an encoder that sends RED over WHIP is
// played as RED by a WHEP player that offers it and as plain Opus by one
// that does not.
func TestWHEPPlayersGetREDOrOpus(t *testing.T) {
	sv := start(t, sfu.Config{})
	const room = "meeting-red"
	ctx := ctxT(t, 30*time.Second)
	enc, err := sfuclient.PublishWHIP(ctx, sv.srv.URL+"/whip/"+room, sv.token(room, "hall-1", true, false, false),
		sfuclient.Options{Logger: sv.log, RED: true}, sfuclient.WHIPPublication{Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	sendUntilDone(t, enc, 20)
	if err := sv.s.PinFloor(room, "hall-1"); err != nil {
		t.Fatal(err)
	}
	play := func(id string, withRED bool) *audioTypes {
		a := &audioTypes{pts: map[uint8]int{}}
		v, err := sfuclient.PlayWHEP(ctx, sv.srv.URL+"/whep", sv.token(room, id, false, true, false),
			sfuclient.Options{Logger: sv.log, OnTrack: a.onTrack, RED: withRED}, 1)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = v.PC.Close() })
		return a
	}
	withRED, plain := play("lobby-red", true), play("lobby", false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, rbad := withRED.counts()
		p, pbad := plain.counts()
		if r[63] > 50 && p[111] > 50 {
			if r[111] != 0 || p[63] != 0 || rbad != 0 || pbad != 0 {
				t.Fatalf("RED player got %v (%d bad), plain player %v (%d bad); want RED only and Opus only", r, rbad, p, pbad)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("RED player got %v, plain player %v; want 50 of each's codec", r, p)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
