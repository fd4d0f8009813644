package signal

import (
	"errors"
	"strings"
	"testing"

	"github.com/cau-gov/cau/sfu"
)

func TestDecode(t *testing.T) {
	good := map[string]any{
		`{"v":1,"type":"join"}`:                         &Join{},
		`{"v":1,"type":"join","data":{"resume":"abc"}}`: &Join{},
		`{"v":1,"type":"join","data":{"subscribe":[{"track_id":"floor","quality":"high"}]}}`:                                   &Join{},
		`{"v":1,"type":"offer","id":"1","data":{"sdp":"v=0","tracks":{"x":"screen"}}}`:                                         &Offer{},
		`{"v":1,"type":"answer","data":{"sdp":"v=0"}}`:                                                                         &Answer{},
		`{"v":1,"type":"candidate","data":{"pc":"down","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host"}}}`: &CandidateMsg{},
		`{"v":1,"type":"subscribe","data":{"track_id":"floor","quality":"low"}}`:                                               &Subscribe{},
		`{"v":1,"type":"mute","data":{"source":"microphone","muted":true}}`:                                                    &Mute{},
		`{"v":1,"type":"mute_participant","data":{"identity":"hall-1","muted":true}}`:                                          &MuteParticipant{},
		`{"v":1,"type":"ice_restart"}`:                                                                                         nil,
		`{"v":1,"type":"leave"}`:                                                                                               nil,
	}
	for in, want := range good {
		_, body, err := Decode([]byte(in))
		if err != nil {
			t.Errorf("Decode(%s): %v", in, err)
			continue
		}
		if (body == nil) != (want == nil) {
			t.Errorf("Decode(%s) body = %T", in, body)
		}
	}
	bad := map[string]error{
		`{"v":2,"type":"join"}`:           ErrVersion,
		`{"type":"join"}`:                 ErrVersion,
		`not json`:                        ErrBadMessage,
		`{"v":1,"type":"join"} trailing`:  ErrBadMessage,
		`{"v":1,"type":"dance"}`:          ErrBadMessage,
		`{"v":1,"type":"join","extra":1}`: ErrBadMessage,
		`{"v":1,"type":"join","data":{"subscribe":[{"track_id":"floor","quality":"ultra"}]}}`: ErrBadMessage,
		`{"v":1,"type":"join","data":{"subscribe":[{"track_id":"","quality":"low"}]}}`:        ErrBadMessage,
		`{"v":1,"type":"offer"}`:                                               ErrBadMessage,
		`{"v":1,"type":"offer","data":{"sdp":""}}`:                             ErrBadMessage,
		`{"v":1,"type":"offer","data":{"sdp":"v=0","x":1}}`:                    ErrBadMessage,
		`{"v":1,"type":"subscribe","data":{"track_id":"a","quality":"ultra"}}`: ErrBadMessage,
		`{"v":1,"type":"subscribe","data":{"track_id":"","quality":"low"}}`:    ErrBadMessage,
		`{"v":1,"type":"candidate","data":{"pc":"sideways","candidate":{}}}`:   ErrBadMessage,
		`{"v":1,"type":"mute","data":{"source":"keyboard","muted":true}}`:      ErrBadMessage,
		`{"v":1,"type":"mute_participant","data":{"muted":true}}`:              ErrBadMessage,
	}
	// A join may carry the floor and a screen of thumbnails, not more.
	subs := func(n int) string {
		one := `{"track_id":"floor","quality":"low"}`
		return `{"v":1,"type":"join","data":{"subscribe":[` + strings.TrimSuffix(strings.Repeat(one+",", n), ",") + `]}}`
	}
	if _, _, err := Decode([]byte(subs(maxJoinSubscriptions))); err != nil {
		t.Errorf("a join with %d subscriptions: %v", maxJoinSubscriptions, err)
	}
	bad[subs(maxJoinSubscriptions+1)] = ErrBadMessage
	for in, want := range bad {
		if _, _, err := Decode([]byte(in)); !errors.Is(err, want) {
			t.Errorf("Decode(%s) = %v, want %v", in, err, want)
		}
	}
}

func TestEncode(t *testing.T) {
	b, err := Encode(sfu.FloorEvent{Identity: "hall-1", Pinned: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"v":1,"type":"floor","data":{"identity":"hall-1","pinned":true}}`; string(b) != want {
		t.Errorf("Encode = %s, want %s", b, want)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"type":"join","data":{"resume":"abc"}}`,
		`{"v":1,"type":"offer","id":"1","data":{"sdp":"v=0","tracks":{"x":"screen"}}}`,
		`{"v":1,"type":"subscribe","data":{"track_id":"floor","quality":"low"}}`,
		`{"v":1,"type":"candidate","data":{"pc":"up","candidate":{"candidate":"x","sdpMid":"0"}}}`,
		`{"v":1,"type":"leave"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, body, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrBadMessage) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v is neither bad message nor version", err)
			}
			return
		}
		if m.V != Version {
			t.Fatalf("accepted version %d", m.V)
		}
		if body == nil && m.Type != TypeICERestart && m.Type != TypeLeave {
			t.Fatalf("type %q accepted without a body", m.Type)
		}
	})
}
