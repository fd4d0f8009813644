package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// modWorld is a published meeting in session on a whole server (real SFU,
// real room tokens): a hall and its operator, a chair, a secretary and
// two delegates.
type modWorld struct {
	env    *apptest.Env
	id     int64
	base   string
	hall   int64
	users  map[string]int64
	tokens map[string]string
}

func setupModeration(t *testing.T) *modWorld {
	t.Helper()
	env := apptest.New(t)
	w := &modWorld{env: env, users: map[string]int64{}, tokens: map[string]string{}}
	root := env.Unit(t, 0, "province", "lam-dong", "UBND tỉnh Lâm Đồng")
	w.hall = env.Hall(t, root, "dc-tinh", "Điểm cầu tỉnh")
	const pw = "mật-khẩu-thử-nghiệm-9"
	for name, g := range map[string]auth.RoleGrant{
		"chair": apptest.Grant(auth.RoleChair), "secretary": apptest.Grant(auth.RoleSecretary),
		"delegate1": apptest.Grant(auth.RoleDelegate), "delegate2": apptest.Grant(auth.RoleDelegate),
		"operator": apptest.OperatorGrant(w.hall),
	} {
		w.users[name] = env.User(t, root, name, pw, g)
		w.tokens[name], _ = env.Login(t, name, pw)
	}
	var m struct {
		ID int64 `json:"id"`
	}
	start := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	w.do(t, "secretary", "POST", "/api/v1/meetings", map[string]any{"kind": "regular", "title": "Họp thường kỳ tháng 12", "place": "Phòng họp số 1",
		"starts_at": start, "ends_at": start.Add(2 * time.Hour), "chair_id": w.users["chair"]}, 201, &m)
	w.id, w.base = m.ID, fmt.Sprintf("/api/v1/meetings/%d", m.ID)
	w.do(t, "secretary", "POST", w.base+"/halls", map[string]any{"hall_ids": []int64{w.hall}}, 200, nil)
	for _, who := range []string{"delegate1", "delegate2"} {
		w.do(t, "secretary", "PUT", fmt.Sprintf("%s/participants/%d", w.base, w.users[who]), map[string]any{"role": "delegate"}, 204, nil)
	}
	w.do(t, "secretary", "POST", w.base+"/publish", nil, 200, nil)
	w.do(t, "chair", "POST", w.base+"/session/open", nil, 204, nil)
	return w
}

func (w *modWorld) do(t *testing.T, who, method, path string, body any, want int, out any) {
	t.Helper()
	w.env.DoJSON(t, method, path, w.tokens[who], body, want, out)
}

// join asks the meeting service for a room token (hall: as the operator's hall).
func (w *modWorld) join(t *testing.T, who string, hall bool) string {
	t.Helper()
	body := map[string]any{}
	if hall {
		body["hall_id"] = w.hall
	}
	var g struct {
		Token string `json:"token"`
	}
	w.do(t, who, "POST", w.base+"/join", body, 200, &g)
	return g.Token
}

func (w *modWorld) dial(t *testing.T, token string) *sfuclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := sfuclient.Dial(ctx, sfuclient.Options{URL: "ws" + strings.TrimPrefix(w.env.URL, "http") + "/rtc", Token: token})
	if err != nil {
		t.Fatalf("dial /rtc: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// rtcStatus is the answer of /rtc to an upgrade with token: 101 when admitted.
func (w *modWorld) rtcStatus(t *testing.T, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", w.env.URL+"/rtc", nil)
	for k, v := range map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
		"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Authorization": "Bearer " + token} {
		req.Header.Set(k, v)
	}
	resp, err := w.env.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 512)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return resp.StatusCode, b.String()
}

// waitCount waits up to 5 s for a row matching where, polling every 20 ms
// (the observer writes it from its own goroutine).
func (w *modWorld) waitCount(t *testing.T, table, where string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for w.env.Count(t, table, where, args...) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no %s row where %s within 5 s", table, where)
		}
		<-tick.C
	}
}

