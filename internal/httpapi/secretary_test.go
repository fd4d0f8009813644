package httpapi_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/document/doctest"
)

// TestPublishNeedsChair: a meeting without a chair is refused publication
// with chair_required (nobody could run its session or approve its
// minutes), stays a draft and notifies nobody; once a chair is named it
// publishes.
func TestPublishNeedsChair(t *testing.T) {
	w := setupProvince(t)
	start := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	var m struct {
		ID int64 `json:"id"`
	}
	w.do(t, "secretary", "POST", "/api/v1/meetings", map[string]any{
		"kind": "regular", "title": "Họp chưa có chủ trì", "starts_at": start, "ends_at": start.Add(time.Hour),
	}, http.StatusCreated, &m)
	base := fmt.Sprintf("/api/v1/meetings/%d", m.ID)
	w.do(t, "secretary", "PUT", fmt.Sprintf("%s/participants/%d", base, w.users["delegate1"]), map[string]any{"role": "delegate"}, 204, nil)
	if st, code := w.status(t, "secretary", "POST", base+"/publish", nil); st != http.StatusConflict || code != "chair_required" {
		t.Fatalf("publish without a chair: %d %s, want 409 chair_required", st, code)
	}
	var got struct {
		Meeting struct{ Status string } `json:"meeting"`
	}
	w.do(t, "secretary", "GET", base, nil, 200, &got)
	if got.Meeting.Status != "draft" || w.env.Count(t, "notifications", "meeting_id = $1", m.ID) != 0 {
		t.Fatalf("a refused publication changed something: status %q, %d notices", got.Meeting.Status, w.env.Count(t, "notifications", "meeting_id = $1", m.ID))
	}
	w.do(t, "secretary", "PUT", fmt.Sprintf("%s/participants/%d", base, w.users["chair"]), map[string]any{"role": "chair"}, 204, nil)
	w.do(t, "secretary", "POST", base+"/publish", nil, 200, nil)
}

// TestDocumentAddedAfterPublication: a document uploaded to a published
// meeting reaches its invitees in the app (with a link to the document) and
// by e-mail, once each; a confidential one only the people named on it;
// documents of a draft notify nobody (the invitation will).
func TestDocumentAddedAfterPublication(t *testing.T) {
	w := setupProvince(t)
	id := w.createMeeting(t)
	base := fmt.Sprintf("/api/v1/meetings/%d", id)
	for _, who := range []string{"delegate1", "delegate2"} {
		w.do(t, "secretary", "PUT", fmt.Sprintf("%s/participants/%d", base, w.users[who]), map[string]any{"role": "delegate"}, 204, nil)
	}
	upload := func(title string, fields ...[2]string) int64 {
		t.Helper()
		st, body := docUpload(t, w.env, base+"/documents", w.tokens["secretary"], append([][2]string{{"title", title}}, fields...), title+".pdf", doctest.PDF(title))
		if st != http.StatusCreated {
			t.Fatalf("upload %s: %d %s", title, st, body)
		}
		return docDecode[docJSON](t, body).ID
	}
	upload("Tài liệu trước khi phát hành")
	if n := w.env.Count(t, "notifications", "kind = 'document.added'"); n != 0 {
		t.Fatalf("a draft's document notified %d people", n)
	}
	w.do(t, "secretary", "POST", base+"/publish", nil, 200, nil)

	doc := upload("Báo cáo bổ sung")
	// Secretary, chair, delegate1, delegate2: the meeting's people.
	if n := w.env.Count(t, "notifications", "kind = 'document.added' AND link = $1", fmt.Sprintf("/documents/%d", doc)); n != 4 {
		t.Fatalf("notices of the added document: %d, want 4", n)
	}
	if n := w.env.Count(t, "email_outbox", "dedup_key LIKE $1", fmt.Sprintf("document:%d:added:%%", doc)); n != 4 {
		t.Fatalf("e-mails of the added document: %d, want 4", n)
	}
	// The invitations and these four leave through the SMTP sink.
	if msgs := w.sink.WaitFor(8, 20*time.Second); len(msgs) < 8 {
		t.Fatalf("e-mails sent: %d, want 8", len(msgs))
	}

	secret := upload("Tài liệu mật", [2]string{"confidential", "true"}, [2]string{"allowed_user_ids", fmt.Sprint(w.users["delegate1"])})
	var who []int64
	rows, err := w.env.App.DB.Pool.Query(context.Background(), `SELECT user_id FROM notifications WHERE link = $1`, fmt.Sprintf("/documents/%d", secret))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var u int64
		_ = rows.Scan(&u)
		who = append(who, u)
	}
	if rows.Err() != nil || len(who) != 1 || who[0] != w.users["delegate1"] {
		t.Fatalf("confidential document notified %v, want only delegate1 (%d)", who, w.users["delegate1"])
	}
}

