package sfu_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
)

func TestSignalingRefusesBadTokens(t *testing.T) {
	b := setup(t, sfu.Config{})
	forged := "0123456789abcdef0123456789abcdef" // well formed, never issued
	for name, h := range map[string]http.Header{
		"no token":     {},
		"garbage":      {"Authorization": {"Bearer nonsense"}},
		"other key":    {"Authorization": {"Bearer " + forged}},
		"not a bearer": {"Authorization": {"Basic " + b.token(t, "meeting-8", "hall-x")}},
	} {
		ws, resp, err := websocket.DefaultDialer.Dial(b.url, h)
		if err == nil {
			ws.Close()
			t.Errorf("%s: connected", name)
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: response %v, want 401", name, resp)
		}
	}
	// The token in the query works, for browsers.
	ws, _, err := websocket.DefaultDialer.Dial(b.url+"?access_token="+b.token(t, "meeting-8", "hall-x"), nil)
	if err != nil {
		t.Fatalf("token in the query: %v", err)
	}
	ws.Close()
}

// rawSocket is a signaling socket driven by hand.
type rawSocket struct {
	t  *testing.T
	ws *websocket.Conn
}

func (b bundle) raw(t *testing.T, room, id string, perms ...string) rawSocket {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(b.url, http.Header{"Authorization": {"Bearer " + b.token(t, room, id, perms...)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return rawSocket{t, ws}
}

func (r rawSocket) send(s string) {
	r.t.Helper()
	if err := r.ws.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		r.t.Fatal(err)
	}
}

// next reads messages until one of type typ.
func (r rawSocket) next(typ string) json.RawMessage {
	r.t.Helper()
	_ = r.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, b, err := r.ws.ReadMessage()
		if err != nil {
			r.t.Fatalf("waiting for %s: %v", typ, err)
		}
		var m struct {
			V    int             `json:"v"`
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(b, &m); err != nil || m.V != 1 {
			r.t.Fatalf("bad server message %s", b)
		}
		if m.Type == typ {
			return m.Data
		}
	}
}

func (r rawSocket) expectError(code, ref string) {
	r.t.Helper()
	var e sfu.ErrorEvent
	if err := json.Unmarshal(r.next("error"), &e); err != nil {
		r.t.Fatal(err)
	}
	if e.Code != code || e.Ref != ref {
		r.t.Errorf("error = %+v, want code %s ref %q", e, code, ref)
	}
}

func TestSignalingBadInput(t *testing.T) {
	b := setup(t, sfu.Config{})
	t.Run("first message not join", func(t *testing.T) {
		r := b.raw(t, "meeting-9", "hall-a", hallPerms...)
		r.send(`{"v":1,"type":"subscribe","id":"s1","data":{"track_id":"floor","quality":"low"}}`)
		r.expectError("not_joined", "s1")
	})
	t.Run("wrong version", func(t *testing.T) {
		r := b.raw(t, "meeting-9", "hall-b", hallPerms...)
		r.send(`{"v":7,"type":"join","id":"j"}`)
		r.expectError("unsupported_version", "j")
	})
	t.Run("bad messages change nothing", func(t *testing.T) {
		r := b.raw(t, "meeting-9", "hall-c", hallPerms...)
		r.send(`{"v":1,"type":"join"}`)
		r.next("joined")
		for i, bad := range []string{
			`{not json`,
			`{"v":1,"type":"teleport","id":"2"}`,
			`{"v":1,"type":"subscribe","id":"3","data":{"track_id":"x","quality":"ultra"}}`,
			`{"v":1,"type":"offer","id":"4","data":{"sdp":"v=0","evil":true}}`,
		} {
			r.send(bad)
			ref := []string{"", "2", "3", "4"}[i]
			r.expectError("bad_message", ref)
		}
		r.send(`{"v":1,"type":"subscribe","id":"5","data":{"track_id":"hall-z/camera","quality":"low"}}`)
		r.expectError("not_found", "5")
		r.send(`{"v":1,"type":"offer","id":"6","data":{"sdp":"this is not sdp"}}`)
		r.expectError("bad_sdp", "6")
		r.send(`{"v":1,"type":"answer","id":"7","data":{"sdp":"v=0"}}`)
		r.expectError("bad_request", "7")
		// Still joined and working.
		r.send(`{"v":1,"type":"mute","id":"8","data":{"source":"microphone","muted":true}}`)
		r.expectError("not_found", "8") // nothing published yet
		if p, ok := b.s.Participant("meeting-9", "hall-c"); !ok || !p.Connected() {
			t.Error("hall-c was disconnected by bad input")
		}
	})
	t.Run("grant limits", func(t *testing.T) {
		viewer := b.dial(t, "meeting-9", "user-1", sfuclient.Options{}, permSubscribe)
		if _, err := viewer.PublishAudio(ctxT(t, 3*time.Second)); err == nil || !strings.Contains(err.Error(), "not_allowed") {
			t.Errorf("publishing without the publish permission: %v", err)
		}
		hall := b.dial(t, "meeting-9", "hall-d", sfuclient.Options{})
		pub, err := hall.PublishVideo(ctxT(t, 5*time.Second), sfu.SourceScreen, webrtc.MimeTypeVP8)
		if err != nil {
			t.Fatalf("offer with a screen track: %v", err)
		}
		_ = pub
		go sfuclient.SendVideo(ctxT(t, 3*time.Second), pub, sfuclient.VideoSpec{Bitrates: []int{100_000}})
		if _, err := hall.WaitFor(ctxT(t, 5*time.Second), sfuclient.IsType("error", func(e sfu.ErrorEvent) bool {
			return e.Code == "not_allowed"
		})); err != nil {
			t.Errorf("screen without the screen permission: no error: %v", err)
		}
		for _, tr := range viewer.Events() {
			if tr.Type == "track_published" && strings.Contains(string(tr.Data), "screen") {
				t.Errorf("a refused screen was announced: %s", tr.Data)
			}
		}
	})
}

func TestGraceExpiryAnnouncesLeave(t *testing.T) {
	b := setup(t, sfu.Config{ReconnectGrace: 300 * time.Millisecond})
	rc := newRollCall()
	b.s.SetObserver(rc)
	a := b.dial(t, "meeting-10", "hall-a", sfuclient.Options{})
	gone := b.dial(t, "meeting-10", "hall-b", sfuclient.Options{})
	gone.DropSocket()
	if _, err := a.WaitFor(ctxT(t, 5*time.Second), sfuclient.IsType("participant_left", func(e sfu.ParticipantLeftEvent) bool {
		return e.Identity == "hall-b"
	})); err != nil {
		t.Fatalf("no leave after the grace: %v", err)
	}
	if err := gone.Resume(ctxT(t, 5*time.Second)); err == nil || !strings.Contains(err.Error(), "bad_resume") {
		t.Errorf("resume after the grace: %v, want bad_resume", err)
	}
	rc.waitCounts(t, "hall-b", 1, 1)
}
