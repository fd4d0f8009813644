package sfu_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/internal/testmedia"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// TestRecordSession records three halls with real VP8 and Opus over a
// link losing 2 % of what reaches the SFU, through two floor changes:
// the file has a video and an audio stream lasting the session within
// 1 %, decodes without a word from ffmpeg, and each hall that spoke has
// its own Ogg file lasting as long as it spoke.
func TestRecordSession(t *testing.T) {
	testmedia.Need(t)
	sfuNet, pubNet := lossyNet(t, 2)
	b := setup(t, sfu.Config{Net: sfuNet, ListenIPs: []string{"10.0.0.1"}})
	const room = "meeting-rec"
	ids := []sfu.ParticipantID{"hall-province", "hall-district", "hall-commune"}
	halls := map[sfu.ParticipantID]*realHall{}
	var watcher *sfuclient.Client
	for i, id := range ids {
		c := b.dial(t, room, string(id), sfuclient.Options{Net: pubNet})
		halls[id] = publishReal(t, c, testmedia.VP8, i)
		watcher = c
	}
	for _, id := range ids {
		waitTrack(t, watcher, sfu.TrackID(string(id)+"/camera"))
	}
	if err := b.s.PinFloor(room, ids[0]); err != nil {
		t.Fatal(err)
	}
	halls[ids[0]].speak(true)
	time.Sleep(time.Second) // the floor's first key frame reaches the SFU's cache

	dir := recordDir(t)
	rec, err := b.s.StartRecording(room, dir)
	if err != nil {
		t.Fatal(err)
	}
	start := rec.StartedAt()
	if _, err := b.s.StartRecording(room, dir); !errors.Is(err, sfu.ErrAlreadyRecording) {
		t.Errorf("second StartRecording: %v, want ErrAlreadyRecording", err)
	}
	const turn = 4 * time.Second
	for i := 1; i < len(ids); i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * turn)))
		halls[ids[i-1]].speak(false)
		halls[ids[i]].speak(true)
		if err := b.s.PinFloor(room, ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Until(start.Add(3 * turn)))
	if m := gather(t, b); m["cau_sfu_recordings_active"] != 1 || m["cau_sfu_recorded_packets_total"] == 0 {
		t.Errorf("metrics while recording: active %v, packets %v; want 1 and some", m["cau_sfu_recordings_active"], m["cau_sfu_recorded_packets_total"])
	}
	stopAt := time.Now()
	res, err := rec.Stop()
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if m := gather(t, b); m["cau_sfu_recordings_active"] != 0 || m["cau_sfu_recorded_packets_total"] < float64(res.Stats.Packets) ||
		m["cau_sfu_recording_lost_packets_total"] != float64(res.Stats.Lost) {
		t.Errorf("metrics after Stop: %v active, %v packets, %v lost; want 0, %d, %d", m["cau_sfu_recordings_active"],
			m["cau_sfu_recorded_packets_total"], m["cau_sfu_recording_lost_packets_total"], res.Stats.Packets, res.Stats.Lost)
	}
	if again, err := rec.Stop(); err != nil || again.Main != res.Main {
		t.Errorf("second Stop = %+v, %v; want the same result", again, err)
	}
	session := stopAt.Sub(start)
	t.Logf("result: %+v", res)

	if res.Codec != "VP8" || len(res.Parts) != 1 || filepath.Ext(res.Main) != ".webm" {
		t.Fatalf("Main %s codec %s parts %d, want one VP8 .webm", res.Main, res.Codec, len(res.Parts))
	}
	streams := testmedia.Probe(t, res.Main)
	if len(streams) != 2 || streams[0].Codec != "vp8" || streams[1].Codec != "opus" {
		t.Fatalf("streams %+v, want vp8 and opus", streams)
	}
	tol := session / 100
	within(t, "video end", testmedia.End(t, res.Main, "video"), session, tol)
	within(t, "audio end", testmedia.End(t, res.Main, "audio"), session, tol)
	within(t, "Duration", res.Duration, session, tol)
	if msg := testmedia.Decode(t, res.Main); msg != "" {
		t.Errorf("ffmpeg -v error -i %s -f null - printed:\n%s", res.Main, msg)
	}
	if res.Stats.Packets == 0 || res.Stats.KeyframesRequested < 3 {
		t.Errorf("stats %+v: want packets and a key frame request at the start and at each floor change", res.Stats)
	}

	if len(res.Speakers) != len(ids) {
		t.Fatalf("speakers %+v, want the %d halls", res.Speakers, len(ids))
	}
	for _, sp := range res.Speakers {
		h := halls[sp.Identity]
		if h == nil {
			t.Fatalf("speaker %s is no hall", sp.Identity)
		}
		want := h.spoken(start, stopAt)
		if msg := testmedia.Decode(t, sp.Path); msg != "" {
			t.Errorf("speaker %s: ffmpeg printed:\n%s", sp.Identity, msg)
		}
		s := testmedia.Probe(t, sp.Path)
		if len(s) != 1 || s[0].Codec != "opus" {
			t.Fatalf("speaker %s: streams %+v", sp.Identity, s)
		}
		within(t, "speaker "+string(sp.Identity)+" file", testmedia.End(t, sp.Path, "audio"), want, 200*time.Millisecond)
		within(t, "speaker "+string(sp.Identity)+" Last-First", sp.Last-sp.First, want, 200*time.Millisecond)
	}
}

