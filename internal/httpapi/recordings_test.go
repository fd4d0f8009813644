package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/jobs"
	"github.com/cau-gov/cau/internal/recording"
	"github.com/cau-gov/cau/internal/recording/recordingtest"
)

type recordingJSON struct {
	ID         int64               `json:"id"`
	MeetingID  int64               `json:"meeting_id"`
	Part       int                 `json:"part"`
	Status     string              `json:"status"`
	StartedAt  time.Time           `json:"started_at"`
	StopReason string              `json:"stop_reason"`
	Size       int64               `json:"size_bytes"`
	SHA256     string              `json:"sha256"`
	DurationMS int64               `json:"duration_ms"`
	Chapters   []recording.Chapter `json:"chapters"`
	Error      string              `json:"error"`
}

// TestRecordingArchive: the chair records a session through three agenda
// items, a floor grant and a vote; every participant sees it start and
// stop; bad commands change nothing; the finishing job archives the file
// (seekable, its length and SHA-256), the chapters sit at their events'
// times; a participant plays it through a signed link with Range requests
// (the last MiB against the whole file, timed); another meeting's
// delegate gets 404; every read leaves a receipt.
func TestRecordingArchive(t *testing.T) {
	w, id, base, rec := recordingRoom(t)
	ws := w.connect(t, w.env, "delegate1", id, "")
	var items []struct {
		ID int64 `json:"id"`
	}
	for _, title := range []string{"Báo cáo kinh tế – xã hội", "Kế hoạch chuyển đổi số", "Các vấn đề khác"} {
		var it struct {
			ID int64 `json:"id"`
		}
		w.do(t, "secretary", "POST", base+"/agenda", map[string]any{"title": title}, 201, &it)
		items = append(items, it)
	}
	w.do(t, "chair", "PUT", base+"/session/current-item", map[string]any{"item_id": items[0].ID}, 204, nil)

	// Refused before anything runs: nothing stored, nothing audited.
	noRecording := func(when string) {
		t.Helper()
		if n := w.env.Count(t, "recordings", "meeting_id = $1", id); n != 0 {
			t.Fatalf("%s: %d recordings stored", when, n)
		}
		if n := w.env.Count(t, "audit_log", "action LIKE 'recording.%'"); n != 0 {
			t.Fatalf("%s: %d recording audit entries", when, n)
		}
	}
	for _, c := range []struct {
		who, path string
		status    int
		code      string
	}{
		{"chair", "/recording/stop", 409, "not_recording"},
		{"delegate1", "/recording/start", 403, "forbidden"},
		{"observer", "/recording/start", 403, "forbidden"},
		{"outsider", "/recording/start", 404, "not_found"},
	} {
		if st, code := w.status(t, c.who, "POST", base+c.path, nil); st != c.status || code != c.code {
			t.Errorf("%s %s: %d %s, want %d %s", c.who, c.path, st, code, c.status, c.code)
		}
	}
	noRecording("refused commands")
	rec.Refuse = recording.ErrNoRoom
	if st, code := w.status(t, "chair", "POST", base+"/recording/start", nil); st != 409 || code != "no_call" {
		t.Errorf("start without a call: %d %s, want 409 no_call", st, code)
	}
	rec.Refuse = nil
	noRecording("start without a call")

	var started recordingJSON
	w.do(t, "chair", "POST", base+"/recording/start", nil, 201, &started)
	if started.Part != 1 || started.Status != "recording" {
		t.Fatalf("started %+v", started)
	}
	if ev := ws.waitEvent(recording.EventStarted); ev["recording_id"] != float64(started.ID) {
		t.Fatalf("recording.started %v", ev)
	}
	var snap struct {
		Recording *struct {
			ID int64 `json:"id"`
		} `json:"recording"`
	}
	w.do(t, "delegate2", "GET", base+"/session", nil, 200, &snap)
	if snap.Recording == nil || snap.Recording.ID != started.ID {
		t.Fatalf("snapshot recording %+v, want %d", snap.Recording, started.ID)
	}
	if st, code := w.status(t, "secretary", "POST", base+"/recording/start", nil); st != 409 || code != "already_recording" {
		t.Errorf("second start: %d %s, want 409 already_recording", st, code)
	}
	if n := w.env.Count(t, "recordings", "meeting_id = $1", id); n != 1 {
		t.Fatalf("%d recordings after a refused second start", n)
	}

	// The session moves: item 2, a floor grant, a vote, item 3.
	time.Sleep(300 * time.Millisecond)
	w.do(t, "chair", "PUT", base+"/session/current-item", map[string]any{"item_id": items[1].ID}, 204, nil)
	var req struct {
		ID int64 `json:"request_id"`
	}
	w.do(t, "delegate1", "POST", base+"/session/speaking", nil, 201, &req)
	time.Sleep(200 * time.Millisecond)
	w.do(t, "chair", "POST", fmt.Sprintf("%s/session/speaking/%d/grant", base, req.ID), nil, 204, nil)
	time.Sleep(200 * time.Millisecond)
	var vote struct {
		ID int64 `json:"vote_id"`
	}
	w.do(t, "chair", "POST", base+"/session/votes", map[string]any{"question": "Thông qua kế hoạch?"}, 201, &vote)
	w.do(t, "chair", "POST", fmt.Sprintf("%s/session/votes/%d/close", base, vote.ID), nil, 204, nil)
	time.Sleep(200 * time.Millisecond)
	w.do(t, "chair", "PUT", base+"/session/current-item", map[string]any{"item_id": items[2].ID}, 204, nil)

	if st, code := w.status(t, "delegate1", "POST", base+"/recording/stop", nil); st != 403 || code != "forbidden" {
		t.Errorf("delegate stop: %d %s, want 403 forbidden", st, code)
	}
	var stopped recordingJSON
	w.do(t, "secretary", "POST", base+"/recording/stop", nil, 200, &stopped)
	if stopped.StopReason != "stopped" || !rec.Last().Stopped() {
		t.Fatalf("stopped %+v (recorder stopped: %v)", stopped, rec.Last().Stopped())
	}
	ws.waitEvent(recording.EventStopped)
	if st, code := w.status(t, "chair", "POST", base+"/recording/stop", nil); st != 409 || code != "not_recording" {
		t.Errorf("second stop: %d %s, want 409 not_recording", st, code)
	}
	if n := w.env.Count(t, "audit_log", "action IN ('recording.start', 'recording.stop')"); n != 2 {
		t.Errorf("%d start/stop audit entries, want 2", n)
	}

	r := w.waitReady(t, "delegate1", started.ID)
	if d := r.DurationMS; d < 59400 || d > 60600 {
		t.Errorf("duration %d ms, want the source's 60 s within 1 %%", d)
	}
	if r.Size < 5<<20 || len(r.SHA256) != 64 {
		t.Fatalf("archived %d bytes, sha256 %q", r.Size, r.SHA256)
	}

	// Chapters: the item on screen at the start at 0, then item 2, the
	// grant, the vote and item 3, each at its event's time.
	var evs struct {
		Events []struct {
			Seq  int64     `json:"seq"`
			At   time.Time `json:"at"`
			Type string    `json:"type"`
		} `json:"events"`
	}
	w.do(t, "chair", "GET", base+"/session/events?since=0", nil, 200, &evs)
	want := map[string]string{"item.started": "item", "speaking.granted": "floor", "vote.opened": "vote"}
	var kinds []string
	for _, c := range r.Chapters {
		kinds = append(kinds, c.Kind)
	}
	if got := strings.Join(kinds, ","); got != "item,item,floor,vote,item" {
		t.Fatalf("chapters %s, want item,item,floor,vote,item", got)
	}
	if r.Chapters[0].AtMS != 0 || !strings.HasPrefix(r.Chapters[0].Title, "1. ") {
		t.Errorf("first chapter %+v, want item 1 at 0", r.Chapters[0])
	}
	for _, c := range r.Chapters[1:] {
		found := false
		for _, e := range evs.Events {
			if e.Seq != c.EventSeq {
				continue
			}
			found = true
			if want[e.Type] != c.Kind {
				t.Errorf("chapter %+v marks a %s", c, e.Type)
			}
			diff := time.Duration(c.AtMS)*time.Millisecond - e.At.Sub(started.StartedAt)
			if diff < -200*time.Millisecond || diff > 200*time.Millisecond {
				t.Errorf("chapter %q at %d ms, its event at %s: off by %s", c.Title, c.AtMS, e.At.Sub(started.StartedAt), diff)
			}
		}
		if !found {
			t.Errorf("chapter %+v names no event", c)
		}
	}
	resp, vtt, _ := w.get(t, "observer", fmt.Sprintf("/api/v1/recordings/%d/chapters.vtt", r.ID), nil)
	if resp.StatusCode != 200 || !bytes.HasPrefix(vtt, []byte("WEBVTT")) || !bytes.Contains(vtt, []byte("2. Kế hoạch chuyển đổi số")) {
		t.Fatalf("chapters.vtt: %d %s", resp.StatusCode, vtt)
	}

	// Play: a signed link, then Range requests without a token.
	var link recording.PlayLink
	w.do(t, "delegate1", "POST", fmt.Sprintf("/api/v1/recordings/%d/play", r.ID), nil, 200, &link)
	if !strings.Contains(link.URL, "s=") || time.Until(link.ExpiresAt) > recording.LinkTTL {
		t.Fatalf("link %+v", link)
	}
	resp, whole, wholeTook := w.get(t, "", link.URL, nil)
	if resp.StatusCode != 200 || int64(len(whole)) != r.Size || resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("whole file: %d, %d bytes of %d, Accept-Ranges %q", resp.StatusCode, len(whole), r.Size, resp.Header.Get("Accept-Ranges"))
	}
	if fmt.Sprintf("%x", sha256.Sum256(whole)) != r.SHA256 {
		t.Fatal("the whole file's SHA-256 is not the recorded one")
	}
	// Seekable: the finished file has its cues (EBML ID 1C53BB6B).
	if !bytes.Contains(whole, []byte{0x1c, 0x53, 0xbb, 0x6b}) {
		t.Error("the finished file has no Cues element")
	}
	const mib = 1 << 20
	resp, last, lastTook := w.get(t, "", link.URL, map[string]string{"Range": fmt.Sprintf("bytes=%d-", r.Size-mib)})
	if resp.StatusCode != 206 || !bytes.Equal(last, whole[r.Size-mib:]) {
		t.Fatalf("last MiB: %d, %d bytes, equal %v", resp.StatusCode, len(last), bytes.Equal(last, whole[r.Size-mib:]))
	}
	if want := fmt.Sprintf("bytes %d-%d/%d", r.Size-mib, r.Size-1, r.Size); resp.Header.Get("Content-Range") != want {
		t.Errorf("Content-Range %q, want %q", resp.Header.Get("Content-Range"), want)
	}
	t.Logf("Range, last MiB of %.1f MiB: %s; whole file: %s (same run, loopback)", float64(r.Size)/mib, lastTook, wholeTook)
	if lastTook > wholeTook {
		t.Errorf("the last MiB (%s) took longer than the whole file (%s)", lastTook, wholeTook)
	}
	resp, mid, _ := w.get(t, "", link.URL, map[string]string{"Range": "bytes=1000000-1000099"})
	if resp.StatusCode != 206 || !bytes.Equal(mid, whole[1000000:1000100]) {
		t.Fatalf("a middle range: %d, equal %v", resp.StatusCode, bytes.Equal(mid, whole[1000000:1000100]))
	}

	// Bad input: answered clearly, nothing recorded.
	reads := w.env.Count(t, "recording_reads", "")
	if resp, _, _ := w.get(t, "", link.URL, map[string]string{"Range": fmt.Sprintf("bytes=%d-", r.Size+10)}); resp.StatusCode != 416 {
		t.Errorf("range past the end: %d, want 416", resp.StatusCode)
	}
	forged := strings.Replace(link.URL, "s=", "s=x", 1)
	for _, c := range []struct {
		who, method, path string
		status            int
	}{
		{"", "GET", forged, 403},
		{"", "GET", fmt.Sprintf("/api/v1/recordings/%d/media", r.ID), 403},
		{"", "GET", strings.Replace(link.URL, fmt.Sprintf("/recordings/%d/", r.ID), fmt.Sprintf("/recordings/%d/", r.ID+1), 1), 403},
		{"delegate1", "GET", "/api/v1/recordings/999999", 404},
		{"delegate1", "POST", "/api/v1/recordings/999999/play", 404},
		{"delegate1", "GET", "/api/v1/recordings/abc", 404},
		// Another meeting's delegate: the recording does not exist.
		{"outsider", "GET", fmt.Sprintf("/api/v1/recordings/%d", r.ID), 404},
		{"outsider", "POST", fmt.Sprintf("/api/v1/recordings/%d/play", r.ID), 404},
		{"outsider", "GET", fmt.Sprintf("/api/v1/recordings/%d/file", r.ID), 404},
		{"outsider", "GET", fmt.Sprintf("/api/v1/recordings/%d/chapters.vtt", r.ID), 404},
		{"outsider", "GET", base + "/recordings", 404},
		{"delegate1", "GET", fmt.Sprintf("/api/v1/recordings/%d/reads", r.ID), 403},
	} {
		var st int
		if c.method == "GET" {
			resp, _, _ := w.get(t, c.who, c.path, nil)
			st = resp.StatusCode
		} else {
			st, _ = w.status(t, c.who, c.method, c.path, nil)
		}
		if st != c.status {
			t.Errorf("%s %s %s: %d, want %d", c.who, c.method, c.path, st, c.status)
		}
	}
	if n := w.env.Count(t, "recording_reads", ""); n != reads {
		t.Errorf("refused reads left %d receipts", n-reads)
	}

	// Receipts: delegate1's play, and a bearer download by the observer.
	resp, _, _ = w.get(t, "observer", fmt.Sprintf("/api/v1/recordings/%d/file", r.ID), map[string]string{"Range": "bytes=0-99"})
	if resp.StatusCode != 206 {
		t.Fatalf("download range: %d", resp.StatusCode)
	}
	var rs struct {
		Reads []recording.Read `json:"reads"`
	}
	w.do(t, "secretary", "GET", fmt.Sprintf("/api/v1/recordings/%d/reads", r.ID), nil, 200, &rs)
	if len(rs.Reads) != 2 || rs.Reads[0].Kind != "download" || rs.Reads[1].Kind != "play" || rs.Reads[1].UserID != userID(w.users["delegate1"]) {
		t.Fatalf("reads %+v", rs.Reads)
	}
	if n := w.env.Count(t, "audit_log", "action = 'recording.read'"); n != 2 {
		t.Errorf("%d recording.read audit entries, want 2", n)
	}
	var list struct {
		Recordings []recordingJSON `json:"recordings"`
	}
	w.do(t, "operator", "GET", base+"/recordings", nil, 200, &list)
	if len(list.Recordings) != 1 || list.Recordings[0].ID != r.ID {
		t.Fatalf("list %+v", list.Recordings)
	}
	// The recorder's directory is gone once archived.
	if _, err := os.Stat(rec.Last().Dir); !os.IsNotExist(err) {
		t.Errorf("recorded files left in %s: %v", rec.Last().Dir, err)
	}
}