func waitClosed(t *testing.T, c *sfuclient.Client, reason string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.WaitFor(ctx, sfuclient.IsType("closed", func(e sfu.Closed) bool { return e.Reason == reason })); err != nil {
		t.Fatalf("not closed with %q: %v", reason, err)
	}
}

// TestRemovalRevokesTokens removes a delegate from the call: their socket
// is closed with "removed", and the token they held is refused by /rtc,
// WHIP and WHEP; the meeting service grants no new token until the chair
// readmits them, and then a new token joins.
func TestRemovalRevokesTokens(t *testing.T) {
	w := setupModeration(t)
	old := w.join(t, "delegate1", false)
	c := w.dial(t, old)
	if c.Joined().Self.Identity != sfu.ParticipantID(fmt.Sprintf("user-%d", w.users["delegate1"])) {
		t.Fatalf("joined as %s", c.Joined().Self.Identity)
	}

	w.do(t, "chair", "POST", w.base+"/session/moderation", map[string]any{"action": "remove", "user_id": w.users["delegate1"]}, 204, nil)
	waitClosed(t, c, sfu.ReasonRemoved)

	if st, body := w.rtcStatus(t, old); st != http.StatusForbidden || !strings.Contains(body, "revoked") {
		t.Errorf("/rtc with the removed delegate's token: %d %s, want 403 revoked", st, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, err := sfuclient.PublishWHIP(ctx, w.env.URL+"/whip", old, sfuclient.Options{}, sfuclient.WHIPPublication{Audio: true})
	var he *sfuclient.HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusForbidden || he.Code != "revoked" {
		t.Errorf("WHIP with the removed delegate's token: %v, want 403 revoked", err)
	}
	_, err = sfuclient.PlayWHEP(ctx, w.env.URL+"/whep", old, sfuclient.Options{}, 1)
	if !errors.As(err, &he) || he.Status != http.StatusForbidden || he.Code != "revoked" {
		t.Errorf("WHEP with the removed delegate's token: %v, want 403 revoked", err)
	}
	if st, b := w.env.Do(t, "POST", w.base+"/join", w.tokens["delegate1"], map[string]any{}); st != http.StatusForbidden || !strings.Contains(string(b), "removed_from_call") {
		t.Errorf("a new grant to the removed delegate: %d %s, want 403 removed_from_call", st, b)
	}
	if n := w.env.Count(t, "audit_log", "action = 'session.moderate' AND object_id = $1", fmt.Sprint(w.id)); n != 1 {
		t.Errorf("audit rows of the removal: %d", n)
	}
	if n := w.env.Count(t, "session_events", "meeting_id = $1 AND type = 'participant.removed' AND (data->>'user_id')::bigint = $2", w.id, w.users["delegate1"]); n != 1 {
		t.Errorf("participant.removed events: %d", n)
	}
	// Others are not affected.
	w.dial(t, w.join(t, "delegate2", false))

	w.do(t, "chair", "POST", w.base+"/session/moderation", map[string]any{"action": "readmit", "user_id": w.users["delegate1"]}, 204, nil)
	if st, _ := w.rtcStatus(t, old); st != http.StatusForbidden {
		t.Errorf("/rtc with the old token after readmission: %d, want 403 (a new grant is needed)", st)
	}
	w.dial(t, w.join(t, "delegate1", false))
}

// TestMuteHoldsAcrossReconnects mutes a hall before it connects: it joins
// muted, stays muted when it reconnects with a new token, and is unmuted
// only by the chair.
func TestMuteHoldsAcrossReconnects(t *testing.T) {
	w := setupModeration(t)
	w.do(t, "chair", "POST", w.base+"/session/moderation", map[string]any{"action": "mute", "hall_id": w.hall}, 204, nil)
	hall := w.dial(t, w.join(t, "operator", true))
	if !hall.Joined().Self.Muted {
		t.Fatalf("the hall muted before it connected joined unmuted: %+v", hall.Joined().Self)
	}
	id := sfu.ParticipantID(fmt.Sprintf("hall-%d", w.hall))
	room := sfu.RoomID(fmt.Sprintf("meeting-%d", w.id))
	_ = hall.Close()
	again := w.dial(t, w.join(t, "operator", true))
	if !again.Joined().Self.Muted {
		t.Fatalf("the muted hall reconnected unmuted")
	}
	if p, ok := w.env.App.SFU.Participant(room, id); !ok || !p.Grant().Hall {
		t.Fatalf("hall not in the room after reconnecting")
	}
	w.do(t, "chair", "POST", w.base+"/session/moderation", map[string]any{"action": "ask_unmute", "hall_id": w.hall}, 204, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := again.WaitFor(ctx, sfuclient.IsType("server_muted", func(e sfu.ServerMuted) bool { return !e.Muted })); err != nil {
		t.Fatalf("asked to unmute, the hall was not let speak: %v", err)
	}
	if n := w.env.Count(t, "session_events", "meeting_id = $1 AND type = 'unmute.requested' AND (data->>'hall_id')::bigint = $2", w.id, w.hall); n != 1 {
		t.Errorf("unmute.requested events: %d", n)
	}
	if n := w.env.Count(t, "session_halls", "meeting_id = $1 AND hall_id = $2 AND NOT muted", w.id, w.hall); n != 1 {
		t.Errorf("the hall is still muted in the database")
	}
}

// TestLockAndEnd locks the room (a newcomer gets neither a token nor, with
// one from before, the SFU; the hall and who was in still join), then ends
// the call (everyone out, no token, old ones refused) and reopens it.
func TestLockAndEnd(t *testing.T) {
	w := setupModeration(t)
	early := w.join(t, "delegate2", false) // asked for before the lock, not used yet
	in := w.dial(t, w.join(t, "delegate1", false))
	// The roll call hears the join from the SFU's observer: delegate1 is
	// present (online) before the lock, so their reload is no newcomer.
	w.waitCount(t, "session_attendance", "meeting_id = $1 AND user_id = $2 AND status = 'online'", w.id, w.users["delegate1"])

	w.do(t, "chair", "PUT", w.base+"/session/room", map[string]any{"state": "locked"}, 204, nil)
	if st, b := w.env.Do(t, "POST", w.base+"/join", w.tokens["delegate2"], map[string]any{}); st != http.StatusConflict || !strings.Contains(string(b), "room_locked") {
		t.Errorf("a newcomer's grant in a locked room: %d %s, want 409 room_locked", st, b)
	}
	if st, body := w.rtcStatus(t, early); st != http.StatusForbidden || !strings.Contains(body, "room_locked") {
		t.Errorf("/rtc with a newcomer's token from before the lock: %d %s, want 403 room_locked", st, body)
	}
	hall := w.dial(t, w.join(t, "operator", true))     // invited halls join
	reload := w.dial(t, w.join(t, "delegate1", false)) // who was in reloads
	waitClosed(t, in, "replaced by a new connection")
	chair := w.dial(t, w.join(t, "chair", false)) // moderators join

	w.do(t, "chair", "PUT", w.base+"/session/room", map[string]any{"state": "ended"}, 204, nil)
	for _, c := range []*sfuclient.Client{hall, reload, chair} {
		waitClosed(t, c, sfu.ReasonCallEnded)
	}
	if st, b := w.env.Do(t, "POST", w.base+"/join", w.tokens["operator"], map[string]any{"hall_id": w.hall}); st != http.StatusConflict || !strings.Contains(string(b), "call_ended") {
		t.Errorf("a grant after the end: %d %s, want 409 call_ended", st, b)
	}
	if n := w.env.Count(t, "audit_log", "action = 'session.room' AND object_id = $1", fmt.Sprint(w.id)); n != 2 {
		t.Errorf("audit rows of lock and end: %d", n)
	}
	w.do(t, "chair", "PUT", w.base+"/session/room", map[string]any{"state": "open"}, 204, nil)
	if st, _ := w.rtcStatus(t, early); st != http.StatusForbidden {
		t.Errorf("/rtc with a token from before the end: %d, want 403", st)
	}
	w.dial(t, w.join(t, "delegate2", false))
}
