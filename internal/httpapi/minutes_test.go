package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cau-gov/cau/internal/auth"
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
		if pdf := w.waitPDF(t, "delegate1", base+p); !strings.HasPrefix(string(pdf), "%PDF-") {
			t.Errorf("GET %s: %.20q", p, pdf)
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
	var detail struct {
		People map[string]string `json:"people"`
	}
	w.do(t, "delegate2", "GET", tpath, nil, 200, &detail)
	if detail.People[fmt.Sprint(w.users["chair"])] == "" || detail.People[fmt.Sprint(w.users["delegate2"])] == "" || len(detail.People) != 2 {
		t.Errorf("task names its assigner and reporter: %v", detail.People)
	}
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

// waitPDF GETs an approved PDF, waiting while the distribution job is
// still storing it (503 pdf_pending), and returns its bytes.
func (w *province) waitPDF(t *testing.T, who, path string) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, b := w.env.Do(t, "GET", path, w.tokens[who], nil)
		if st == 200 {
			return b
		}
		if st != 503 || time.Now().After(deadline) {
			t.Fatalf("GET %s as %s: %d %s", path, who, st, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestConclusionNoticeHTTP: conclusions name units and give tasks; the
// chair's approval queues the distribution job on the real worker, which
// stores the PDFs and sends the notice to every concerned unit's users
// (in the app and through the SMTP sink) exactly once, even when the job
// runs a second time; units not concerned get nothing; the stored PDF is
// served byte for byte, to the concerned units too.
func TestConclusionNoticeHTTP(t *testing.T) {
	w := setupProvince(t)
	env := w.env
	ctx := context.Background()
	id := w.createMeeting(t)
	base := fmt.Sprintf("/api/v1/meetings/%d", id)
	w.do(t, "secretary", "PUT", fmt.Sprintf("%s/participants/%d", base, w.users["delegate1"]), map[string]any{"role": "delegate"}, 204, nil)
	w.do(t, "secretary", "POST", base+"/publish", nil, 200, nil)
	w.do(t, "chair", "POST", base+"/session/open", nil, 204, nil)
	w.do(t, "chair", "POST", base+"/session/close", nil, 204, nil)

	// Two people in each of districts 2, 3 (concerned) and 4 (not).
	d2, d3, d4 := w.districts[1], w.districts[2], w.districts[3]
	for _, unit := range []int64{d2, d3, d4} {
		for i := range 2 {
			name := fmt.Sprintf("can-bo-%d-%d", unit, i)
			w.users[name] = env.User(t, unit, name, pw)
			w.tokens[name], _ = env.Login(t, name, pw)
		}
	}
	var m minutes.Minutes
	w.do(t, "secretary", "POST", base+"/minutes", nil, 201, &m)
	b := m.Body
	b.Conclusions = []minutes.Conclusion{
		{Number: 1, Text: "Giao UBND huyện 2 rà soát hạ tầng điểm cầu cấp xã.", UnitIDs: []auth.UnitID{auth.UnitID(d2)}},
		{Number: 2, Text: "Giao UBND huyện 3 chủ trì, phối hợp UBND huyện 2 lập kế hoạch đào tạo kỹ thuật viên."},
	}
	for _, bad := range [][]auth.UnitID{{999999}, {auth.UnitID(d2), auth.UnitID(d2)}, {-1}} {
		bb := b
		bb.Conclusions = append([]minutes.Conclusion(nil), b.Conclusions...)
		bb.Conclusions[1].UnitIDs = bad
		st, body := env.Do(t, "PUT", base+"/minutes", w.tokens["secretary"], map[string]any{"version": 1, "body": bb})
		if st != 422 || !strings.Contains(string(body), "conclusions[1].unit_ids") {
			t.Errorf("units %v: %d %s", bad, st, body)
		}
	}
	w.do(t, "secretary", "PUT", base+"/minutes", map[string]any{"version": 1, "body": b}, 200, &m)
	if m.Version != 2 {
		t.Fatalf("refused saves changed the version: %d", m.Version)
	}
	deadline := task.DayOf(time.Now()).AddDays(30).String()
	w.do(t, "chair", "POST", base+"/minutes/conclusions/2/tasks", map[string]any{"tasks": []any{map[string]any{
		"title": "Lập kế hoạch đào tạo kỹ thuật viên", "lead_unit_id": d3, "coordinating_unit_ids": []int64{d2}, "deadline": deadline}}}, 201, nil)

	// The draft notice previews the units; nobody outside the meeting reads it.
	st, draft := env.Do(t, "GET", base+"/minutes/notice/pdf", w.tokens["secretary"], nil)
	if st != 200 || !strings.HasPrefix(string(draft), "%PDF-") {
		t.Fatalf("draft notice: %d", st)
	}
	if st, _ := w.status(t, fmt.Sprintf("can-bo-%d-0", d2), "GET", base+"/minutes/notice/pdf", nil); st != 404 {
		t.Errorf("a unit reads the draft notice: %d", st)
	}
	if st, _ := w.status(t, fmt.Sprintf("can-bo-%d-0", d2), "GET", base+"/minutes/notice", nil); st != 404 {
		t.Errorf("a unit reads the draft notice's page: %d", st)
	}
	if st, _ := w.status(t, "secretary", "GET", base+"/minutes/notice", nil); st != 409 {
		t.Errorf("the draft notice's page for the secretary: %d, want 409 minutes_not_approved", st)
	}

	w.do(t, "chair", "POST", base+"/minutes/approve", map[string]any{"version": 2}, 200, &m)
	if len(m.NoticeUnits) != 2 || m.NoticeUnits[0].UnitID != auth.UnitID(d2) || m.NoticeUnits[1].UnitID != auth.UnitID(d3) {
		t.Fatalf("notice units %+v", m.NoticeUnits)
	}

	// The worker distributes; the concerned unit's user reads the notice.
	reader := fmt.Sprintf("can-bo-%d-0", d2)
	pdf1 := w.waitPDF(t, reader, base+"/minutes/notice/pdf")
	pdf2 := w.waitPDF(t, reader, base+"/minutes/notice/pdf")
	if !bytes.Equal(pdf1, pdf2) {
		t.Error("two GETs of the approved notice differ")
	}
	w.do(t, "chair", "GET", base+"/minutes", nil, 200, &m)
	f, ok := m.File(minutes.FileNotice)
	if sum := sha256.Sum256(pdf1); !ok || hex.EncodeToString(sum[:]) != f.SHA256 {
		t.Errorf("served notice does not match the stored SHA-256 %q", f.SHA256)
	}
	if st, _ := w.status(t, reader, "GET", base+"/minutes/pdf", nil); st != 404 {
		t.Errorf("a concerned unit reads the minutes: %d", st)
	}
	if st, _ := w.status(t, fmt.Sprintf("can-bo-%d-0", d4), "GET", base+"/minutes/notice/pdf", nil); st != 404 {
		t.Errorf("a unit not concerned reads the notice: %d", st)
	}
	// The notice page as the unit reads it: the conclusions naming it or
	// giving it a task (1 and 2 for district 2), none other.
	var page minutes.Notice
	w.do(t, reader, "GET", base+"/minutes/notice", nil, 200, &page)
	if page.Symbol != "1/TB-UBND" || page.Participant || len(page.Units) != 1 || page.Units[0].UnitID != auth.UnitID(d2) ||
		len(page.Conclusions) != 2 || page.Conclusions[0].Number != 1 || page.Conclusions[1].Number != 2 || page.File == nil || page.File.SHA256 != f.SHA256 {
		t.Errorf("the unit's notice page: %+v", page)
	}
	if st, _ := w.status(t, fmt.Sprintf("can-bo-%d-0", d4), "GET", base+"/minutes/notice", nil); st != 404 {
		t.Errorf("a unit not concerned reads the notice page: %d", st)
	}

	// The job runs a second time through the queue (as a retry or a
	// restart would): nothing more is sent.
	inspector := asynq.NewInspector(mustRedisOpt(t, env.Config.RedisURL))
	defer inspector.Close()
	taskID := fmt.Sprintf("%s:%d", minutes.TypeDistribute, id)
	waitCompleted := func() {
		t.Helper()
		for end := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			info, err := inspector.GetTaskInfo("default", taskID)
			if err == nil && info.State == asynq.TaskStateCompleted {
				return
			}
			if time.Now().After(end) {
				t.Fatalf("distribution job not completed: %+v %v", info, err)
			}
		}
	}
	waitCompleted()
	if err := inspector.DeleteTask("default", taskID); err != nil {
		t.Fatal(err)
	}
	if err := minutes.AsynqEnqueue(env.App.Jobs)(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitCompleted()

	// The four users of districts 2 and 3 get one notice each; nobody else
	// (district 4, the participants, delegate2 and the operator of district 1).
	want := map[int64]bool{}
	for _, unit := range []int64{d2, d3} {
		for i := range 2 {
			want[w.users[fmt.Sprintf("can-bo-%d-%d", unit, i)]] = true
		}
	}
	if n := env.Count(t, "notifications", "kind = 'minutes.notice'"); n != len(want) {
		t.Errorf("%d in-app notices, want %d", n, len(want))
	}
	for uid := range want {
		if n := env.Count(t, "notifications", "kind = 'minutes.notice' AND user_id = $1", uid); n != 1 {
			t.Errorf("user %d: %d in-app notices, want 1", uid, n)
		}
	}
	notices := func() map[string]int {
		got := map[string]int{}
		for _, msg := range w.sink.Messages() {
			if strings.Contains(msg.Data, fmt.Sprintf("Message-ID: <minutes.notice.%d.", id)) {
				for _, to := range msg.To {
					got[to]++
				}
			}
		}
		return got
	}
	for end := time.Now().Add(20 * time.Second); len(notices()) < len(want) && time.Now().Before(end); {
		w.sink.WaitFor(len(w.sink.Messages())+1, time.Second)
	}
	// Let any duplicate arrive before counting: every outbox row is sent.
	for end := time.Now().Add(20 * time.Second); env.Count(t, "email_outbox", "sent_at IS NULL") > 0 && time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
	}
	got := notices()
	if len(got) != len(want) {
		t.Errorf("notice e-mails went to %v, want the %d users of districts 2 and 3", got, len(want))
	}
	link := fmt.Sprintf("%s/meetings/%d/minutes", strings.TrimSuffix(env.Config.HTTP.PublicURL, "/"), id)
	for _, msg := range w.sink.Messages() {
		if strings.Contains(msg.Data, fmt.Sprintf("Message-ID: <minutes.notice.%d.", id)) && !strings.Contains(msg.Data, link) {
			t.Errorf("a notice e-mail lacks the link %s:\n%s", link, msg.Data)
			break
		}
	}
	for uid := range want {
		var email string
		_ = env.App.DB.Pool.QueryRow(ctx, `SELECT email FROM users WHERE id = $1`, uid).Scan(&email)
		if got[email] != 1 {
			t.Errorf("%s: %d notice e-mails, want 1", email, got[email])
		}
	}
	if n := env.Count(t, "audit_log", "action = 'minutes.distribute' AND object_id = $1", fmt.Sprint(id)); n != 1 {
		t.Errorf("%d distribution audit rows, want 1", n)
	}
	var notes struct {
		Notifications []struct {
			Kind  string `json:"kind"`
			Title string `json:"title"`
		} `json:"notifications"`
	}
	w.do(t, reader, "GET", "/api/v1/notifications", nil, 200, &notes)
	if len(notes.Notifications) != 1 || notes.Notifications[0].Kind != "minutes.notice" || !strings.Contains(notes.Notifications[0].Title, "1/TB-UBND") {
		t.Errorf("the unit user's notices: %+v", notes.Notifications)
	}
}

func mustRedisOpt(t *testing.T, url string) asynq.RedisConnOpt {
	t.Helper()
	opt, err := asynq.ParseRedisURI(url)
	if err != nil {
		t.Fatal(err)
	}
	return opt
}
