package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/config"
)

// setupRoom is a small published meeting in session: a province hall and
// a district hall invited, a chair, a secretary, three delegates, an
// observer and the district hall's operator; the delegates sit in the
// district hall.
func setupRoom(t *testing.T, opts ...apptest.Option) (*province, int64, string) {
	t.Helper()
	env := apptest.New(t, append([]apptest.Option{func(c *config.Config) { c.Jobs.RunWorker = false }}, opts...)...)
	w := &province{env: env, halls: map[string]int64{}, users: map[string]int64{}, tokens: map[string]string{}}
	w.root = env.Unit(t, 0, "province", "lam-dong", "UBND tỉnh Lâm Đồng")
	d1 := env.Unit(t, w.root, "district", "duc-trong", "UBND huyện Đức Trọng")
	w.districts = []int64{d1}
	w.halls["province"] = env.Hall(t, w.root, "dc-tinh", "Điểm cầu tỉnh")
	w.halls["d1"] = env.Hall(t, d1, "dc-duc-trong", "Điểm cầu huyện Đức Trọng")
	for name, grants := range map[string][]auth.RoleGrant{
		"secretary": {apptest.Grant(auth.RoleSecretary)},
		"chair":     {apptest.Grant(auth.RoleChair)},
		"delegate1": {apptest.Grant(auth.RoleDelegate)},
		"delegate2": {apptest.Grant(auth.RoleDelegate)},
		"delegate3": {apptest.Grant(auth.RoleDelegate)},
		"observer":  {apptest.Grant(auth.RoleObserver)},
		"operator":  {apptest.OperatorGrant(w.halls["d1"])},
		"outsider":  {apptest.Grant(auth.RoleDelegate)},
	} {
		w.users[name] = env.User(t, w.root, name, pw, grants...)
		w.tokens[name], _ = env.Login(t, name, pw)
	}
	id := w.createMeeting(t)
	base := fmt.Sprintf("/api/v1/meetings/%d", id)
	w.do(t, "secretary", "POST", base+"/halls", map[string]any{"hall_ids": []int64{w.halls["province"], w.halls["d1"]}}, 200, nil)
	for _, who := range []string{"delegate1", "delegate2", "delegate3"} {
		w.do(t, "secretary", "PUT", fmt.Sprintf("%s/participants/%d", base, w.users[who]), map[string]any{"role": "delegate", "hall_id": w.halls["d1"]}, 204, nil)
	}
	w.do(t, "secretary", "PUT", fmt.Sprintf("%s/participants/%d", base, w.users["observer"]), map[string]any{"role": "observer"}, 204, nil)
	w.do(t, "secretary", "POST", base+"/publish", nil, 200, nil)
	w.do(t, "chair", "POST", base+"/session/open", nil, 204, nil)
	return w, id, base
}

type closedVote struct {
	ID        int64          `json:"id"`
	Base      string         `json:"base"`
	Rule      string         `json:"rule"`
	BaseCount *int           `json:"base_count"`
	Passed    *bool          `json:"passed"`
	Counts    map[string]int `json:"counts"`
}

