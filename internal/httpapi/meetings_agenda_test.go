package httpapi_test

import (
	"fmt"
	"testing"
)

// TestAgendaDuringSession: items are inserted, moved and removed while the
// meeting runs, every browser gets the new agenda, a started item cannot
// be removed, and another meeting's item cannot be put on screen.
func TestAgendaDuringSession(t *testing.T) {
	w := setupProvince(t)
	id, other := w.createMeeting(t), w.createMeeting(t)
	base := fmt.Sprintf("/api/v1/meetings/%d", id)
	w.do(t, "secretary", "PUT", fmt.Sprintf("%s/participants/%d", base, w.users["delegate1"]), map[string]any{"role": "delegate"}, 204, nil)
	var a, b, foreign struct {
		ID int64 `json:"id"`
	}
	w.do(t, "secretary", "POST", base+"/agenda", map[string]any{"title": "Mục A"}, 201, &a)
	w.do(t, "secretary", "POST", base+"/agenda", map[string]any{"title": "Mục B"}, 201, &b)
	w.do(t, "secretary", "POST", fmt.Sprintf("/api/v1/meetings/%d/agenda", other), map[string]any{"title": "Mục của cuộc họp khác"}, 201, &foreign)
	w.do(t, "secretary", "POST", base+"/publish", nil, 200, nil)
	w.do(t, "chair", "POST", base+"/session/open", nil, 204, nil)
	ws := w.connect(t, w.env, "delegate1", id, "")
	ws.next() // snapshot
	w.do(t, "chair", "PUT", base+"/session/current-item", map[string]any{"item_id": a.ID}, 204, nil)
	ws.waitEvent("item.started")
	if st, _ := w.status(t, "chair", "PUT", base+"/session/current-item", map[string]any{"item_id": foreign.ID}); st != 404 {
		t.Fatalf("another meeting's item on screen: %d", st)
	}
	if st, code := w.status(t, "chair", "PUT", base+"/session/current-item", map[string]any{"item_id": a.ID}); st != 409 || code != "invalid_state" {
		t.Fatalf("same item again: %d %s", st, code)
	}
	// Insert at the top during the session.
	var c struct {
		ID int64 `json:"id"`
	}
	w.do(t, "secretary", "POST", base+"/agenda", map[string]any{"title": "Mục chen", "position": 1}, 201, &c)
	d := ws.waitEvent("agenda.changed")
	items := d["agenda"].([]any)
	if len(items) != 3 || items[0].(map[string]any)["title"] != "Mục chen" {
		t.Fatalf("agenda after insert: %v", items)
	}
	if st, code := w.status(t, "secretary", "DELETE", fmt.Sprintf("%s/agenda/%d", base, a.ID), nil); st != 409 || code != "invalid_state" {
		t.Fatalf("remove the started item: %d %s", st, code)
	}
	w.do(t, "secretary", "DELETE", fmt.Sprintf("%s/agenda/%d", base, b.ID), nil, 204, nil)
	ws.waitEvent("agenda.changed")
	if st, _ := w.status(t, "secretary", "DELETE", fmt.Sprintf("%s/agenda/%d", base, foreign.ID), nil); st != 404 {
		t.Fatalf("remove another meeting's item through this one: %d", st)
	}
	var ag struct {
		Items []struct {
			ID       int64 `json:"id"`
			Position int   `json:"position"`
		} `json:"items"`
	}
	w.do(t, "delegate1", "GET", base+"/agenda", nil, 200, &ag)
	if len(ag.Items) != 2 || ag.Items[0].ID != c.ID || ag.Items[0].Position != 1 || ag.Items[1].ID != a.ID || ag.Items[1].Position != 2 {
		t.Fatalf("agenda: %+v", ag.Items)
	}
	if n := w.env.Count(t, "agenda_items", "meeting_id = $1", other); n != 1 {
		t.Fatalf("the other meeting's agenda changed: %d", n)
	}
}
