package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/recording"
	"github.com/cau-gov/cau/internal/recording/recordingtest"
	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// TestRecordingEndToEnd records a session on a whole server with its real
// SFU: three synthetic halls (sfuclient) publish VP8 and Opus, the chair
// moves through three agenda items and gives the floor twice, then stops.
// The finishing job archives a file whose ffprobe length is the session's
// within 1 % (video and audio streams), the chapters sit at their session
// events' times within 200 ms, and each hall that spoke has its own track.
func TestRecordingEndToEnd(t *testing.T) {
	recordingtest.Need(t)
	env := apptest.New(t)
	root := env.Unit(t, 0, "province", "lam-dong", "UBND tỉnh Lâm Đồng")
	const pw = "mật-khẩu-thử-nghiệm-9"
	tokens := map[string]string{}
	users := map[string]int64{}
	halls := make([]int64, 3)
	for i := range halls {
		halls[i] = env.Hall(t, root, fmt.Sprintf("dc-%d", i), fmt.Sprintf("Điểm cầu %d", i+1))
		name := fmt.Sprintf("operator%d", i)
		users[name] = env.User(t, root, name, pw, apptest.OperatorGrant(halls[i]))
		tokens[name], _ = env.Login(t, name, pw)
	}
	for name, g := range map[string]auth.RoleGrant{"chair": apptest.Grant(auth.RoleChair), "secretary": apptest.Grant(auth.RoleSecretary)} {
		users[name] = env.User(t, root, name, pw, g)
		tokens[name], _ = env.Login(t, name, pw)
	}
	do := func(who, method, path string, body any, want int, out any) {
		t.Helper()
		env.DoJSON(t, method, path, tokens[who], body, want, out)
	}
	var m struct {
		ID int64 `json:"id"`
	}
	start := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	do("secretary", "POST", "/api/v1/meetings", map[string]any{"kind": "province_online", "title": "Hội nghị trực tuyến (ghi hình)", "place": "Hội trường",
		"starts_at": start, "ends_at": start.Add(2 * time.Hour), "chair_id": users["chair"]}, 201, &m)
	base := fmt.Sprintf("/api/v1/meetings/%d", m.ID)
	do("secretary", "POST", base+"/halls", map[string]any{"hall_ids": halls}, 200, nil)
	items := make([]int64, 3)
	for i := range items {
		var it struct {
			ID int64 `json:"id"`
		}
		do("secretary", "POST", base+"/agenda", map[string]any{"title": fmt.Sprintf("Nội dung %d", i+1)}, 201, &it)
		items[i] = it.ID
	}
	do("secretary", "POST", base+"/publish", nil, 200, nil)
	do("chair", "POST", base+"/session/open", nil, 204, nil)
	do("chair", "PUT", base+"/session/current-item", map[string]any{"item_id": items[0]}, 204, nil)

	// The halls join and publish.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i, h := range halls {
		var g struct {
			Token string `json:"token"`
		}
		do(fmt.Sprintf("operator%d", i), "POST", base+"/join", map[string]any{"hall_id": h}, 200, &g)
		dctx, dcancel := context.WithTimeout(ctx, 15*time.Second)
		c, err := sfuclient.Dial(dctx, sfuclient.Options{URL: "ws" + strings.TrimPrefix(env.URL, "http") + "/rtc", Token: g.Token})
		if err != nil {
			dcancel()
			t.Fatalf("hall %d: dial: %v", i, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		video, err := c.PublishVideo(dctx, sfu.SourceCamera, webrtc.MimeTypeVP8)
		if err != nil {
			dcancel()
			t.Fatal(err)
		}
		audio, err := c.PublishAudio(dctx)
		dcancel()
		if err != nil {
			t.Fatal(err)
		}
		go sfuclient.SendVideo(ctx, video, sfuclient.VideoSpec{Bitrates: []int{400_000}, KeyInterval: time.Second})
		go sendAudio(ctx, audio)
	}
	floor := func(i int) {
		t.Helper()
		var r struct {
			ID int64 `json:"request_id"`
		}
		do(fmt.Sprintf("operator%d", i), "POST", base+"/session/speaking", map[string]any{"hall_id": halls[i]}, 201, &r)
		do("chair", "POST", fmt.Sprintf("%s/session/speaking/%d/grant", base, r.ID), nil, 204, nil)
	}
	floor(0)
	// Until the SFU has the room, starting answers no_call.
	var rec struct {
		ID        int64     `json:"id"`
		StartedAt time.Time `json:"started_at"`
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, b := env.Do(t, "POST", base+"/recording/start", tokens["chair"], nil)
		if st == 201 {
			if err := json.Unmarshal(b, &rec); err != nil {
				t.Fatal(err)
			}
			break
		}
		if st != 409 || !strings.Contains(string(b), "no_call") || time.Now().After(deadline) {
			t.Fatalf("start recording: %d %s", st, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
	at := func(d time.Duration) { time.Sleep(time.Until(rec.StartedAt.Add(d))) }
	at(6 * time.Second)
	do("chair", "PUT", base+"/session/current-item", map[string]any{"item_id": items[1]}, 204, nil)
	at(10 * time.Second)
	floor(1)
	at(14 * time.Second)
	do("chair", "PUT", base+"/session/current-item", map[string]any{"item_id": items[2]}, 204, nil)
	at(18 * time.Second)
	floor(2)
	at(28 * time.Second)
	var stopped struct {
		StoppedAt time.Time `json:"stopped_at"`
	}
	do("chair", "POST", base+"/recording/stop", nil, 200, &stopped)
	session := stopped.StoppedAt.Sub(rec.StartedAt)

	var r struct {
		Status     string              `json:"status"`
		Error      string              `json:"error"`
		DurationMS int64               `json:"duration_ms"`
		Chapters   []recording.Chapter `json:"chapters"`
		Tracks     []struct {
			Identity string `json:"identity"`
			Size     *int64 `json:"size_bytes"`
		} `json:"tracks"`
	}
	deadline = time.Now().Add(90 * time.Second)
	for r.Status != "ready" {
		if r.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("recording %s: %s", r.Status, r.Error)
		}
		time.Sleep(200 * time.Millisecond)
		do("secretary", "GET", fmt.Sprintf("/api/v1/recordings/%d", rec.ID), nil, 200, &r)
	}
	got := time.Duration(r.DurationMS) * time.Millisecond
	t.Logf("session %s (start to stop), file %s by ffprobe; chapters %+v", session, got, r.Chapters)
	if diff := got - session; diff < -session/100 || diff > session/100 {
		t.Errorf("file lasts %s, the session %s: off by more than 1 %%", got, session)
	}

	// The file as a client downloads it has a video and an audio stream.
	st, body := env.Do(t, "GET", fmt.Sprintf("/api/v1/recordings/%d/file", rec.ID), tokens["secretary"], nil)
	if st != 200 {
		t.Fatalf("download: %d", st)
	}
	file := filepath.Join(t.TempDir(), "rec.webm")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "csv=p=0", file).Output()
	if err != nil || !strings.Contains(string(out), "vp8,video") || !strings.Contains(string(out), "opus,audio") {
		t.Errorf("ffprobe streams %q, %v; want vp8 video and opus audio", out, err)
	}

	// Chapters: item 1 at 0, item 2, floor 2, item 3, floor 3.
	var evs struct {
		Events []struct {
			Seq  int64     `json:"seq"`
			At   time.Time `json:"at"`
			Type string    `json:"type"`
		} `json:"events"`
	}
	do("chair", "GET", base+"/session/events?since=0", nil, 200, &evs)
	var kinds []string
	for _, c := range r.Chapters {
		kinds = append(kinds, c.Kind)
	}
	if k := strings.Join(kinds, ","); k != "item,item,floor,item,floor" {
		t.Fatalf("chapters %s, want item,item,floor,item,floor", k)
	}
	for _, c := range r.Chapters[1:] {
		for _, e := range evs.Events {
			if e.Seq == c.EventSeq {
				diff := time.Duration(c.AtMS)*time.Millisecond - e.At.Sub(rec.StartedAt)
				if diff < -200*time.Millisecond || diff > 200*time.Millisecond {
					t.Errorf("chapter %q at %d ms, its %s at %s", c.Title, c.AtMS, e.Type, e.At.Sub(rec.StartedAt))
				}
			}
		}
	}
	if !strings.Contains(r.Chapters[2].Title, "Điểm cầu 2") || !strings.Contains(r.Chapters[4].Title, "Điểm cầu 3") {
		t.Errorf("floor chapters %q, %q; want the halls' names", r.Chapters[2].Title, r.Chapters[4].Title)
	}
	archived := 0
	for _, tr := range r.Tracks {
		if tr.Size != nil && *tr.Size > 0 {
			archived++
		}
	}
	if archived == 0 {
		t.Errorf("no speaker's track archived: %+v", r.Tracks)
	}
}

// sendAudio is a microphone: 50 Opus-sized packets a second of wall time
// whatever the load (a tick the scheduler missed is made up at the next,
// as a real capture clock does), so the recording's length measures the
// recorder, not a starved test sender (sfuclient.SendAudio sends one
// packet per tick it gets).
func sendAudio(ctx context.Context, pub *sfuclient.Publication) {
	seq, ts := uint16(rand.Uint32()), rand.Uint32()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	begin := time.Now()
	for i := 0; ; {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for due := int(time.Since(begin) / (20 * time.Millisecond)); i < due; i++ {
			payload := make([]byte, 80)
			payload[0] = 0x78
			_ = pub.WriteRTP(0, &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: seq, Timestamp: ts}, Payload: payload}, 30)
			seq++
			ts += 960
		}
	}
}