// TestRecordingRetentionAndHold: the retention job deletes an expired
// recording (its encrypted file too) but not one whose meeting is under a
// legal hold, until the hold is cleared; only the office sets and clears
// holds, each audited, and bad hold commands change nothing.
func TestRecordingRetentionAndHold(t *testing.T) {
	w, _, baseA, _ := recordingRoom(t)
	idB := w.createMeeting(t)
	baseB := fmt.Sprintf("/api/v1/meetings/%d", idB)
	w.do(t, "secretary", "POST", baseB+"/publish", nil, 200, nil)
	w.do(t, "chair", "POST", baseB+"/session/open", nil, 204, nil)
	a, b := w.recordOnce(t, baseA), w.recordOnce(t, baseB)

	for _, c := range []struct {
		who, method, path string
		body              any
		status            int
		code              string
	}{
		{"delegate1", "PUT", baseA + "/legal-hold", map[string]any{"reason": "Thanh tra"}, 403, "forbidden"},
		{"chair", "PUT", baseA + "/legal-hold", map[string]any{"reason": "Thanh tra"}, 403, "forbidden"},
		{"outsider", "PUT", baseA + "/legal-hold", map[string]any{"reason": "Thanh tra"}, 404, "not_found"},
		{"secretary", "PUT", baseB + "/legal-hold", map[string]any{"reason": "   "}, 422, "validation_failed"},
		{"secretary", "PUT", baseB + "/legal-hold", map[string]any{"reason": strings.Repeat("x", 1001)}, 422, "validation_failed"},
		{"secretary", "PUT", baseB + "/legal-hold", `{"reason": 5}`, 422, ""},
		{"secretary", "DELETE", baseB + "/legal-hold", nil, 409, "no_hold"},
		{"delegate1", "DELETE", baseA + "/legal-hold", nil, 403, "forbidden"},
	} {
		st, code := w.status(t, c.who, c.method, c.path, c.body)
		if st != c.status || (c.code != "" && code != c.code) {
			t.Errorf("%s %s %s: %d %s, want %d %s", c.who, c.method, c.path, st, code, c.status, c.code)
		}
	}
	if n := w.env.Count(t, "legal_holds", ""); n != 0 {
		t.Fatalf("refused hold commands stored %d holds", n)
	}
	if n := w.env.Count(t, "audit_log", "action LIKE 'recording.hold%'"); n != 0 {
		t.Fatalf("refused hold commands audited %d times", n)
	}
	w.do(t, "secretary", "PUT", baseB+"/legal-hold", map[string]any{"reason": "Hồ sơ thanh tra số 12/TTr"}, 200, nil)
	var hold struct {
		Hold *recording.Hold `json:"hold"`
	}
	w.do(t, "chair", "GET", baseB+"/legal-hold", nil, 200, &hold)
	if hold.Hold == nil || hold.Hold.Reason != "Hồ sơ thanh tra số 12/TTr" {
		t.Fatalf("hold %+v", hold.Hold)
	}

	// Both stopped six years ago: past the default five.
	ctx := context.Background()
	if _, err := w.env.App.DB.Pool.Exec(ctx, `UPDATE recordings SET stopped_at = now() - interval '6 years', started_at = now() - interval '6 years 1 hour'`); err != nil {
		t.Fatal(err)
	}
	blobA, _ := w.env.App.Blobs.Path(blobOf(t, w, a.ID))
	blobB, _ := w.env.App.Blobs.Path(blobOf(t, w, b.ID))
	n, err := w.env.App.Recordings.Expire(ctx)
	if err != nil || n != 1 {
		t.Fatalf("expire: %d, %v; want 1", n, err)
	}
	if w.env.Count(t, "recordings", "id = $1", a.ID) != 0 || w.env.Count(t, "recordings", "id = $1", b.ID) != 1 {
		t.Fatal("retention did not delete the expired recording, or deleted the held one")
	}
	if _, err := os.Stat(blobA); !os.IsNotExist(err) {
		t.Errorf("the expired recording's file remains: %v", err)
	}
	if _, err := os.Stat(blobB); err != nil {
		t.Errorf("the held recording's file: %v", err)
	}
	if st, _ := w.status(t, "chair", "GET", fmt.Sprintf("/api/v1/recordings/%d", a.ID), nil); st != 404 {
		t.Errorf("expired recording: %d, want 404", st)
	}
	w.do(t, "secretary", "DELETE", baseB+"/legal-hold", nil, 204, nil)
	if n, err := w.env.App.Recordings.Expire(ctx); err != nil || n != 1 {
		t.Fatalf("expire after the hold: %d, %v; want 1", n, err)
	}
	if w.env.Count(t, "recordings", "") != 0 {
		t.Fatal("recordings remain after the hold was cleared")
	}
	if n := w.env.Count(t, "audit_log", "action IN ('recording.hold_set', 'recording.hold_cleared', 'recording.expired')"); n != 4 {
		t.Errorf("%d hold and expiry audit entries, want 4", n)
	}
}