// TestNotificationBell: the list carries the unread count and each notice's
// link; the stream sends the count at once and again when a notice arrives
// or is read (PostgreSQL NOTIFY through the bell); read-all empties it.
func TestNotificationBell(t *testing.T) {
	w := setupProvince(t)
	id := w.createMeeting(t)
	base := fmt.Sprintf("/api/v1/meetings/%d", id)
	w.do(t, "secretary", "PUT", fmt.Sprintf("%s/participants/%d", base, w.users["delegate1"]), map[string]any{"role": "delegate"}, 204, nil)

	req, _ := http.NewRequest("GET", w.env.URL+"/api/v1/notifications/stream", nil)
	req.Header.Set("Authorization", "Bearer "+w.tokens["delegate1"])
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	counts := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				counts <- d
			}
		}
		close(counts)
	}()
	next := func(want string) {
		t.Helper()
		select {
		case got := <-counts:
			if got != want {
				t.Fatalf("stream sent %s, want %s", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("stream sent nothing within 10 s, want %s", want)
		}
	}
	next(`{"unread":0}`)
	w.do(t, "secretary", "POST", base+"/publish", nil, 200, nil)
	next(`{"unread":1}`)

	var list struct {
		Notifications []struct {
			ID     int64
			Kind   string
			Link   string
			ReadAt *time.Time `json:"read_at"`
		}
		Unread int
	}
	w.do(t, "delegate1", "GET", "/api/v1/notifications", nil, 200, &list)
	if list.Unread != 1 || len(list.Notifications) != 1 || list.Notifications[0].Link != fmt.Sprintf("/meetings/%d", id) {
		t.Fatalf("list: %+v", list)
	}
	w.do(t, "delegate1", "POST", fmt.Sprintf("/api/v1/notifications/%d/read", list.Notifications[0].ID), nil, 204, nil)
	next(`{"unread":0}`)
	// Someone else's notice is not theirs to mark.
	if st, _ := w.status(t, "delegate2", "POST", fmt.Sprintf("/api/v1/notifications/%d/read", list.Notifications[0].ID), nil); st != 404 {
		t.Fatalf("marking another's notice: %d, want 404", st)
	}

	docUpload(t, w.env, base+"/documents", w.tokens["secretary"], [][2]string{{"title", "Tờ trình"}}, "to-trinh.pdf", doctest.PDF("Tờ trình"))
	next(`{"unread":1}`)
	var all struct{ Marked int }
	w.do(t, "delegate1", "POST", "/api/v1/notifications/read-all", nil, 200, &all)
	if all.Marked != 1 {
		t.Fatalf("read-all marked %d, want 1", all.Marked)
	}
	next(`{"unread":0}`)
	w.do(t, "delegate1", "GET", "/api/v1/notifications?unread=true", nil, 200, &list)
	if list.Unread != 0 || len(list.Notifications) != 0 {
		t.Fatalf("after read-all: %+v", list)
	}
}

// TestPlannedStartAndRescheduleReason: an agenda item keeps its planned
// start; a published meeting moved with a reason tells the invitees why.
func TestPlannedStartAndRescheduleReason(t *testing.T) {
	w := setupProvince(t)
	id := w.createMeeting(t)
	base := fmt.Sprintf("/api/v1/meetings/%d", id)
	at := time.Now().Add(3 * time.Hour).UTC().Truncate(time.Minute)
	var item struct {
		PlannedAt *time.Time `json:"planned_at"`
	}
	w.do(t, "secretary", "POST", base+"/agenda", map[string]any{"title": "Khai mạc", "planned_at": at, "planned_minutes": 10}, 201, &item)
	if item.PlannedAt == nil || !item.PlannedAt.Equal(at) {
		t.Fatalf("planned start: %v, want %v", item.PlannedAt, at)
	}
	var agenda struct {
		Items []struct {
			PlannedAt *time.Time `json:"planned_at"`
		} `json:"items"`
	}
	w.do(t, "secretary", "GET", base+"/agenda", nil, 200, &agenda)
	if len(agenda.Items) != 1 || agenda.Items[0].PlannedAt == nil || !agenda.Items[0].PlannedAt.Equal(at) {
		t.Fatalf("agenda: %+v", agenda)
	}
	w.do(t, "secretary", "POST", base+"/publish", nil, 200, nil)
	start := time.Now().Add(26 * time.Hour).UTC().Truncate(time.Second)
	w.do(t, "secretary", "PATCH", base, map[string]any{"kind": "regular", "title": "Họp thường kỳ", "starts_at": start,
		"ends_at": start.Add(2 * time.Hour), "reason": "Trùng lịch tiếp công dân định kỳ"}, 200, nil)
	if n := w.env.Count(t, "notifications", "kind = 'meeting.rescheduled' AND body LIKE '%Lý do: Trùng lịch tiếp công dân định kỳ%'"); n == 0 {
		t.Fatal("the rescheduling notice does not say why")
	}
}
