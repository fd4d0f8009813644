package httpapi_test

import (
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/auth"
)

// TestMeetingRescheduleAndCancelNotify: a time change of a published
// meeting notifies every invitee once more (a title-only edit does not);
// cancelling notifies again; cancelling twice is refused.
func TestMeetingRescheduleAndCancelNotify(t *testing.T) {
	w := setupProvince(t)
	env := w.env
	id := w.createMeeting(t)
	base := fmt.Sprintf("/api/v1/meetings/%d", id)
	w.do(t, "secretary", "PUT", fmt.Sprintf("%s/participants/%d", base, w.users["delegate1"]), map[string]any{"role": "delegate"}, 204, nil)
	// Editing a draft notifies nobody.
	start := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	edit := map[string]any{"kind": "regular", "title": "Họp thường kỳ tháng 11", "starts_at": start, "ends_at": start.Add(2 * time.Hour)}
	w.do(t, "secretary", "PATCH", base, edit, 200, nil)
	if n := env.Count(t, "notifications", ""); n != 0 {
		t.Fatalf("notices for a draft: %d", n)
	}
	w.do(t, "secretary", "POST", base+"/publish", nil, 200, nil) // secretary, chair, delegate1
	edit["title"] = "Họp thường kỳ tháng 11 (bổ sung)"
	w.do(t, "secretary", "PATCH", base, edit, 200, nil)
	if n := env.Count(t, "notifications", ""); n != 3 {
		t.Fatalf("a title edit notified: %d notices", n)
	}
	edit["starts_at"], edit["ends_at"] = start.Add(time.Hour), start.Add(3*time.Hour)
	w.do(t, "secretary", "PATCH", base, edit, 200, nil)
	if n := env.Count(t, "notifications", "kind = 'meeting.rescheduled'"); n != 3 {
		t.Fatalf("reschedule notices: %d, want 3", n)
	}
	// Bad edits change nothing.
	bad := map[string]any{"kind": "regular", "title": "x", "starts_at": start, "ends_at": start.Add(-time.Hour)}
	if st, _ := w.status(t, "secretary", "PATCH", base, bad); st != 422 {
		t.Fatalf("ends before it starts: %d", st)
	}
	w.do(t, "secretary", "POST", base+"/cancel", map[string]any{"reason": "Trùng lịch làm việc với Trung ương"}, 200, nil)
	if st, code := w.status(t, "secretary", "POST", base+"/cancel", nil); st != 409 || code != "invalid_state" {
		t.Fatalf("cancel twice: %d %s", st, code)
	}
	if st, code := w.status(t, "secretary", "PATCH", base, edit); st != 409 || code != "invalid_state" {
		t.Fatalf("edit a cancelled meeting: %d %s", st, code)
	}
	// Cancelled: out of the upcoming list, in its own.
	var list struct {
		Meetings []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"meetings"`
	}
	for when, want := range map[string]int{"upcoming": 0, "today": 0, "cancelled": 1, "all": 1} {
		w.do(t, "delegate1", "GET", "/api/v1/meetings?when="+when, nil, 200, &list)
		if len(list.Meetings) != want || (want == 1 && (list.Meetings[0].ID != id || list.Meetings[0].Status != "cancelled")) {
			t.Errorf("delegate1's %s meetings after the cancellation: %+v, want %d", when, list.Meetings, want)
		}
	}
	if n := env.Count(t, "notifications", ""); n != 9 {
		t.Fatalf("notices: %d, want 9 (3 people × invited, rescheduled, cancelled)", n)
	}
	msgs := w.sink.WaitFor(9, 20*time.Second)
	if len(msgs) != 9 {
		t.Fatalf("e-mails: %d, want 9", len(msgs))
	}
	// The reason the secretary typed is in every cancellation e-mail and
	// notice, after the time and place and before the link.
	const reason = "Lý do: Trùng lịch làm việc với Trung ương"
	var cancelled int
	for _, m := range msgs {
		msg, err := mail.ReadMessage(strings.NewReader(m.Data))
		if err != nil {
			t.Fatalf("e-mail: %v", err)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil {
			t.Fatalf("e-mail body: %v", err)
		}
		text := string(body)
		if !strings.Contains(text, "Trùng lịch") {
			continue
		}
		cancelled++
		if r, l := strings.Index(text, reason), strings.Index(text, "Xem chi tiết"); r < 0 || l < r {
			t.Errorf("cancellation e-mail: the reason at %d, the link at %d:\n%s", r, l, text)
		}
	}
	if cancelled != 3 {
		t.Fatalf("cancellation e-mails with the reason: %d", cancelled)
	}
	var bell struct {
		Notifications []struct {
			Kind string `json:"kind"`
			Body string `json:"body"`
		} `json:"notifications"`
	}
	w.do(t, "delegate1", "GET", "/api/v1/notifications", nil, 200, &bell)
	var told bool
	for _, n := range bell.Notifications {
		if n.Kind == "meeting.cancelled" {
			// Title, time, the reason, the link: this meeting has no place,
			// and says none (no empty "Địa điểm:" line).
			lines := strings.Split(n.Body, "\n")
			told = len(lines) == 4 && strings.HasPrefix(lines[1], "Thời gian: ") && lines[2] == reason && strings.HasPrefix(lines[3], "Xem chi tiết")
			if !told {
				t.Errorf("the cancellation notice's body: %q", n.Body)
			}
		}
	}
	if !told {
		t.Fatal("no cancellation notice for delegate1")
	}
	// Marking a notice read: one's own only.
	var notes struct {
		Notifications []struct {
			ID     int64   `json:"id"`
			ReadAt *string `json:"read_at"`
		} `json:"notifications"`
	}
	w.do(t, "delegate1", "GET", "/api/v1/notifications?unread=true", nil, 200, &notes)
	if len(notes.Notifications) != 3 {
		t.Fatalf("delegate's unread: %d", len(notes.Notifications))
	}
	nid := notes.Notifications[0].ID
	if st, _ := w.status(t, "chair", "POST", fmt.Sprintf("/api/v1/notifications/%d/read", nid), nil); st != 404 {
		t.Fatalf("reading another's notice: %d", st)
	}
	w.do(t, "delegate1", "POST", fmt.Sprintf("/api/v1/notifications/%d/read", nid), nil, 204, nil)
	w.do(t, "delegate1", "GET", "/api/v1/notifications?unread=true", nil, 200, &notes)
	if len(notes.Notifications) != 2 {
		t.Fatalf("unread after reading one: %d", len(notes.Notifications))
	}
}

// TestMeetingCreateScope: a secretary scoped to a district holds meetings
// of units in that district only; an unknown unit is a 422; neither
// creates anything.
func TestMeetingCreateScope(t *testing.T) {
	w := setupProvince(t)
	env := w.env
	d1, d2 := w.districts[0], w.districts[1]
	env.User(t, d1, "thu-ky-huyen", pw, apptest.ScopedGrant(auth.RoleSecretary, d1))
	tok, _ := env.Login(t, "thu-ky-huyen", pw)
	start := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	body := func(unit int64) map[string]any {
		return map[string]any{"kind": "briefing", "title": "Giao ban tuần", "starts_at": start, "ends_at": start.Add(time.Hour), "unit_id": unit}
	}
	env.DoJSON(t, "POST", "/api/v1/meetings", tok, body(d1), 201, nil)
	bad := body(d1)
	bad["chair_id"] = 999999
	if st, _ := env.Do(t, "POST", "/api/v1/meetings", tok, bad); st != 422 {
		t.Errorf("unknown chair: %d, want 422", st)
	}
	for unit, want := range map[int64]int{d2: 403, w.root: 403, 999999: 422} {
		if st, _ := env.Do(t, "POST", "/api/v1/meetings", tok, body(unit)); st != want {
			t.Errorf("unit %d: %d, want %d", unit, st, want)
		}
	}
	if n := env.Count(t, "meetings", ""); n != 1 {
		t.Fatalf("meetings: %d, want 1", n)
	}
}