// TestRecordingCutByACrash: a server stops while recording without
// closing the part (a crash: the row still says recording). The next
// start ends that part as interrupted, the job finishes it from the file
// on disk, and a new part starts by itself while the session is open.
func TestRecordingCutByACrash(t *testing.T) {
	src := recordingtest.WebM(t, 60, "2M")
	w, _, base := setupRoom(t)
	w.env.App.Recordings.SetRecorder(&recordingtest.Recorder{Source: src})
	var part1 recordingJSON
	w.do(t, "chair", "POST", base+"/recording/start", nil, 201, &part1)
	w.env.Stop()
	// The graceful stop queued part 1's finishing (and its worker may have
	// started it, and left it to a retry tens of seconds away); a crash
	// queues nothing. Without this the restart's own queuing meets the
	// stopped server's task ID, and a loaded CI run waited for the retry
	// past 90 s.
	dropTask(t, w.env.Config.RedisURL, jobs.QueueHeavy, fmt.Sprintf("%s:%d", recording.TypeFinish, part1.ID))
	// What a crash leaves: the part still running in the database, the
	// recorder's file half-written on disk (here: whole; the finishing of
	// a truncated file is the recorder's tests' and ffmpeg's business).
	db, err := pgx.Connect(context.Background(), w.env.Config.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	_, err = db.Exec(context.Background(), `UPDATE recordings SET status = 'recording', stopped_at = NULL, stop_reason = '',
		main_path = '', codec = '', container = '' WHERE id = $1`, part1.ID)
	if err != nil {
		t.Fatal(err)
	}

	env2 := apptest.NewOn(t, w.env.Config.DatabaseURL, w.env.Config.RedisURL)
	rec2 := &recordingtest.Recorder{Source: src}
	env2.App.Recordings.SetRecorder(rec2)
	w.env = env2
	r := w.waitReady(t, "secretary", part1.ID)
	if r.StopReason != "interrupted" || r.DurationMS < 59400 {
		t.Fatalf("part 1 after the crash: %+v", r)
	}
	deadline := time.Now().Add(20 * time.Second)
	var list struct {
		Recordings []recordingJSON `json:"recordings"`
	}
	for {
		w.do(t, "chair", "GET", base+"/recordings", nil, 200, &list)
		if len(list.Recordings) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no second part within 20 s: %+v", list.Recordings)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if p2 := list.Recordings[1]; p2.Part != 2 || p2.Status != "recording" || rec2.Last() == nil {
		t.Fatalf("part 2 %+v", p2)
	}
	var evs struct {
		Events []struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		} `json:"events"`
	}
	w.do(t, "chair", "GET", base+"/session/events?since=0", nil, 200, &evs)
	var seen []string
	for _, e := range evs.Events {
		if strings.HasPrefix(e.Type, "recording.") {
			seen = append(seen, fmt.Sprintf("%s %v %v", e.Type, e.Data["part"], e.Data["reason"]))
		}
	}
	// The graceful stop of the first server (shutdown) happened before the
	// simulated crash; then the restart's interrupted and the new part.
	want := "recording.started 1 <nil>,recording.stopped 1 shutdown,recording.stopped 1 interrupted,recording.started 2 <nil>"
	if got := strings.Join(seen, ","); got != want {
		t.Errorf("recording events %s, want %s", got, want)
	}
}

