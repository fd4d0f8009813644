package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/recording/recordingtest"
	"github.com/hibiken/asynq"
)

// What the recording tests share: a room to record in, waiting for a
// part to be archived, fetching it, and the job queue.

// recordingRoom is setupRoom with the job worker running and a recorder
// of a prepared 60 s WebM (about 15 MB) in place of the SFU's.
func recordingRoom(t *testing.T) (*province, int64, string, *recordingtest.Recorder) {
	t.Helper()
	src := recordingtest.WebM(t, 60, "2M")
	w, id, base := setupRoom(t, func(c *config.Config) { c.Jobs.RunWorker = true })
	rec := &recordingtest.Recorder{Source: src}
	w.env.App.Recordings.SetRecorder(rec)
	return w, id, base, rec
}

// waitReady polls a recording until the finishing job is done with it.
func (w *province) waitReady(t *testing.T, who string, id int64) recordingJSON {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var r recordingJSON
		w.do(t, who, "GET", fmt.Sprintf("/api/v1/recordings/%d", id), nil, 200, &r)
		if r.Status == "ready" || r.Status == "failed" {
			if r.Status == "failed" {
				t.Fatalf("recording %d failed: %s", id, r.Error)
			}
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("recording %d still %s after 90 s", id, r.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// get fetches a path with optional bearer token and headers.
func (w *province) get(t *testing.T, who, path string, hdr map[string]string) (*http.Response, []byte, time.Duration) {
	t.Helper()
	req, _ := http.NewRequest("GET", w.env.URL+path, nil)
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+w.tokens[who])
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := w.env.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b, time.Since(start)
}

// recordOnce starts and stops a recording of a meeting in session and
// waits until it is archived.
func (w *province) recordOnce(t *testing.T, base string) recordingJSON {
	t.Helper()
	var r recordingJSON
	w.do(t, "chair", "POST", base+"/recording/start", nil, 201, &r)
	w.do(t, "chair", "POST", base+"/recording/stop", nil, 200, nil)
	return w.waitReady(t, "chair", r.ID)
}

func blobOf(t *testing.T, w *province, id int64) string {
	t.Helper()
	var b string
	if err := w.env.App.DB.Pool.QueryRow(context.Background(), `SELECT blob_id FROM recordings WHERE id = $1`, id).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

// dropTask deletes task id from queue in whatever state it waits (none:
// fine), once no worker holds it.
func dropTask(t *testing.T, redisURL, queue, id string) {
	t.Helper()
	in := asynq.NewInspector(mustRedisOpt(t, redisURL))
	defer in.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ti, err := in.GetTaskInfo(queue, id)
		if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
			return
		}
		if err != nil {
			t.Fatalf("task %s: %v", id, err)
		}
		if ti.State != asynq.TaskStateActive {
			if err := in.DeleteTask(queue, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
				t.Fatalf("delete task %s (%v): %v", id, ti.State, err)
			}
			t.Logf("task %s dropped (%v)", id, ti.State)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s still held by the stopped server's worker after 30 s", id)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
