package sfu_test

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
	"github.com/cau-gov/cau/sfu/whip"
	"github.com/pion/transport/v5/vnet"
)

// TestSilentViewerEnds: a WHEP player that vanishes without DELETE (its
// packets stop: a closed lobby screen, a pulled cable) is ended within a
// few seconds by ICE consent freshness, not sent to until ICE fails (about
// 30 s before).
func TestSilentViewerEnds(t *testing.T) {
	w := newWeakLink(t)
	var cut atomic.Bool
	w.wan.AddChunkFilter(func(c vnet.Chunk) bool {
		a, ok := c.SourceAddr().(*net.UDPAddr)
		return !(cut.Load() && ok && a.IP.Equal(net.ParseIP("10.0.0.3")))
	})
	b := setup(t, sfu.Config{Net: w.sfuNet, ListenIPs: []string{"10.0.0.1"}})
	authorize := func(_ *http.Request, token string) (sfu.Grant, error) {
		g, ok := b.tokens.Load(token)
		if !ok {
			return sfu.Grant{}, errors.New("unknown token")
		}
		return g.(sfu.Grant), nil
	}
	srv := httptest.NewServer(whip.NewHandler(b.s, authorize, b.log))
	t.Cleanup(srv.Close)

	const room = "meeting-9"
	pub := b.dial(t, room, "hall-a", sfuclient.Options{Net: w.pubNet})
	publishHall(t, pub, nil, sfuclient.VideoSpec{Bitrates: []int{200_000}})
	if err := b.s.PinFloor(room, "hall-a"); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	player, err := sfuclient.PlayWHEP(ctxT(t, 10*time.Second), srv.URL+"/whep", b.token(t, room, "lobby", permSubscribe),
		sfuclient.Options{Net: w.subNet, OnTrack: rec.onTrack, Logger: b.log}, 1)
	if err != nil {
		t.Fatalf("WHEP play: %v", err)
	}
	t.Cleanup(func() { _ = player.PC.Close() })
	rec.waitFor(t, 10*time.Second, "the floor on the player", func(r *recorder) bool { return r.packets["floor"] > 10 })

	mark := pub.Mark()
	cut.Store(true)
	silent := time.Now()
	ev, err := pub.WaitFrom(ctxT(t, 20*time.Second), mark, sfuclient.IsType("participant_left", func(e sfu.ParticipantLeftEvent) bool {
		return strings.HasPrefix(string(e.Identity), "lobby")
	}))
	if err != nil {
		t.Fatalf("the silent player was not ended within 20 s: %v", err)
	}
	took := ev.At.Sub(silent)
	t.Logf("silent player ended %v after its packets stopped", took)
	if took > 10*time.Second {
		t.Errorf("silent player ended after %v, want within 10 s", took)
	}
}