// TestVoteRules puts two questions with rules to the vote through the
// API: a secret one by two thirds of those present that fails 1 of 3, and
// an open one by more than half of all invited voters that passes 3 of 4.
// Bad rules and bases are refused naming the field, and open nothing.
func TestVoteRules(t *testing.T) {
	w, id, base := setupRoom(t)
	ws := w.connect(t, w.env, "delegate1", id, "")

	for _, body := range []map[string]any{
		{"question": "Q", "base": "most"},
		{"question": "Q", "rule": "unanimous"},
		{"question": "Q", "rule": 2},
		{"question": "Q", "base": "present", "rule": "two_thirds", "quorum": 10},
	} {
		st, b := w.env.Do(t, "POST", base+"/session/votes", w.tokens["chair"], body)
		if st != http.StatusUnprocessableEntity && st != http.StatusBadRequest {
			t.Errorf("open vote %v: %d %s, want 422 or 400", body, st, b)
		}
	}
	if n := w.env.Count(t, "votes", "meeting_id = $1", id); n != 0 {
		t.Fatalf("bad votes opened %d rows", n)
	}

	var v struct {
		VoteID int64 `json:"vote_id"`
	}
	w.do(t, "chair", "POST", base+"/session/votes", map[string]any{"question": "Điều chỉnh chỉ tiêu đầu tư công", "secret": true,
		"base": "present", "rule": "two_thirds"}, 201, &v)
	if d := ws.waitEvent("vote.opened"); d["rule"] != "two_thirds" || d["base"] != "present" {
		t.Fatalf("vote.opened %v: want the rule and base", d)
	}
	vpath := fmt.Sprintf("%s/session/votes/%d", base, v.VoteID)
	for who, choice := range map[string]string{"delegate1": "yes", "delegate2": "no", "delegate3": "abstain"} {
		w.do(t, who, "POST", vpath+"/ballot", map[string]any{"choice": choice}, 204, nil)
	}
	w.do(t, "chair", "POST", vpath+"/close", nil, 204, nil)
	d := ws.waitEvent("vote.closed")
	if d["passed"] != false || d["base_count"] != float64(3) || d["rule"] != "two_thirds" {
		t.Fatalf("vote.closed %v: want failed over a base of 3 (the chair neither voted nor checked in)", d)
	}

	w.do(t, "chair", "POST", base+"/session/votes", map[string]any{"question": "Thông qua kế hoạch", "base": "all", "rule": "majority"}, 201, &v)
	vpath = fmt.Sprintf("%s/session/votes/%d", base, v.VoteID)
	for _, who := range []string{"delegate1", "delegate2", "delegate3"} {
		w.do(t, who, "POST", vpath+"/ballot", map[string]any{"choice": "yes"}, 204, nil)
	}
	w.do(t, "chair", "POST", vpath+"/close", nil, 204, nil)

	var snap struct {
		Closed []closedVote `json:"closed_votes"`
	}
	w.do(t, "delegate2", "GET", base+"/session", nil, 200, &snap)
	if len(snap.Closed) != 2 {
		t.Fatalf("closed votes: %+v", snap.Closed)
	}
	a, b := snap.Closed[0], snap.Closed[1]
	if a.Passed == nil || *a.Passed || *a.BaseCount != 3 || a.Rule != "two_thirds" || a.Base != "present" {
		t.Errorf("secret two-thirds vote: %+v", a)
	}
	if b.Passed == nil || !*b.Passed || *b.BaseCount != 4 || b.Rule != "majority" || b.Base != "all" || b.Counts["yes"] != 3 {
		t.Errorf("open majority-of-all vote (3 of the chair and 3 delegates): %+v", b)
	}
}

