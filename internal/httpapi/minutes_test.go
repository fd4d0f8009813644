package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/minutes"
	"github.com/cau-gov/cau/internal/task"
)

// TestMinutesAndTasksHTTP runs a session through the meetings API, then
// drafts, edits (with a conflict), approves and exports the minutes, turns
// a conclusion into tasks and reads the dashboard and search.
func TestMinutesAndTasksHTTP(t *testing.T) {
	w := setupProvince(t)
	env := w.env
	ctx := context.Background()
	id := w.createMeeting(t)
	base := fmt.Sprintf("/api/v1/meetings/%d", id)
	w.do(t, "secretary", "POST", base+"/halls", map[string]any{"unit_id": w.districts[0], "include_descendants": true}, 200, nil)
	for who, role := range map[string]string{"delegate1": "delegate", "delegate2": "delegate", "presenter": "presenter"} {
		w.do(t, "secretary", "PUT", fmt.Sprintf("%s/participants/%d", base, w.users[who]), map[string]any{"role": role}, 204, nil)
	}
	var items [2]struct {
		ID int64 `json:"id"`
	}
	for i, title := range []string{"Báo cáo tiến độ chuyển đổi số", "Kế hoạch năm 2027"} {
		w.do(t, "secretary", "POST", base+"/agenda", map[string]any{"title": title, "presenter_user_id": w.users["presenter"]}, 201, &items[i])
	}
	w.do(t, "secretary", "POST", base+"/publish", nil, 200, nil)

	// The session, as the chair, the delegates and the SFU's roll call make it.
	now := time.Now()
	w.do(t, "chair", "POST", base+"/session/open", nil, 204, nil)
	mustOK(t, env.App.Meetings.HallConnected(ctx, meetingID(id), hallID(w.halls["d1"]), now))
	mustOK(t, env.App.Meetings.UserConnected(ctx, meetingID(id), userID(w.users["delegate1"]), now))
	w.do(t, "chair", "PUT", fmt.Sprintf("%s/session/attendance/%d", base, w.users["delegate2"]), map[string]any{"status": "absent"}, 204, nil)
	w.do(t, "chair", "PUT", base+"/session/current-item", map[string]any{"item_id": items[0].ID}, 204, nil)
	var req struct {
		RequestID int64 `json:"request_id"`
	}
	w.do(t, "delegate1", "POST", base+"/session/speaking", nil, 201, &req)
	w.do(t, "chair", "POST", fmt.Sprintf("%s/session/speaking/%d/grant", base, req.RequestID), nil, 204, nil)
	w.do(t, "chair", "POST", fmt.Sprintf("%s/session/speaking/%d/end", base, req.RequestID), nil, 204, nil)
	w.do(t, "chair", "PUT", base+"/session/current-item", map[string]any{"item_id": items[1].ID}, 204, nil)
	var vote struct {
		VoteID int64 `json:"vote_id"`
	}
	w.do(t, "chair", "POST", base+"/session/votes", map[string]any{"question": "Thông qua kế hoạch?"}, 201, &vote)
	w.do(t, "delegate1", "POST", fmt.Sprintf("%s/session/votes/%d/ballot", base, vote.VoteID), map[string]any{"choice": "yes"}, 204, nil)
	w.do(t, "chair", "POST", fmt.Sprintf("%s/session/votes/%d/close", base, vote.VoteID), nil, 204, nil)
	mustOK(t, env.App.Meetings.HallDisconnected(ctx, meetingID(id), hallID(w.halls["d1"]), now.Add(time.Minute)))
	w.do(t, "chair", "POST", base+"/session/close", nil, 204, nil)

	// Draft: only the organizers.
	if st, _ := w.status(t, "delegate1", "POST", base+"/minutes", nil); st != 403 {
		t.Fatalf("delegate drafts: %d", st)
	}
	var m minutes.Minutes
	w.do(t, "secretary", "POST", base+"/minutes", nil, 201, &m)
	if st, code := w.status(t, "secretary", "POST", base+"/minutes", nil); st != 409 || code != "minutes_exist" {
		t.Fatalf("second draft: %d %s", st, code)
	}
	b := m.Body
	present := 0
	for _, h := range b.Halls {
		if h.Present {
			present++
			if h.HallID != hallID(w.halls["d1"]) || h.Joined == nil || h.Left == nil {
				t.Errorf("present hall %+v: want d1 with join and leave times", h)
			}
		}
	}
	att := map[string]string{}
	for _, p := range b.People {
		att[p.Role+":"+fmt.Sprint(p.UserID)] = p.Attendance
	}
	if len(b.Halls) < 2 || present != 1 || att[fmt.Sprintf("delegate:%d", w.users["delegate1"])] != minutes.Present ||
		att[fmt.Sprintf("delegate:%d", w.users["delegate2"])] != minutes.AbsentNotice {
		t.Errorf("attendance: %d halls, %d present; people %v", len(b.Halls), present, att)
	}
	if len(b.Items) != 2 || b.Items[0].StartedAt == nil || b.Items[0].EndedAt == nil || len(b.Items[0].Speakers) != 1 ||
		len(b.Items[1].Votes) != 1 || b.Items[1].Votes[0].Counts["yes"] != 1 || b.Items[1].Votes[0].Ballots != 1 {
		t.Fatalf("items: %+v", b.Items)
	}

	// Two saves from version 1: the second is a conflict and changes nothing.
	b.Notes = "Bản sửa thứ nhất"
	w.do(t, "secretary", "PUT", base+"/minutes", map[string]any{"version": 1, "body": b}, 200, &m)
	b.Notes = "Bản sửa thứ hai"
	if st, code := w.status(t, "chair", "PUT", base+"/minutes", map[string]any{"version": 1, "body": b}); st != 409 || code != "version_conflict" {
		t.Fatalf("stale save: %d %s", st, code)
	}
	for _, bad := range []any{map[string]any{"body": b}, map[string]any{"version": 2}, map[string]any{"version": 2, "body": b, "extra": 1}, "[]"} {
		if st, _ := w.status(t, "secretary", "PUT", base+"/minutes", bad); st != 422 && st != 400 {
			t.Errorf("bad save %v: %d", bad, st)
		}
	}
	w.do(t, "secretary", "GET", base+"/minutes", nil, 200, &m)
	if m.Version != 2 || m.Body.Notes != "Bản sửa thứ nhất" {
		t.Fatalf("after conflicts: version %d notes %q", m.Version, m.Body.Notes)
	}

	b = m.Body
	b.Conclusions = []minutes.Conclusion{{Number: 1, Text: "Giao các huyện triển khai kế hoạch chuyển đổi số năm 2027."}}
	w.do(t, "secretary", "PUT", base+"/minutes", map[string]any{"version": 2, "body": b}, 200, &m)
	if st, _ := w.status(t, "secretary", "POST", base+"/minutes/approve", map[string]any{"version": 3}); st != 403 {
		t.Fatalf("secretary approves: %d", st)
	}
	w.do(t, "chair", "POST", base+"/minutes/approve", map[string]any{"version": 3}, 200, &m)
	if m.Status != "approved" || m.Symbol != "1/BB-UBND" || m.NoticeSymbol != "1/TB-UBND" || len(m.ContentHash) != 64 {
		t.Fatalf("approved: %+v", m)
	}
	if n := env.Count(t, "notifications", "kind = 'minutes.approved' AND user_id = $1", w.users["delegate1"]); n != 1 {
		t.Errorf("delegate1 has %d approval notices, want 1", n)
	}
	if st, code := w.status(t, "secretary", "PUT", base+"/minutes", map[string]any{"version": 3, "body": b}); st != 409 || code != "minutes_locked" {
		t.Fatalf("edit after approval: %d %s", st, code)
	}
	for _, p := range []string{"/minutes/pdf", "/minutes/notice/pdf"} {
		st, pdf := env.Do(t, "GET", base+p, w.tokens["delegate1"], nil)
		if st != 200 || !strings.HasPrefix(string(pdf), "%PDF-") {
			t.Errorf("GET %s: %d %.20q", p, st, pdf)
		}
	}
	if st, _ := w.status(t, "outsider", "GET", base+"/minutes", nil); st != 404 {
		t.Errorf("outsider reads the minutes: %d", st)
	}

	// One conclusion → two tasks; a bad one in the batch creates none.
	deadline := task.DayOf(time.Now()).AddDays(20).String()
	one := func(unit int64) map[string]any {
		return map[string]any{"title": "Triển khai kế hoạch chuyển đổi số", "lead_unit_id": unit, "deadline": deadline}
	}
	bad := one(w.districts[2])
	bad["deadline"] = "2020-01-01"
	if st, _ := w.status(t, "chair", "POST", base+"/minutes/conclusions/1/tasks", map[string]any{"tasks": []any{one(w.districts[0]), bad}}); st != 422 {
		t.Fatalf("batch with a past deadline: %d", st)
	}
	if st, _ := w.status(t, "chair", "POST", base+"/minutes/conclusions/2/tasks", map[string]any{"tasks": []any{one(w.districts[0])}}); st != 404 {
		t.Fatalf("no conclusion 2: %d", st)
	}
	if n := env.Count(t, "tasks", "true"); n != 0 {
		t.Fatalf("refused batches created %d tasks", n)
	}
	var created struct {
		Tasks []task.Task `json:"tasks"`
	}
	w.do(t, "chair", "POST", base+"/minutes/conclusions/1/tasks", map[string]any{"tasks": []any{one(w.districts[0]), one(w.districts[1])}}, 201, &created)
	if len(created.Tasks) != 2 || *created.Tasks[0].Source.Conclusion != 1 || created.Tasks[0].Source.Document != "1/BB-UBND" {
		t.Fatalf("created %+v", created.Tasks)
	}
	tpath := fmt.Sprintf("/api/v1/tasks/%d", created.Tasks[0].ID)
	w.do(t, "delegate2", "POST", tpath+"/reports", map[string]any{"body": "Đã ban hành kế hoạch", "percent": 50}, 201, nil)
	w.do(t, "delegate2", "GET", tpath, nil, 200, nil)
	if n := env.Count(t, "audit_log", "action = 'task.read' AND actor_id = $1", w.users["delegate2"]); n != 1 {
		t.Errorf("task reads audited: %d, want 1", n)
	}
	if st, _ := w.status(t, "delegate2", "POST", tpath+"/reports", map[string]any{"body": "x"}); st != 422 {
		t.Errorf("report without percent: %d", st)
	}
	// Units list their own tasks; a leader's mine=true is what they assigned.
	var listed struct {
		Tasks []task.Task `json:"tasks"`
	}
	w.do(t, "delegate2", "GET", "/api/v1/tasks", nil, 200, &listed)
	if len(listed.Tasks) != 1 || listed.Tasks[0].ID != created.Tasks[0].ID {
		t.Errorf("delegate2's unit lists %+v", listed.Tasks)
	}
	w.do(t, "chair", "GET", "/api/v1/tasks?mine=true", nil, 200, &listed)
	if len(listed.Tasks) != 2 {
		t.Errorf("chair's own tasks: %d, want 2", len(listed.Tasks))
	}
	if st, _ := w.status(t, "chair", "GET", "/api/v1/tasks?mine=yes", nil); st != 422 {
		t.Errorf("mine=yes: %d", st)
	}
	if st, _ := w.status(t, "chair", "GET", "/api/v1/tasks/abc", nil); st != 404 {
		t.Errorf("task id abc: %d", st)
	}

	var dash struct {
		Rows []task.Row `json:"rows"`
	}
	w.do(t, "chair", "GET", fmt.Sprintf("/api/v1/tasks/dashboard?meeting_id=%d", id), nil, 200, &dash)
	if len(dash.Rows) != 2 || dash.Rows[0].InProgress != 1 {
		t.Errorf("dashboard %+v", dash.Rows)
	}
	for _, q := range []string{"?by=hall", "?from=2026-13-01", "?limit=9999", "?unit_id=-1"} {
		if st, _ := w.status(t, "chair", "GET", "/api/v1/tasks/dashboard"+q, nil); st != 422 {
			t.Errorf("dashboard%s: %d", q, st)
		}
	}
	if st, _ := w.status(t, "delegate1", "GET", "/api/v1/tasks/dashboard", nil); st != 403 {
		t.Errorf("delegate dashboard: %d", st)
	}
	st, x := env.Do(t, "GET", "/api/v1/tasks/export?by=leader", w.tokens["chair"], nil)
	if st != 200 || !strings.HasPrefix(string(x), "PK") {
		t.Errorf("export: %d", st)
	}

	var found struct {
		Results []struct {
			Kind string `json:"kind"`
			ID   int64  `json:"id"`
		} `json:"results"`
	}
	w.do(t, "delegate1", "GET", "/api/v1/search?q=chuyen+doi+so", nil, 200, &found)
	kinds := map[string]int{}
	for _, r := range found.Results {
		kinds[r.Kind]++
	}
	if kinds["meeting"] != 1 {
		t.Errorf("search as a participant: %+v", found.Results)
	}
	if st, _ := w.status(t, "delegate1", "GET", "/api/v1/search?q=x", nil); st != 422 {
		t.Errorf("one-letter search: %d", st)
	}
	if st, _ := w.status(t, "delegate1", "GET", "/api/v1/search?q=ke+hoach&kind=hall", nil); st != 422 {
		t.Errorf("search kind hall: %d", st)
	}
}
