package app_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/apptest"
)

// TestClusterRecordingForwarded: the chair's start and stop reach an
// api-only node, which records nothing; each is carried to the room's
// home node, which records there. Bad cases change nothing: a node that
// does not answer (the recording's node is gone) is a clear 503 and the
// recording still runs; a request pushed into a node's list without the
// node key's signature, or popped after its asker gave up, is dropped
// unanswered.
func TestClusterRecordingForwarded(t *testing.T) {
	p := setupProvince(t)
	ctx := context.Background()
	room := fmt.Sprintf("meeting-%d", p.w.id)
	hallClient(t, p.join(t, "op-province", p.provinceHall))
	waitHome(t, p, room, "sfu-province", 5*time.Second)

	type rec struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	var started rec
	p.w.do(t, "chair", "POST", p.w.base+"/recording/start", nil, 201, &started)
	if started.Status != "recording" {
		t.Fatalf("started: %+v", started)
	}
	node := func() string {
		t.Helper()
		var n, status string
		if err := p.api.App.DB.Pool.QueryRow(ctx, `SELECT node_id, status FROM recordings WHERE id = $1`, started.ID).Scan(&n, &status); err != nil {
			t.Fatal(err)
		}
		return n + " " + status
	}
	if got := node(); got != "sfu-province recording" {
		t.Fatalf("the recording runs on %q, want the home node sfu-province", got)
	}
	recording := func(env *apptest.Env) float64 { return relayMetric(t, env, "cau_sfu_recordings_active", "", "") }
	if recording(p.home) != 1 || recording(p.edge) != 0 {
		t.Fatalf("recordings on the home node %v, on the edge %v: want 1 and 0", recording(p.home), recording(p.edge))
	}
	st, b := p.api.Do(t, "POST", p.w.base+"/recording/start", p.w.tokens["chair"], nil)
	if st != 409 || !strings.Contains(string(b), "already_recording") {
		t.Errorf("a second start: %d %s, want 409 already_recording", st, b)
	}

	// A forged request: no answer, and nothing stops.
	forged, _ := json.Marshal(map[string]any{"body": map[string]any{"op": "stop", "meeting": p.w.id,
		"principal": map[string]any{"UserID": p.w.users["chair"]}, "reply": "cau:recording:reply:forged",
		"expires": time.Now().Add(time.Minute)}, "sig": []byte("not a signature")})
	if err := p.api.App.Redis.RPush(ctx, "cau:recording:requests:sfu-province", forged).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.api.App.Redis.BLPop(ctx, 1500*time.Millisecond, "cau:recording:reply:forged").Result(); err == nil {
		t.Error("a request without the node key's signature was answered")
	}
	if got := node(); got != "sfu-province recording" {
		t.Fatalf("after a forged stop the recording is %q", got)
	}

	// Signed with the node key: answered while its asker waits (a start,
	// refused as the recording runs), dropped unanswered once the asker
	// has given up (a stop popped after its expiry), and nothing stops.
	signed := func(op, reply string, expires time.Time) string {
		body, _ := json.Marshal(map[string]any{"op": op, "meeting": p.w.id,
			"principal": map[string]any{"UserID": p.w.users["chair"]}, "reply": reply, "expires": expires})
		req, _ := json.Marshal(map[string]any{"body": json.RawMessage(body), "sig": ed25519.Sign(p.api.App.NodeKey, body)})
		return string(req)
	}
	for _, c := range []struct {
		op, reply string
		expires   time.Time
		answered  bool
	}{
		{"start", "cau:recording:reply:signed", time.Now().Add(time.Minute), true},
		{"stop", "cau:recording:reply:expired", time.Now().Add(-time.Second), false},
	} {
		if err := p.api.App.Redis.RPush(ctx, "cau:recording:requests:sfu-province", signed(c.op, c.reply, c.expires)).Err(); err != nil {
			t.Fatal(err)
		}
		_, err := p.api.App.Redis.BLPop(ctx, 1500*time.Millisecond, c.reply).Result()
		if answered := err == nil; answered != c.answered {
			t.Errorf("a signed %s expiring %v: answered %v, want %v (%v)", c.op, c.expires.Format(time.TimeOnly), answered, c.answered, err)
		}
	}
	if got := node(); got != "sfu-province recording" {
		t.Fatalf("after an expired stop the recording is %q", got)
	}

	// The recording's node gone (its row names a node nobody serves):
	// 503, and nothing changes.
	if _, err := p.api.App.DB.Pool.Exec(ctx, `UPDATE recordings SET node_id = 'sfu-gone' WHERE id = $1`, started.ID); err != nil {
		t.Fatal(err)
	}
	st, b = p.api.Do(t, "POST", p.w.base+"/recording/stop", p.w.tokens["chair"], nil)
	if st != 503 || !strings.Contains(string(b), "recording_unavailable") {
		t.Errorf("stop of a recording whose node is gone: %d %s, want 503 recording_unavailable", st, b)
	}
	if got := node(); got != "sfu-gone recording" {
		t.Fatalf("after a stop nobody answered the recording is %q", got)
	}
	if _, err := p.api.App.DB.Pool.Exec(ctx, `UPDATE recordings SET node_id = 'sfu-province' WHERE id = $1`, started.ID); err != nil {
		t.Fatal(err)
	}

	var stopped rec
	p.w.do(t, "chair", "POST", p.w.base+"/recording/stop", nil, 200, &stopped)
	if stopped.ID != started.ID || stopped.Status == "recording" {
		t.Errorf("stopped: %+v", stopped)
	}
	if recording(p.home) != 0 {
		t.Error("the home node's SFU still records after the stop")
	}
	if got := node(); strings.HasSuffix(got, " recording") {
		t.Errorf("after the stop the recording is %q", got)
	}
	// Who stopped it is the chair, as if asked on the home node.
	var by int64
	if err := p.api.App.DB.Pool.QueryRow(ctx, `SELECT stopped_by FROM recordings WHERE id = $1`, started.ID).Scan(&by); err != nil || by != p.w.users["chair"] {
		t.Errorf("stopped_by %d (%v), want the chair %d", by, err, p.w.users["chair"])
	}
}
