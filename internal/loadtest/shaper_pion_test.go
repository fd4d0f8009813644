package loadtest

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/cau-gov/cau/internal/roomtoken"
	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// TestShapedNetUnderPion: a client given a ShapedNet gathers its
// candidates through it, on 127.0.0.1 only, and connects to the SFU with
// the shaped sockets (the link sees the SFU's packets).
func TestShapedNetUnderPion(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	e, err := StartEmbedded(nil, sfu.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	link, err := NewShapedNet(DefaultWeakLink)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.Signer.Sign(roomtoken.Claims{Room: "shaped", Identity: "hall-weak", Kind: string(sfu.KindHall),
		Perms: []string{roomtoken.PermPublish, roomtoken.PermSubscribe}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := sfuclient.Dial(ctx, sfuclient.Options{URL: "ws" + strings.TrimPrefix(e.URL, "http") + "/rtc", Token: tok,
		Net: link, IPFilter: func(ip net.IP) bool { return ip.IsLoopback() }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.PublishAudio(ctx); err != nil {
		t.Fatal(err)
	}
	pc := c.UpConnection()
	for pc.ICEConnectionState() != webrtc.ICEConnectionStateConnected && pc.ICEConnectionState() != webrtc.ICEConnectionStateCompleted {
		select {
		case <-ctx.Done():
			t.Fatalf("ICE through the shaped Net: %v", pc.ICEConnectionState())
		case <-time.After(20 * time.Millisecond):
		}
	}
	pair, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		t.Fatalf("selected pair: %v, %v", pair, err)
	}
	if pair.Local.Address != "127.0.0.1" || pair.Remote.Address != "127.0.0.1" {
		t.Errorf("selected pair %s, want 127.0.0.1 on both ends", pair)
	}
	for _, line := range strings.Split(pc.LocalDescription().SDP, "\n") {
		if strings.HasPrefix(line, "a=candidate:") && !strings.Contains(line, " 127.0.0.1 ") {
			t.Errorf("a candidate off loopback: %s", line)
		}
	}
	if st := link.Stats(); st.Passed == 0 {
		t.Errorf("nothing passed the shaped link (%+v): pion did not use its sockets", st)
	}
}