// TestRecordCodecSwitch: the floor passes from a VP8 hall to an H.264
// one; the recording goes on in a second part, a Matroska file with
// H.264, starting at the switch; each part decodes.
func TestRecordCodecSwitch(t *testing.T) {
	testmedia.Need(t)
	b := setup(t, sfu.Config{})
	const room = "meeting-codec"
	vp8 := b.dial(t, room, "hall-vp8", sfuclient.Options{})
	publishReal(t, vp8, testmedia.VP8, 0).speak(true)
	h264 := b.dial(t, room, "hall-h264", sfuclient.Options{})
	publishReal(t, h264, testmedia.H264, 1)
	waitTrack(t, h264, "hall-vp8/camera")
	waitTrack(t, vp8, "hall-h264/camera")
	if err := b.s.PinFloor(room, "hall-vp8"); err != nil {
		t.Fatal(err)
	}
	rec, err := b.s.StartRecording(room, recordDir(t))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	switchAt := time.Since(rec.StartedAt())
	if err := b.s.PinFloor(room, "hall-h264"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	res, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Parts) != 2 || res.Parts[0].Codec != "VP8" || res.Parts[1].Codec != "H264" ||
		filepath.Ext(res.Parts[0].Path) != ".webm" || filepath.Ext(res.Parts[1].Path) != ".mkv" {
		t.Fatalf("parts %+v, want a VP8 .webm then an H.264 .mkv", res.Parts)
	}
	within(t, "second part's start", res.Parts[1].Start, switchAt, 500*time.Millisecond)
	for i, p := range res.Parts {
		want := []string{"vp8", "h264"}[i]
		s := testmedia.Probe(t, p.Path)
		if len(s) != 2 || s[0].Codec != want || s[0].Packets == 0 {
			t.Errorf("part %d: streams %+v, want %s and opus", i+1, s, want)
		}
		if msg := testmedia.Decode(t, p.Path); msg != "" {
			t.Errorf("part %d: ffmpeg printed:\n%s", i+1, msg)
		}
	}
}

