package httpapi_test

import (
	"fmt"
	"testing"
	"time"
)

// TestMeetingAuthorization is the matrix of who may do what: account and
// meeting role × endpoint × invited or not. A refused request changes
// nothing (the meeting's events, agenda and invitations are counted).
func TestMeetingAuthorization(t *testing.T) {
	w := setupProvince(t)
	env := w.env
	// pub: published; live: in session. Both invite the same people and hall d1.
	pub, live := w.createMeeting(t), w.createMeeting(t)
	for _, id := range []int64{pub, live} {
		base := fmt.Sprintf("/api/v1/meetings/%d", id)
		w.do(t, "secretary", "POST", base+"/halls", map[string]any{"hall_ids": []int64{w.halls["d1"]}}, 200, nil)
		w.do(t, "secretary", "PUT", fmt.Sprintf("%s/participants/%d", base, w.users["delegate1"]), map[string]any{"role": "delegate"}, 204, nil)
		w.do(t, "secretary", "PUT", fmt.Sprintf("%s/participants/%d", base, w.users["observer"]), map[string]any{"role": "observer"}, 204, nil)
		w.do(t, "secretary", "POST", base+"/agenda", map[string]any{"title": "Nội dung 1"}, 201, nil)
		w.do(t, "secretary", "POST", base+"/publish", nil, 200, nil)
	}
	w.do(t, "chair", "POST", fmt.Sprintf("/api/v1/meetings/%d/session/open", live), nil, 204, nil)
	start := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	// The first createMeeting's time (to the second) does not matter: PATCH sets it again.
	patch := map[string]any{"kind": "province_online", "title": "Hội nghị (sửa)", "starts_at": start, "ends_at": start.Add(time.Hour)}

	P := fmt.Sprintf("/api/v1/meetings/%d", pub)
	L := fmt.Sprintf("/api/v1/meetings/%d", live)
	who := []string{"secretary", "chair", "delegate1", "observer", "operator", "outsider", "admin"}
	cases := []struct {
		name, method, path string
		body               any
		want               []int // per who, in order
	}{
		{"get meeting", "GET", P, nil, []int{200, 200, 200, 200, 200, 404, 200}},
		{"edit meeting", "PATCH", P, patch, []int{200, 200, 403, 403, 403, 404, 200}},
		{"invite halls", "POST", P + "/halls", map[string]any{"hall_ids": []int64{w.halls["d1"]}}, []int{200, 200, 403, 403, 403, 404, 200}},
		{"add item", "POST", P + "/agenda", map[string]any{"title": "Thêm"}, []int{201, 201, 403, 403, 403, 404, 201}},
		{"read agenda", "GET", P + "/agenda", nil, []int{200, 200, 200, 200, 200, 404, 200}},
		{"invitees", "GET", P + "/invitees", nil, []int{200, 200, 200, 200, 200, 404, 200}},
		{"join as myself", "POST", P + "/join", nil, []int{200, 200, 200, 200, 422, 404, 200}},
		{"join as hall d1", "POST", P + "/join", map[string]any{"hall_id": w.halls["d1"]}, []int{403, 403, 403, 403, 200, 404, 403}},
		{"cancel with a bad reason", "POST", P + "/cancel", map[string]any{"reason": string(make([]byte, 2000))}, []int{422, 422, 403, 403, 403, 404, 422}},
		{"open session (published)", "POST", L + "/session/open", nil, []int{409, 409, 403, 403, 403, 404, 409}},
		{"snapshot", "GET", L + "/session", nil, []int{200, 200, 200, 200, 200, 404, 200}},
		{"events", "GET", L + "/session/events?since=0", nil, []int{200, 200, 200, 200, 200, 404, 200}},
		{"clear current item", "PUT", L + "/session/current-item", map[string]any{"item_id": nil}, []int{204, 204, 403, 403, 403, 404, 204}},
		{"bad vote", "POST", L + "/session/votes", map[string]any{"question": ""}, []int{422, 422, 403, 403, 403, 404, 422}},
		{"grant unknown request", "POST", L + "/session/speaking/999999/grant", nil, []int{404, 404, 403, 403, 403, 404, 404}},
		// Moderation is the chair's (the secretary's only when the chair allows it).
		{"mute hall", "POST", fmt.Sprintf("%s/session/halls/%d/mute", L, w.halls["d1"]), map[string]any{"muted": false}, []int{403, 204, 403, 403, 403, 404, 403}},
		{"moderate", "POST", L + "/session/moderation", map[string]any{"action": "unmute", "user_id": w.users["delegate1"]}, []int{403, 204, 403, 403, 403, 404, 403}},
		{"ask for the floor", "POST", L + "/session/speaking", nil, []int{201, 201, 201, 403, 403, 404, 403}},
		{"ask for hall d1", "POST", L + "/session/speaking", map[string]any{"hall_id": w.halls["d1"]}, []int{403, 403, 403, 403, 201, 404, 403}},
		{"check in at d1", "PUT", fmt.Sprintf("%s/session/attendance/%d", L, w.users["delegate1"]), map[string]any{"status": "in_hall", "hall_id": w.halls["d1"]}, []int{204, 204, 403, 403, 204, 404, 204}},
		{"ballot on unknown vote", "POST", L + "/session/votes/999999/ballot", map[string]any{"choice": "yes"}, []int{404, 404, 404, 404, 403, 404, 403}},
	}
	// The chair is a participant of both meetings (chair_id at creation).
	counts := func() [4]int {
		return [4]int{env.Count(t, "session_events", ""), env.Count(t, "agenda_items", ""),
			env.Count(t, "meeting_halls", ""), env.Count(t, "speaking_requests", "")}
	}
	for _, c := range cases {
		for i, u := range who {
			t.Run(c.name+"/"+u, func(t *testing.T) {
				before := counts()
				st, code := w.status(t, u, c.method, c.path, c.body)
				if st != c.want[i] {
					t.Fatalf("%s %s as %s: %d %s, want %d", c.method, c.path, u, st, code, c.want[i])
				}
				if st >= 400 && counts() != before {
					t.Fatalf("refused request changed something: %v → %v", before, counts())
				}
			})
		}
	}
	// Creating meetings: secretaries and admins only.
	for u, want := range map[string]int{"delegate1": 403, "chair": 403, "operator": 403, "admin": 201} {
		st, _ := w.status(t, u, "POST", "/api/v1/meetings", patch)
		if st != want {
			t.Errorf("create as %s: %d, want %d", u, st, want)
		}
	}
	if st, _ := w.status(t, "", "GET", P, nil); st != 401 {
		t.Errorf("anonymous: %d", st)
	}
	// The live socket: no token, a forged token, a non-invitee, a bad since.
	for _, c := range []struct {
		query string
		want  int
	}{
		{"", 401},
		{"access_token=forged.token.here", 401},
		{"access_token=" + w.tokens["outsider"], 404},
		{"access_token=" + w.tokens["delegate1"] + "&since=-1", 422},
	} {
		if st, _ := env.Do(t, "GET", L+"/live?"+c.query, "", nil); st != c.want {
			t.Errorf("live ?%.30s: %d, want %d", c.query, st, c.want)
		}
	}
}
