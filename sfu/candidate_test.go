package sfu

import (
	"testing"

	"github.com/pion/webrtc/v4"
)

// TestForRemote: a candidate of an ICE restart that arrives before the
// description with its credentials waits for it instead of being dropped.
func TestForRemote(t *testing.T) {
	rd := &webrtc.SessionDescription{SDP: "v=0\r\na=ice-ufrag:old1\r\na=ice-pwd:x\r\n"}
	cand := func(ufrag string) webrtc.ICECandidateInit {
		c := "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host"
		if ufrag != "" {
			c += " ufrag " + ufrag
		}
		return webrtc.ICECandidateInit{Candidate: c}
	}
	for _, c := range []struct {
		name string
		rd   *webrtc.SessionDescription
		c    webrtc.ICECandidateInit
		want bool
	}{
		{"no remote description yet", nil, cand("old1"), false},
		{"the current credentials", rd, cand("old1"), true},
		{"a restart's, ahead of its description", rd, cand("new2"), false},
		{"a prefix of the current ufrag is another one", rd, cand("old"), false},
		{"no ufrag: pion decides", rd, cand(""), true},
	} {
		if got := forRemote(c.rd, c.c); got != c.want {
			t.Errorf("%s: forRemote = %v, want %v", c.name, got, c.want)
		}
	}
}
