package httpapi_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/roomtoken"
)

// TestMeetingStory is a meeting from preparation to its close: a secretary prepares a
// province-wide meeting with 160 halls, publishes it (every invitee gets
// one e-mail even though the worker dies mid-way), people join, the chair
// runs the session (items, floor, open and secret votes, roll call, mute),
// the server restarts mid-session and the state is intact, the session closes.
func TestMeetingStory(t *testing.T) {
	w := setupProvince(t, func(c *config.Config) { c.Jobs.RunWorker = false })
	env := w.env
	ctx := context.Background()
	id := w.createMeeting(t)
	base := fmt.Sprintf("/api/v1/meetings/%d", id)

	// Invitations: all communes of district 1 in one action, then the whole province.
	var added struct {
		Added int `json:"added"`
	}
	w.do(t, "secretary", "POST", base+"/halls", map[string]any{"unit_id": w.districts[0], "include_descendants": true, "level": "commune"}, 200, &added)
	if added.Added != 13 {
		t.Fatalf("communes of district 1: added %d, want 13", added.Added)
	}
	w.do(t, "secretary", "POST", base+"/halls", map[string]any{"unit_id": w.root, "include_descendants": true}, 200, &added)
	if added.Added != 147 || env.Count(t, "meeting_halls", "meeting_id = $1", id) != 160 {
		t.Fatalf("whole province: added %d, total %d; want 147 and 160", added.Added, env.Count(t, "meeting_halls", "meeting_id = $1", id))
	}
	// Bad selections change nothing.
	for _, body := range []any{
		map[string]any{"hall_ids": []int64{999999}},
		map[string]any{"level": "commune"},
		map[string]any{"unit_id": w.root, "level": "Xã!"},
		map[string]any{"unit_id": "tỉnh"},
		`{"unit_id": 1, "surprise": true}`,
	} {
		if st, _ := w.status(t, "secretary", "POST", base+"/halls", body); st/100 != 4 {
			t.Errorf("invite %v: status %d, want 4xx", body, st)
		}
	}
	if n := env.Count(t, "meeting_halls", "meeting_id = $1", id); n != 160 {
		t.Fatalf("halls after bad input: %d", n)
	}

	// People with meeting roles.
	for who, role := range map[string]string{"delegate1": "delegate", "delegate2": "delegate", "presenter": "presenter", "observer": "observer"} {
		body := map[string]any{"role": role}
		if who == "delegate1" {
			body["hall_id"] = w.halls["d1"]
		}
		w.do(t, "secretary", "PUT", fmt.Sprintf("%s/participants/%d", base, w.users[who]), body, 204, nil)
	}
	if st, code := w.status(t, "secretary", "PUT", fmt.Sprintf("%s/participants/%d", base, w.users["outsider"]), map[string]any{"role": "boss"}); st != 422 || code != "validation_failed" {
		t.Fatalf("bad role: %d %s", st, code)
	}
	if n := env.Count(t, "meeting_participants", "meeting_id = $1", id); n != 6 {
		t.Fatalf("participants: %d, want 6", n)
	}

	// Agenda: three items, the third moved first.
	var items []struct {
		ID       int64  `json:"id"`
		Position int    `json:"position"`
		Title    string `json:"title"`
	}
	for i, title := range []string{"Báo cáo tình hình kinh tế – xã hội", "Kế hoạch chuyển đổi số năm 2027", "Khai mạc"} {
		var it struct {
			ID int64 `json:"id"`
		}
		w.do(t, "secretary", "POST", base+"/agenda", map[string]any{"title": title, "planned_minutes": 20 + i, "presenter_user_id": w.users["presenter"]}, 201, &it)
	}
	var ag struct {
		Items []struct {
			ID       int64  `json:"id"`
			Position int    `json:"position"`
			Title    string `json:"title"`
		} `json:"items"`
	}
	w.do(t, "secretary", "GET", base+"/agenda", nil, 200, &ag)
	w.do(t, "secretary", "POST", fmt.Sprintf("%s/agenda/%d/move", base, ag.Items[2].ID), map[string]any{"position": 1}, 200, &ag)
	items = ag.Items
	if items[0].Title != "Khai mạc" || items[1].Position != 2 || len(items) != 3 {
		t.Fatalf("agenda after move: %+v", items)
	}
	if st, _ := w.status(t, "secretary", "POST", base+"/agenda", map[string]any{"title": "  "}); st != 422 {
		t.Fatalf("empty title: %d", st)
	}
	if st, _ := w.status(t, "secretary", "POST", fmt.Sprintf("%s/agenda/%d/move", base, items[0].ID), map[string]any{"position": 9}); st != 422 {
		t.Fatalf("move past the end: %d", st)
	}
	if n := env.Count(t, "agenda_items", "meeting_id = $1", id); n != 3 {
		t.Fatalf("items after bad input: %d", n)
	}

	// Before publication invitees do not see it; outsiders never.
	if st, _ := w.status(t, "delegate1", "GET", base, nil); st != 404 {
		t.Fatalf("delegate sees a draft: %d", st)
	}
	// Out of order: no session, no vote, no join before publication.
	for _, c := range []struct{ method, path string }{{"POST", base + "/session/open"}, {"POST", base + "/join"}, {"POST", base + "/session/votes"}} {
		var body any
		if strings.HasSuffix(c.path, "votes") {
			body = map[string]any{"question": "?"}
		}
		if st, code := w.status(t, "chair", c.method, c.path, body); st != 409 || code != "invalid_state" {
			t.Fatalf("%s in a draft: %d %s, want 409 invalid_state", c.path, st, code)
		}
	}

	// Publish: every invitee (6 people + the operator of hall d1) once.
	w.do(t, "secretary", "POST", base+"/publish", nil, 200, nil)
	if st, code := w.status(t, "secretary", "POST", base+"/publish", nil); st != 409 || code != "invalid_state" {
		t.Fatalf("publish twice: %d %s", st, code)
	}
	if n := env.Count(t, "notifications", "meeting_id = $1", id); n != 7 {
		t.Fatalf("in-app notices: %d, want 7", n)
	}
	if n := env.Count(t, "email_outbox", ""); n != 7 {
		t.Fatalf("outbox: %d, want 7", n)
	}
	// A worker sends three and dies before acknowledging their jobs.
	var first []int64
	rows, _ := env.App.DB.Pool.Query(ctx, `SELECT id FROM email_outbox ORDER BY id LIMIT 3`)
	for rows.Next() {
		var x int64
		_ = rows.Scan(&x)
		first = append(first, x)
	}
	rows.Close()
	h := env.App.Mailer.Handler()
	for _, x := range first {
		if err := h.Func(ctx, asynq.NewTask("email:send", []byte(fmt.Sprintf(`{"outbox_id":%d}`, x)))); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(w.sink.WaitFor(3, 5*time.Second)); got != 3 {
		t.Fatalf("sent before the crash: %d", got)
	}
	dbURL, redisURL := env.Config.DatabaseURL, env.Config.RedisURL
	env.Stop()
	env = apptest.NewOn(t, dbURL, redisURL, smtpTo(w.sink))
	w.env = env
	w.sink.WaitFor(7, 20*time.Second)
	waitQueueEmpty(t, redisURL)
	msgs := w.sink.Messages()
	if len(msgs) != 7 {
		t.Fatalf("e-mails: %d, want exactly 7", len(msgs))
	}
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.To[0]]++
		if !strings.Contains(m.Data, "Subject: =?utf-8?q?") || !strings.Contains(m.Data, "Message-ID: <meeting.") {
			t.Errorf("message headers: %.300s", m.Data)
		}
	}
	for _, who := range []string{"secretary", "chair", "delegate1", "delegate2", "presenter", "observer", "operator"} {
		if seen[who+"@example.test"] != 1 {
			t.Errorf("%s got %d e-mails, want 1", who, seen[who+"@example.test"])
		}
	}
	if n := env.Count(t, "email_outbox", "sent_at IS NULL"); n != 0 {
		t.Fatalf("unsent: %d", n)
	}
	var notes struct {
		Notifications []struct {
			Kind      string `json:"kind"`
			MeetingID int64  `json:"meeting_id"`
			Title     string `json:"title"`
		} `json:"notifications"`
	}
	w.do(t, "delegate1", "GET", "/api/v1/notifications", nil, 200, &notes)
	if len(notes.Notifications) != 1 || notes.Notifications[0].Kind != "meeting.invited" || !strings.Contains(notes.Notifications[0].Title, "chuyển đổi số") {
		t.Fatalf("delegate's notices: %+v", notes)
	}
	// My meetings: invited delegates see it, the outsider does not.
	var list struct {
		Meetings []struct {
			ID int64 `json:"id"`
		} `json:"meetings"`
	}
	w.do(t, "delegate1", "GET", "/api/v1/meetings?when=upcoming", nil, 200, &list)
	if len(list.Meetings) != 1 || list.Meetings[0].ID != id {
		t.Fatalf("delegate's meetings: %+v", list)
	}
	w.do(t, "outsider", "GET", "/api/v1/meetings", nil, 200, &list)
	if len(list.Meetings) != 0 {
		t.Fatalf("outsider's meetings: %+v", list)
	}

	// Join tokens per role.
	verifier := roomtoken.NewVerifier(env.App.RoomKey.Public().(ed25519.PublicKey))
	join := func(who string, body any) (roomtoken.Claims, []string) {
		t.Helper()
		var out struct {
			Room, Token, Identity string
			SignalingURL          string   `json:"signaling_url"`
			Permissions           []string `json:"permissions"`
		}
		w.do(t, who, "POST", base+"/join", body, 200, &out)
		c, err := verifier.Verify(out.Token)
		if err != nil || c.Room != fmt.Sprintf("meeting-%d", id) || c.Identity != out.Identity || !strings.HasPrefix(out.SignalingURL, "ws://") || !strings.HasSuffix(out.SignalingURL, "/rtc") {
			t.Fatalf("join as %s: %+v %v", who, out, err)
		}
		return c, out.Permissions
	}
	if c, p := join("delegate1", nil); c.Identity != fmt.Sprintf("user-%d", w.users["delegate1"]) || !has(p, "publish") || has(p, "moderate") {
		t.Fatalf("delegate join: %v %v", c.Identity, p)
	}
	if _, p := join("observer", nil); len(p) != 1 || p[0] != "subscribe" {
		t.Fatalf("observer perms %v", p)
	}
	if _, p := join("chair", nil); !has(p, "moderate") {
		t.Fatalf("chair perms %v", p)
	}
	if _, p := join("presenter", nil); !has(p, "screen") {
		t.Fatalf("presenter perms %v", p)
	}
	if c, _ := join("operator", map[string]any{"hall_id": w.halls["d1"]}); c.Identity != fmt.Sprintf("hall-%d", w.halls["d1"]) || c.Name != "Điểm cầu huyện 1" || c.Kind != "hall" {
		t.Fatalf("hall join: %s %q %s", c.Identity, c.Name, c.Kind)
	}
	// Consoles watch under their own identity: the technician gets the link
	// stats without moderating, the chair moderates, a delegate only watches.
	if c, p := join("operator", map[string]any{"console": true}); c.Identity != fmt.Sprintf("console-%d", w.users["operator"]) || c.Kind != "console" || !has(p, "stats") || has(p, "moderate") || has(p, "publish") {
		t.Fatalf("technician console: %s %s %v", c.Identity, c.Kind, p)
	}
	if _, p := join("chair", map[string]any{"console": true}); !has(p, "moderate") || !has(p, "stats") || has(p, "publish") {
		t.Fatalf("chair console perms %v", p)
	}
	if _, p := join("delegate2", map[string]any{"console": true}); len(p) != 1 || p[0] != "subscribe" {
		t.Fatalf("delegate console perms %v", p)
	}
	for _, c := range []struct {
		who  string
		body any
		want int
	}{
		{"operator", map[string]any{"hall_id": w.halls["d2"]}, 403},
		{"operator", nil, 422},
		{"operator", map[string]any{"hall_id": w.halls["d1"], "console": true}, 422},
		{"operator", `{"console": "yes"}`, 422},
		{"outsider", map[string]any{"console": true}, 404},
		{"outsider", nil, 404},
		{"delegate1", `{"hall_id": "x"}`, 422},
	} {
		if st, _ := w.status(t, c.who, "POST", base+"/join", c.body); st != c.want {
			t.Errorf("join %s %v: %d, want %d", c.who, c.body, st, c.want)
		}
	}

	// The live session.
	chairWS := w.connect(t, env, "chair", id, "")
	delWS := w.connect(t, env, "delegate2", id, "")
	if f := delWS.next(); f.Type != "snapshot" || f.Snapshot.Status != "published" || len(f.Snapshot.Agenda) != 3 {
		t.Fatalf("first frame: %+v", f)
	}
	chairWS.next()
	if st, _ := w.status(t, "delegate1", "POST", base+"/session/open", nil); st != 403 {
		t.Fatalf("delegate opens: %d", st)
	}
	if st, code := w.status(t, "chair", "POST", base+"/session/speaking/1/grant", nil); st != 409 || code != "invalid_state" {
		t.Fatalf("grant before open: %d %s", st, code)
	}
	w.do(t, "chair", "POST", base+"/session/open", nil, 204, nil)
	delWS.waitEvent("session.opened")
	w.do(t, "chair", "PUT", base+"/session/current-item", map[string]any{"item_id": items[0].ID}, 204, nil)
	if d := delWS.waitEvent("item.started"); int64(d["item_id"].(float64)) != items[0].ID {
		t.Fatalf("item.started %v", d)
	}
	w.do(t, "chair", "PUT", base+"/session/current-item", map[string]any{"item_id": items[1].ID}, 204, nil)
	delWS.waitEvent("item.ended")
	delWS.waitEvent("item.started")
	if st, _ := w.status(t, "chair", "PUT", base+"/session/current-item", map[string]any{"item_id": 999999}); st != 404 {
		t.Fatalf("unknown item: %d", st)
	}

	// Speaking: a person and a hall ask; the chair grants the person.
	var req struct {
		RequestID int64 `json:"request_id"`
	}
	w.do(t, "delegate1", "POST", base+"/session/speaking", nil, 201, &req)
	if st, code := w.status(t, "delegate1", "POST", base+"/session/speaking", nil); st != 409 || code != "invalid_state" {
		t.Fatalf("second request: %d %s", st, code)
	}
	if st, _ := w.status(t, "observer", "POST", base+"/session/speaking", nil); st != 403 {
		t.Fatalf("observer asks for the floor: %d", st)
	}
	var hallReq struct {
		RequestID int64 `json:"request_id"`
	}
	w.do(t, "operator", "POST", base+"/session/speaking", map[string]any{"hall_id": w.halls["d1"]}, 201, &hallReq)
	if st, _ := w.status(t, "delegate2", "POST", fmt.Sprintf("%s/session/speaking/%d/grant", base, req.RequestID), nil); st != 403 {
		t.Fatalf("delegate grants: %d", st)
	}
	if st, _ := w.status(t, "delegate2", "POST", fmt.Sprintf("%s/session/speaking/%d/withdraw", base, req.RequestID), nil); st != 403 {
		t.Fatalf("delegate withdraws another's request: %d", st)
	}
	media := &recordingMedia{}
	env.App.Meetings.SetMedia(media)
	w.do(t, "chair", "POST", fmt.Sprintf("%s/session/speaking/%d/grant", base, req.RequestID), nil, 204, nil)
	if want := fmt.Sprintf("pin meeting-%d hall-%d", id, w.halls["d1"]); media.last() != want {
		t.Fatalf("SFU call %q, want %q", media.last(), want)
	}
	if d := delWS.waitEvent("speaking.granted"); int64(d["hall_id"].(float64)) != w.halls["d1"] {
		t.Fatalf("granted without the speaker's hall: %v", d)
	}
	w.do(t, "chair", "POST", fmt.Sprintf("%s/session/speaking/%d/end", base, req.RequestID), nil, 204, nil)
	delWS.waitEvent("speaking.ended")
	// Ending the turn unpins: the picture follows the active speaker again.
	if want := fmt.Sprintf("pin meeting-%d ", id); media.last() != want {
		t.Fatalf("SFU call after the end %q, want %q (unpin)", media.last(), want)
	}
	w.do(t, "operator", "POST", fmt.Sprintf("%s/session/speaking/%d/withdraw", base, hallReq.RequestID), nil, 204, nil)
	delWS.waitEvent("speaking.withdrawn")

	// An open vote.
	var vote struct {
		VoteID int64 `json:"vote_id"`
	}
	w.do(t, "chair", "POST", base+"/session/votes", map[string]any{"question": "Thông qua kế hoạch?"}, 201, &vote)
	if st, code := w.status(t, "chair", "POST", base+"/session/votes", map[string]any{"question": "Hai cùng lúc?"}); st != 409 || code != "invalid_state" {
		t.Fatalf("second open vote: %d %s", st, code)
	}
	vpath := fmt.Sprintf("%s/session/votes/%d", base, vote.VoteID)
	w.do(t, "delegate1", "POST", vpath+"/ballot", map[string]any{"choice": "yes"}, 204, nil)
	w.do(t, "delegate2", "POST", vpath+"/ballot", map[string]any{"choice": "no"}, 204, nil)
	if st, code := w.status(t, "delegate1", "POST", vpath+"/ballot", map[string]any{"choice": "no"}); st != 409 || code != "already_voted" {
		t.Fatalf("vote twice: %d %s", st, code)
	}
	if st, _ := w.status(t, "observer", "POST", vpath+"/ballot", map[string]any{"choice": "yes"}); st != 403 {
		t.Fatalf("observer votes: %d", st)
	}
	if st, _ := w.status(t, "chair", "POST", vpath+"/ballot", map[string]any{"choice": "maybe"}); st != 422 {
		t.Fatalf("bad choice: %d", st)
	}
	if d := chairWS.waitEvent("vote.tally"); d["counts"].(map[string]any)["yes"].(float64) != 1 {
		t.Fatalf("chair's live count %v", d)
	}
	w.do(t, "chair", "POST", vpath+"/close", nil, 204, nil)
	if d := delWS.waitEvent("vote.closed"); d["ballots"].(float64) != 2 || d["counts"].(map[string]any)["no"].(float64) != 1 {
		t.Fatalf("result %v", d)
	}
	var evs struct {
		Events []struct{ Type string } `json:"events"`
	}
	w.do(t, "delegate2", "GET", base+"/session/events?since=0", nil, 200, &evs)
	for _, e := range evs.Events {
		if e.Type == "vote.tally" {
			t.Fatal("a delegate received the chair's live count")
		}
	}

	// A secret vote: the database cannot tell who chose what.
	w.do(t, "chair", "POST", base+"/session/votes", map[string]any{"question": "Bỏ phiếu kín nhân sự", "secret": true, "options": []string{"đồng ý", "không đồng ý"}}, 201, &vote)
	vpath = fmt.Sprintf("%s/session/votes/%d", base, vote.VoteID)
	w.do(t, "delegate1", "POST", vpath+"/ballot", map[string]any{"choice": "đồng ý"}, 204, nil)
	w.do(t, "delegate2", "POST", vpath+"/ballot", map[string]any{"choice": "không đồng ý"}, 204, nil)
	w.do(t, "chair", "POST", vpath+"/ballot", map[string]any{"choice": "đồng ý"}, 204, nil)
	var snap struct {
		Vote struct {
			Ballots int            `json:"ballots"`
			Counts  map[string]int `json:"counts"`
		} `json:"vote"`
	}
	w.do(t, "chair", "GET", base+"/session", nil, 200, &snap)
	if snap.Vote.Ballots != 3 || snap.Vote.Counts != nil {
		t.Fatalf("secret vote while open: %+v (no counts before closing)", snap.Vote)
	}
	w.do(t, "chair", "POST", vpath+"/close", nil, 204, nil)
	if d := delWS.waitEvent("vote.closed"); d["counts"].(map[string]any)["đồng ý"].(float64) != 2 {
		t.Fatalf("secret result %v", d)
	}
	assertSecretUnlinkable(t, env, vote.VoteID)

	// Roll call: the SFU observer reports halls; operators and the chair check people in.
	now := time.Now()
	if err := env.App.Meetings.HallConnected(ctx, 0, 1, now); err == nil {
		t.Fatal("presence of an unknown meeting accepted")
	}
	mustOK(t, env.App.Meetings.HallConnected(ctx, meetingID(id), hallID(w.halls["d1"]), now))
	mustOK(t, env.App.Meetings.HallConnected(ctx, meetingID(id), hallID(w.halls["d1"]), now)) // repeated: no new event
	delWS.waitEvent("hall.connected")
	mustOK(t, env.App.Meetings.UserConnected(ctx, meetingID(id), userID(w.users["delegate1"]), now))
	delWS.waitEvent("attendance.marked")
	// A person who joined from their own browser speaks from it: the floor
	// pins their identity, not the hall they were invited from.
	w.do(t, "delegate1", "POST", base+"/session/speaking", nil, 201, &req)
	w.do(t, "chair", "POST", fmt.Sprintf("%s/session/speaking/%d/grant", base, req.RequestID), nil, 204, nil)
	if d := delWS.waitEvent("speaking.granted"); d["hall_id"] != nil {
		t.Fatalf("an online speaker granted with a hall: %v", d)
	}
	if want := fmt.Sprintf("pin meeting-%d user-%d", id, w.users["delegate1"]); media.last() != want {
		t.Fatalf("SFU call %q, want %q", media.last(), want)
	}
	w.do(t, "chair", "POST", fmt.Sprintf("%s/session/speaking/%d/end", base, req.RequestID), nil, 204, nil)
	delWS.waitEvent("speaking.ended")
	w.do(t, "operator", "PUT", fmt.Sprintf("%s/session/attendance/%d", base, w.users["delegate2"]), map[string]any{"status": "in_hall", "hall_id": w.halls["d1"]}, 204, nil)
	if st, _ := w.status(t, "operator", "PUT", fmt.Sprintf("%s/session/attendance/%d", base, w.users["delegate2"]), map[string]any{"status": "in_hall", "hall_id": w.halls["d2"]}); st != 403 {
		t.Fatalf("operator checks in at another hall: %d", st)
	}
	if st, _ := w.status(t, "chair", "PUT", fmt.Sprintf("%s/session/attendance/%d", base, w.users["outsider"]), map[string]any{"status": "absent"}); st != 422 {
		t.Fatalf("attendance of a non-invitee: %d", st)
	}
	mustOK(t, env.App.Meetings.UserDisconnected(ctx, meetingID(id), userID(w.users["delegate2"]), now)) // in the hall: stays
	mustOK(t, env.App.Meetings.UserDisconnected(ctx, meetingID(id), userID(w.users["delegate1"]), now))
	if d := delWS.waitEvent("attendance.marked"); d["status"] != "in_hall" {
		t.Fatalf("check-in event %v", d)
	}
	if d := delWS.waitEvent("attendance.marked"); d["status"] != "absent" || int64(d["user_id"].(float64)) != w.users["delegate1"] {
		t.Fatalf("leave event %v", d)
	}
	mustOK(t, env.App.Meetings.HallDisconnected(ctx, meetingID(id), hallID(w.halls["d1"]), now.Add(time.Minute)))
	delWS.waitEvent("hall.disconnected")
	w.do(t, "chair", "POST", fmt.Sprintf("%s/session/halls/%d/mute", base, w.halls["d2"]), map[string]any{"muted": true}, 204, nil)
	delWS.waitEvent("hall.muted")
	if want := fmt.Sprintf("mute meeting-%d hall-%d true", id, w.halls["d2"]); media.last() != want {
		t.Fatalf("SFU call %q, want %q", media.last(), want)
	}
	if st, _ := w.status(t, "delegate1", "POST", fmt.Sprintf("%s/session/halls/%d/mute", base, w.halls["d2"]), map[string]any{"muted": false}); st != 403 {
		t.Fatalf("delegate mutes: %d", st)
	}

	// Restart mid-session: a waiting request, an open vote with one ballot.
	w.do(t, "delegate2", "POST", base+"/session/speaking", nil, 201, &req)
	w.do(t, "chair", "POST", base+"/session/votes", map[string]any{"question": "Biểu quyết cuối"}, 201, &vote)
	w.do(t, "delegate1", "POST", fmt.Sprintf("%s/session/votes/%d/ballot", base, vote.VoteID), map[string]any{"choice": "abstain"}, 204, nil)
	lastSeq := delWS.waitEvent("vote.ballot")["_seq"].(int64)
	env.Stop()
	env = apptest.NewOn(t, dbURL, redisURL, smtpTo(w.sink))
	w.env = env
	var after struct {
		Status        string `json:"status"`
		CurrentItemID int64  `json:"current_item_id"`
		Queue         []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"queue"`
		Vote struct {
			ID      int64          `json:"id"`
			Ballots int            `json:"ballots"`
			Counts  map[string]int `json:"counts"`
		} `json:"vote"`
		Halls []struct {
			HallID int64 `json:"hall_id"`
			Muted  bool  `json:"muted"`
		} `json:"halls"`
	}
	w.do(t, "chair", "GET", base+"/session", nil, 200, &after)
	if after.Status != "in_session" || after.CurrentItemID != items[1].ID || len(after.Queue) != 1 || after.Queue[0].ID != req.RequestID ||
		after.Vote.ID != vote.VoteID || after.Vote.Ballots != 1 || after.Vote.Counts["abstain"] != 1 || len(after.Halls) != 2 {
		t.Fatalf("state after restart: %+v", after)
	}
	// A reconnecting browser catches up from its last seq.
	re := w.connect(t, env, "delegate2", id, fmt.Sprint(lastSeq-1))
	if f := re.next(); f.Type != "event" || f.Event.Seq != lastSeq {
		t.Fatalf("replay: %+v", f)
	}
	if st, code := w.status(t, "chair", "POST", base+"/session/close", nil); st != 409 || code != "invalid_state" {
		t.Fatalf("close with an open vote: %d %s", st, code)
	}
	w.do(t, "chair", "POST", fmt.Sprintf("%s/session/votes/%d/close", base, vote.VoteID), nil, 204, nil)
	w.do(t, "chair", "POST", base+"/session/close", nil, 204, nil)
	re.waitEvent("session.closed")
	for _, c := range []struct{ method, path string }{{"POST", base + "/join"}, {"POST", base + "/session/speaking"}, {"POST", base + "/session/open"}} {
		if st, code := w.status(t, "delegate1", c.method, c.path, nil); st != 409 && st != 403 || (st == 409 && code != "invalid_state") {
			t.Errorf("%s after the end: %d %s", c.path, st, code)
		}
	}
	// Item times are recorded: the two items shown have a start and an end.
	if n := env.Count(t, "agenda_items", "meeting_id = $1 AND started_at IS NOT NULL AND ended_at IS NOT NULL AND ended_at >= started_at", id); n != 2 {
		t.Fatalf("items with times: %d, want 2", n)
	}
	if n := env.Count(t, "session_events", "meeting_id = $1 AND type = 'speaking.granted'", id); n != 2 {
		t.Fatalf("granted events: %d", n)
	}
	if _, err := env.App.DB.Pool.Exec(ctx, `UPDATE session_events SET type = 'forged' WHERE meeting_id = $1`, id); err == nil {
		t.Fatal("the session's event log accepted an update")
	}
}
