package sfu_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
	"github.com/pion/webrtc/v4"
)

// hasIPv6Loopback reports whether ::1 can be bound here.
func hasIPv6Loopback() bool {
	c, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// mediaOver publishes from one client and receives on another, both
// restricted to the given network types, and returns the remote
// candidate the subscriber's down connection selected.
func mediaOver(t *testing.T, b bundle, room string, types []webrtc.NetworkType) string {
	t.Helper()
	return mediaWith(t, b, room, sfuclient.Options{NetworkTypes: types})
}

// mediaWith is mediaOver with the clients' options.
func mediaWith(t *testing.T, b bundle, room string, o sfuclient.Options) string {
	t.Helper()
	pub := b.dial(t, room, "hall-a", o)
	publishHall(t, pub, nil, sfuclient.VideoSpec{Bitrates: []int{200_000}})
	rec := newRecorder()
	o.OnTrack = rec.onTrack
	sub := b.dial(t, room, "hall-b", o)
	waitTrack(t, sub, "hall-a/camera")
	if err := sub.Subscribe("hall-a/camera", sfu.QualityHigh); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 10*time.Second, "video and audio", func(r *recorder) bool {
		return r.packets["hall-a/camera"] > 20 && r.packets["hall-a/microphone"] > 20
	})
	pair, err := sub.DownConnection().SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		t.Fatalf("selected pair: %v", err)
	}
	return pair.Remote.String()
}

// TestTransports carries media over ICE-TCP only, and over IPv6 only.
func TestTransports(t *testing.T) {
	t.Run("tcp", func(t *testing.T) {
		b := setupTCP(t, []string{"127.0.0.1"})
		remote := mediaOver(t, b, "meeting-11", []webrtc.NetworkType{webrtc.NetworkTypeTCP4})
		if !strings.Contains(remote, "tcp") {
			t.Errorf("selected remote candidate %s, want TCP", remote)
		}
	})
	t.Run("ipv6", func(t *testing.T) {
		if !hasIPv6Loopback() {
			t.Skip("no IPv6 loopback here")
		}
		// The province runs IPv6: media end to end over ::1. pion's ICE
		// agent never gathers ::1 by itself (it reads as a deprecated
		// IPv4-compatible address); the clients send through a UDP socket
		// bound there, as the SFU does.
		b := setupTCP(t, []string{"127.0.0.1", "::1"})
		remote := mediaWith(t, b, "meeting-12b", sfuclient.Options{ListenUDP: "[::1]:0", IPFilter: func(ip net.IP) bool { return ip.IsLoopback() }})
		if !strings.Contains(remote, "::1") || !strings.Contains(remote, "udp") {
			t.Errorf("selected remote candidate %s, want UDP over ::1", remote)
		}
		// The SFU offers IPv6 candidates, UDP and TCP, to any client.
		if len(b.s.UDPAddrs()) != 2 || !strings.Contains(b.s.UDPAddrs()[1], "[::1]") {
			t.Fatalf("UDP addresses %v", b.s.UDPAddrs())
		}
		c := b.dial(t, "meeting-12", "hall-a", sfuclient.Options{})
		if _, err := c.PublishAudio(ctxT(t, 5*time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.WaitFor(ctxT(t, 5*time.Second), sfuclient.IsType("candidate", func(e sfu.Candidate) bool {
			return strings.Contains(e.Candidate.Candidate, " udp ") && strings.Contains(e.Candidate.Candidate, " ::1 ")
		})); err != nil {
			t.Errorf("no IPv6 UDP candidate from the SFU: %v", err)
		}
	})
	t.Run("nat 1:1", func(t *testing.T) {
		b := setup(t, sfu.Config{NAT1To1IPs: []string{"203.0.113.7"}, ICEServers: []sfu.ICEServer{{URLs: []string{"turn:turn.example.vn:3478"}, Username: "u", Credential: "p"}}})
		c := b.dial(t, "meeting-13", "hall-a", sfuclient.Options{})
		if got := c.Joined().ICEServers; len(got) != 1 || got[0].URLs[0] != "turn:turn.example.vn:3478" {
			t.Errorf("ICE servers handed out: %+v", got)
		}
		if _, err := c.PublishAudio(ctxT(t, 2*time.Second)); err != nil && !strings.Contains(err.Error(), "deadline") {
			t.Fatal(err)
		}
		if _, err := c.WaitFor(ctxT(t, 5*time.Second), sfuclient.IsType("candidate", func(e sfu.Candidate) bool {
			return strings.Contains(e.Candidate.Candidate, " 203.0.113.7 ")
		})); err != nil {
			t.Errorf("public address not advertised: %v", err)
		}
	})
}