// TestRecordingCodecSwitchParts: a recording the recorder wrote in two
// files (the floor switched codec) is archived as two parts, the second
// from the switch, each with its chapters.
func TestRecordingCodecSwitchParts(t *testing.T) {
	w, _, base, rec := recordingRoom(t)
	rec.SwitchAfter = 1500 * time.Millisecond
	var items []int64
	for _, title := range []string{"Nội dung một", "Nội dung hai"} {
		var it struct {
			ID int64 `json:"id"`
		}
		w.do(t, "secretary", "POST", base+"/agenda", map[string]any{"title": title}, 201, &it)
		items = append(items, it.ID)
	}
	w.do(t, "chair", "PUT", base+"/session/current-item", map[string]any{"item_id": items[0]}, 204, nil)
	var p1 recordingJSON
	w.do(t, "chair", "POST", base+"/recording/start", nil, 201, &p1)
	time.Sleep(time.Until(p1.StartedAt.Add(2500 * time.Millisecond)))
	w.do(t, "chair", "PUT", base+"/session/current-item", map[string]any{"item_id": items[1]}, 204, nil)
	w.do(t, "chair", "POST", base+"/recording/stop", nil, 200, nil)
	var list struct {
		Recordings []recordingJSON `json:"recordings"`
	}
	w.do(t, "chair", "GET", base+"/recordings", nil, 200, &list)
	if len(list.Recordings) != 2 {
		t.Fatalf("%d parts, want 2: %+v", len(list.Recordings), list.Recordings)
	}
	a, b := w.waitReady(t, "chair", list.Recordings[0].ID), w.waitReady(t, "chair", list.Recordings[1].ID)
	if b.Part != 2 || b.StartedAt.Sub(a.StartedAt) != 1500*time.Millisecond {
		t.Fatalf("part 2 %+v starts %s after part 1", b, b.StartedAt.Sub(a.StartedAt))
	}
	if len(a.Chapters) != 1 || a.Chapters[0].Title != "1. Nội dung một" {
		t.Errorf("part 1 chapters %+v, want item 1 only", a.Chapters)
	}
	// Item 2 came 2.5 s after the start (later under load): about 1 s
	// into part 2, at its event's time from part 2's start.
	if len(b.Chapters) != 2 || b.Chapters[0].AtMS != 0 || b.Chapters[1].Title != "2. Nội dung hai" || b.Chapters[1].AtMS < 900 ||
		b.Chapters[1].At.Sub(b.StartedAt).Milliseconds() != b.Chapters[1].AtMS {
		t.Errorf("part 2 chapters %+v, want item 1 at 0 and item 2 about 1 s in", b.Chapters)
	}
}