// TestRecordStopsOnClose: a server shutting down stops the recording,
// tells its owner, and leaves a file that decodes; the file cut anywhere
// (a crash) still decodes up to the cut.
func TestRecordStopsOnClose(t *testing.T) {
	testmedia.Need(t)
	b := setup(t, sfu.Config{})
	const room = "meeting-close"
	c := b.dial(t, room, "hall-a", sfuclient.Options{})
	publishReal(t, c, testmedia.VP8, 0).speak(true)
	waitTrack(t, b.dial(t, room, "hall-b", sfuclient.Options{}), "hall-a/camera")
	stopped := make(chan sfu.RecordingResult, 1)
	rec, err := b.s.StartRecording(room, t.TempDir(), sfu.RecordOptions{OnStop: func(r sfu.RecordingResult, err error) {
		if err != nil {
			t.Errorf("OnStop error: %v", err)
		}
		stopped <- r
	}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	if err := b.s.Close(); err != nil {
		t.Fatal(err)
	}
	var res sfu.RecordingResult
	select {
	case res = <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("OnStop not called after Close")
	}
	if res.Reason != "server shutting down" {
		t.Errorf("Reason %q", res.Reason)
	}
	if again, _ := rec.Stop(); again.Main != res.Main {
		t.Errorf("Stop after Close = %+v, want the result OnStop had", again)
	}
	within(t, "duration", testmedia.End(t, res.Main, "video"), 3*time.Second, 300*time.Millisecond)
	if msg := testmedia.Decode(t, res.Main); msg != "" {
		t.Errorf("ffmpeg printed:\n%s", msg)
	}
	whole, err := os.ReadFile(res.Main)
	if err != nil {
		t.Fatal(err)
	}
	for _, frac := range []float64{0.31, 0.64, 0.97} {
		p := filepath.Join(t.TempDir(), "cut.webm")
		if err := os.WriteFile(p, whole[:int(frac*float64(len(whole)))], 0o600); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(testmedia.Decode(t, p)), "\n") {
			if line != "" && !strings.Contains(line, "ended prematurely") && !strings.Contains(line, "Truncat") && !strings.Contains(line, "EOF") {
				t.Errorf("cut at %.0f%%: ffmpeg printed %q", frac*100, line)
			}
		}
		within(t, "cut file's end", testmedia.End(t, p, "video"), time.Duration(frac*float64(3*time.Second)), 1200*time.Millisecond)
	}
}

// TestRecordBadRequests: an unknown room, no directory, a second
// recording of a room; none leaves anything behind.
func TestRecordBadRequests(t *testing.T) {
	b := setup(t, sfu.Config{})
	dir := filepath.Join(t.TempDir(), "rec")
	if _, err := b.s.StartRecording("no-such-room", dir); !errors.Is(err, sfu.ErrNoRoom) {
		t.Errorf("unknown room: %v, want ErrNoRoom", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unknown room made %s: %v", dir, err)
	}
	b.dial(t, "meeting-bad", "hall-a", sfuclient.Options{})
	if _, err := b.s.StartRecording("meeting-bad", ""); !errors.Is(err, sfu.ErrInvalid) {
		t.Errorf("no directory: %v, want ErrInvalid", err)
	}
	rec, err := b.s.StartRecording("meeting-bad", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.s.StartRecording("meeting-bad", dir); !errors.Is(err, sfu.ErrAlreadyRecording) {
		t.Errorf("second recording: %v, want ErrAlreadyRecording", err)
	}
	if _, err := rec.Stop(); err == nil {
		t.Error("Stop of a recording of nothing: no error")
	}
	// Stopped: the room can be recorded again.
	rec2, err := b.s.StartRecording("meeting-bad", filepath.Join(t.TempDir(), "again"))
	if err != nil {
		t.Fatalf("record again after Stop: %v", err)
	}
	_, _ = rec2.Stop()
}

// TestRecordFloorLeaves: the hall holding the floor drops off (its
// browser closed); the floor goes to the other hall and the recording
// goes on with its picture, one file that decodes, as long as the session.
func TestRecordFloorLeaves(t *testing.T) {
	testmedia.Need(t)
	b := setup(t, sfu.Config{})
	const room = "meeting-leave"
	a := b.dial(t, room, "hall-a", sfuclient.Options{})
	publishReal(t, a, testmedia.VP8, 0).speak(true)
	c := b.dial(t, room, "hall-b", sfuclient.Options{})
	publishReal(t, c, testmedia.VP8, 1)
	waitTrack(t, c, "hall-a/camera")
	waitTrack(t, a, "hall-b/camera")
	if err := b.s.PinFloor(room, "hall-a"); err != nil {
		t.Fatal(err)
	}
	rec, err := b.s.StartRecording(room, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	_ = a.Close()
	time.Sleep(3 * time.Second)
	stopAt := time.Now()
	res, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	session := stopAt.Sub(rec.StartedAt())
	if len(res.Parts) != 1 {
		t.Fatalf("parts %+v, want one", res.Parts)
	}
	within(t, "video end", testmedia.End(t, res.Main, "video"), session, session/100)
	if msg := testmedia.Decode(t, res.Main); msg != "" {
		t.Errorf("ffmpeg printed:\n%s", msg)
	}
}

// TestRecordTopLayerStops: the floor publishes simulcast and its top
// layer stops a while (a short uplink): the recording goes down a layer
// within about a second and back up when it returns, the picture never
// frozen for long, the file whole and clean.
func TestRecordTopLayerStops(t *testing.T) {
	testmedia.Need(t)
	b := setup(t, sfu.Config{})
	const room = "meeting-layers"
	a := b.dial(t, room, "hall-a", sfuclient.Options{})
	h := publishReal(t, a, testmedia.VP8, 0, "q", "h", "f")
	h.speak(true)
	waitTrack(t, b.dial(t, room, "hall-b", sfuclient.Options{}), "hall-a/camera")
	rec, err := b.s.StartRecording(room, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	h.paused[2].Store(true)
	time.Sleep(4 * time.Second)
	h.paused[2].Store(false)
	time.Sleep(2 * time.Second)
	stopAt := time.Now()
	res, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	session := stopAt.Sub(rec.StartedAt())
	within(t, "video end", testmedia.End(t, res.Main, "video"), session, session/100)
	if msg := testmedia.Decode(t, res.Main); msg != "" {
		t.Errorf("ffmpeg printed:\n%s", msg)
	}
	// The longest stretch without a frame: the stall (1 s) and a key
	// frame of the next layer, not the 4 s the top layer was away.
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time", "-of", "csv=p=0", res.Main).Output()
	if err != nil {
		t.Fatal(err)
	}
	var prev, gap float64
	for i, f := range strings.Fields(string(out)) {
		v, _ := strconv.ParseFloat(f, 64)
		if i > 0 {
			gap = max(gap, v-prev)
		}
		prev = v
	}
	if gap > 2 {
		t.Errorf("the picture stopped for %.2f s while the top layer was away", gap)
	} else {
		t.Logf("longest gap between frames: %.2f s", gap)
	}
}

// TestRecordREDSpeaker: a hall sends its audio as RED (Chromium does when
// answered RED first): the recording's audio and the hall's own Ogg file
// hold the primary Opus frames, decode cleanly and last as it spoke.
func TestRecordREDSpeaker(t *testing.T) {
	testmedia.Need(t)
	b := setup(t, sfu.Config{})
	const room = "meeting-red"
	a := b.dial(t, room, "hall-a", sfuclient.Options{RED: true})
	h := publishReal(t, a, testmedia.VP8, 0)
	waitTrack(t, b.dial(t, room, "hall-b", sfuclient.Options{}), "hall-a/camera")
	rec, err := b.s.StartRecording(room, recordDir(t))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	h.speak(true)
	time.Sleep(3 * time.Second)
	h.speak(false)
	time.Sleep(time.Second)
	res, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if msg := testmedia.Decode(t, res.Main); msg != "" {
		t.Errorf("main: ffmpeg printed:\n%s", msg)
	}
	if len(res.Speakers) != 1 {
		t.Fatalf("speakers %+v, want hall-a", res.Speakers)
	}
	sp := res.Speakers[0]
	if msg := testmedia.Decode(t, sp.Path); msg != "" {
		t.Errorf("speaker: ffmpeg printed:\n%s", msg)
	}
	want := h.spoken(rec.StartedAt(), time.Now())
	within(t, "speaker file", testmedia.End(t, sp.Path, "audio"), want, 200*time.Millisecond)
}