// TestModerationBadInput sends every kind of bad request to the
// moderation routes: each gets a clear 4xx and changes nothing (no event,
// no audit row, no moderation row, the room as it was).
func TestModerationBadInput(t *testing.T) {
	w, id, base := setupRoom(t)
	mod, room := base+"/session/moderation", base+"/session/room"
	d1 := w.users["delegate1"]
	// One removal to make "remove twice" and "readmit" meaningful.
	w.do(t, "chair", "POST", mod, map[string]any{"action": "remove", "user_id": d1}, 204, nil)

	snapshot := func() [5]int {
		return [5]int{
			w.env.Count(t, "session_events", "meeting_id = $1", id),
			w.env.Count(t, "audit_log", "action LIKE 'session.%' AND object_id = $1", fmt.Sprint(id)),
			w.env.Count(t, "session_people", "meeting_id = $1 AND (muted OR removed_at IS NOT NULL)", id),
			w.env.Count(t, "session_halls", "meeting_id = $1 AND (muted OR removed_at IS NOT NULL)", id),
			w.env.Count(t, "meetings", "id = $1 AND room_state = 'open' AND NOT secretary_moderates", id),
		}
	}
	before := snapshot()
	for _, c := range []struct {
		who, method, path string
		body              any
		status            int
		code              string
	}{
		{"chair", "POST", mod, map[string]any{}, 422, "validation_failed"},
		{"chair", "POST", mod, map[string]any{"action": "kick", "user_id": d1}, 422, "validation_failed"},
		{"chair", "POST", mod, map[string]any{"action": "mute"}, 422, "validation_failed"},
		{"chair", "POST", mod, map[string]any{"action": "mute", "user_id": d1, "hall_id": w.halls["d1"]}, 422, "validation_failed"},
		{"chair", "POST", mod, map[string]any{"action": "mute", "user_id": -3}, 422, "validation_failed"},
		{"chair", "POST", mod, map[string]any{"action": "mute", "user_id": w.users["outsider"]}, 422, "validation_failed"},
		{"chair", "POST", mod, map[string]any{"action": "mute", "hall_id": 999999}, 422, "validation_failed"},
		{"chair", "POST", mod, map[string]any{"action": "mute", "user_id": "năm"}, 422, "validation_failed"},
		{"chair", "POST", mod, map[string]any{"action": "mute", "user_id": d1, "reason": "x"}, 400, ""},
		{"chair", "POST", mod, `{"action": "mute", `, 400, ""},
		{"chair", "POST", mod, map[string]any{"action": "remove", "user_id": d1}, 409, "invalid_state"},
		{"chair", "POST", mod, map[string]any{"action": "readmit", "user_id": w.users["delegate2"]}, 409, "invalid_state"},
		{"delegate2", "POST", mod, map[string]any{"action": "mute", "user_id": w.users["delegate3"]}, 403, "forbidden"},
		{"operator", "POST", mod, map[string]any{"action": "mute", "hall_id": w.halls["province"]}, 403, "forbidden"},
		{"secretary", "POST", mod, map[string]any{"action": "mute", "user_id": w.users["delegate3"]}, 403, "forbidden"},
		{"outsider", "POST", mod, map[string]any{"action": "mute", "user_id": d1}, 404, "not_found"},
		{"chair", "POST", "/api/v1/meetings/999999/session/moderation", map[string]any{"action": "mute", "user_id": d1}, 404, "not_found"},
		{"chair", "PUT", room, map[string]any{}, 422, "validation_failed"},
		{"chair", "PUT", room, map[string]any{"state": "closed"}, 422, "validation_failed"},
		{"chair", "PUT", room, map[string]any{"state": "open"}, 409, "invalid_state"},
		{"chair", "PUT", room, map[string]any{"state": true}, 422, "validation_failed"},
		{"secretary", "PUT", room, map[string]any{"state": "locked"}, 403, "forbidden"},
		{"delegate1", "PUT", room, map[string]any{"state": "ended"}, 403, "forbidden"},
		{"outsider", "PUT", room, map[string]any{"state": "locked"}, 404, "not_found"},
	} {
		st, code := w.status(t, c.who, c.method, c.path, c.body)
		if st != c.status || (c.code != "" && code != c.code) {
			t.Errorf("%s %s %v as %s: %d %s, want %d %s", c.method, c.path, c.body, c.who, st, code, c.status, c.code)
		}
	}
	if after := snapshot(); after != before {
		t.Fatalf("bad requests changed the session: events, audit, people, halls, room %v → %v", before, after)
	}

	// The chair lets the secretary moderate; then the secretary may, but
	// may not hand moderation on.
	w.do(t, "chair", "PUT", room, map[string]any{"secretary_moderates": true}, 204, nil)
	w.do(t, "secretary", "POST", mod, map[string]any{"action": "mute", "user_id": w.users["delegate3"]}, 204, nil)
	if st, _ := w.status(t, "secretary", "PUT", room, map[string]any{"secretary_moderates": false}); st != 403 {
		t.Errorf("the secretary changed who moderates: %d", st)
	}
	var snap struct {
		Room struct {
			State              string `json:"state"`
			SecretaryModerates bool   `json:"secretary_moderates"`
		} `json:"room"`
		People []struct {
			UserID  int64 `json:"user_id"`
			Muted   bool  `json:"muted"`
			Removed bool  `json:"removed"`
		} `json:"people"`
	}
	w.do(t, "delegate2", "GET", base+"/session", nil, 200, &snap)
	if snap.Room.State != "open" || !snap.Room.SecretaryModerates || len(snap.People) != 2 {
		t.Fatalf("snapshot room %+v people %+v", snap.Room, snap.People)
	}
	for _, p := range snap.People {
		if (p.UserID == d1) != p.Removed || (p.UserID == w.users["delegate3"]) != p.Muted {
			t.Errorf("snapshot person %+v", p)
		}
	}
}
