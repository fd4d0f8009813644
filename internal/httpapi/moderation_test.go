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
	env := apptest.New(t, append([]apptest.Option{func(c *config.Config) { c.RunWorker = false }}, opts...)...)
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
