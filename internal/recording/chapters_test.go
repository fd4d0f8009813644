package recording

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/meeting"
)

func ev(seq int64, at time.Time, typ string, data map[string]any) meeting.Event {
	b, _ := json.Marshal(data)
	return meeting.Event{Seq: seq, At: at, Type: typ, Data: b}
}

func TestChapters(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	u, h := auth.UserID(7), auth.HallID(3)
	names := Names{Users: map[auth.UserID]string{u: "Trần Văn Quang"}, Halls: map[auth.HallID]string{h: "Điểm cầu huyện Đức Trọng"}}
	evs := []meeting.Event{
		ev(1, at(-60), meeting.EventSessionOpened, nil),
		ev(2, at(-50), meeting.EventItemStarted, map[string]any{"item_id": 10, "position": 1, "title": "Báo cáo"}),
		ev(3, at(0), EventStarted, nil),
		ev(4, at(12.345), meeting.EventItemEnded, map[string]any{"item_id": 10}),
		ev(5, at(12.345), meeting.EventItemStarted, map[string]any{"item_id": 11, "position": 2, "title": "Kế hoạch\nnăm --> 2027"}),
		ev(6, at(20), meeting.EventSpeakGranted, map[string]any{"user_id": 7, "hall_id": 3}),
		ev(7, at(30.5), meeting.EventVoteOpened, map[string]any{"question": "Thông qua?"}),
		ev(8, at(31), meeting.EventVoteClosed, nil),
		ev(9, at(90), meeting.EventItemStarted, map[string]any{"item_id": 12, "position": 3, "title": "Sau khi dừng"}),
	}
	stop := at(60)
	r := Recording{StartedAt: t0, StoppedAt: &stop}
	cs := Chapters(r, evs, names)
	want := []struct {
		ms    int64
		kind  string
		title string
	}{{0, ChapterItem, "1. Báo cáo"}, {12345, ChapterItem, "2. Kế hoạch\nnăm --> 2027"}, {20000, ChapterFloor, "Trần Văn Quang — Điểm cầu huyện Đức Trọng"}, {30500, ChapterVote, "Thông qua?"}}
	if len(cs) != len(want) {
		t.Fatalf("%d chapters %+v, want %d", len(cs), cs, len(want))
	}
	for i, w := range want {
		if cs[i].AtMS != w.ms || cs[i].Kind != w.kind || cs[i].Title != w.title {
			t.Errorf("chapter %d: %d %s %q, want %d %s %q", i, cs[i].AtMS, cs[i].Kind, cs[i].Title, w.ms, w.kind, w.title)
		}
	}
	vtt := VTT(cs, time.Minute)
	for _, line := range []string{"WEBVTT", "00:00:00.000 --> 00:00:12.345", "2. Kế hoạch năm -> 2027", "00:00:30.500 --> 00:01:00.000", "Phát biểu: Trần Văn Quang", "Biểu quyết: Thông qua?"} {
		if !strings.Contains(vtt, line) {
			t.Errorf("VTT lacks %q:\n%s", line, vtt)
		}
	}

	// An item ended before the start opens nothing; a recording that
	// starts with no item and no event in it has no chapters.
	evs2 := []meeting.Event{evs[1], ev(3, at(-5), meeting.EventItemEnded, map[string]any{"item_id": 10})}
	if cs := Chapters(r, evs2, names); len(cs) != 0 {
		t.Errorf("chapters %+v, want none", cs)
	}
}
