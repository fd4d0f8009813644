package recording

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/meeting"
)

// Chapter kinds.
const (
	ChapterItem  = "item"  // an agenda item came on screen
	ChapterFloor = "floor" // the chair gave someone the floor
	ChapterVote  = "vote"  // a vote opened
)

// Chapter is a mark in a recording: a session event at its time in the
// file (the event's time minus the recording's StartedAt).
type Chapter struct {
	AtMS int64  `json:"at_ms"`
	Kind string `json:"kind"`
	// Title is "N. item title", the speaker's name (and hall), or the
	// vote's question: clients say which kind in their language; the
	// WebVTT cues say it in Vietnamese (vttPrefix).
	Title    string          `json:"title"`
	ItemID   *meeting.ItemID `json:"item_id,omitempty"`
	Position int             `json:"position,omitempty"`
	// EventSeq is the session event it marks (0 for the item already on
	// screen when the recording started).
	EventSeq int64     `json:"event_seq"`
	At       time.Time `json:"at"`
}

// Names are the speakers' names for floor chapters.
type Names struct {
	Users map[auth.UserID]string
	Halls map[auth.HallID]string
}

// Chapters builds a part's chapters from its meeting's events up to its
// stop: the item on screen when it started opens it at 0, then every item
// start, floor grant and vote opening between start and stop.
func Chapters(r Recording, evs []meeting.Event, names Names) []Chapter {
	var out []Chapter
	var current *Chapter // the item on screen before the start
	stop := r.StartedAt.Add(1 << 62)
	if r.StoppedAt != nil {
		stop = *r.StoppedAt
	}
	for _, e := range evs {
		if e.At.After(stop) {
			break
		}
		c, ok := chapterOf(e, names)
		if e.At.Before(r.StartedAt) {
			switch {
			case ok && c.Kind == ChapterItem:
				current = &c
			case e.Type == meeting.EventItemEnded:
				current = nil
			}
			continue
		}
		if current != nil {
			current.AtMS, current.EventSeq, current.At = 0, 0, r.StartedAt
			out = append(out, *current)
			current = nil
		}
		if !ok {
			continue
		}
		c.AtMS = e.At.Sub(r.StartedAt).Milliseconds()
		out = append(out, c)
	}
	if current != nil {
		current.AtMS, current.EventSeq, current.At = 0, 0, r.StartedAt
		out = append(out, *current)
	}
	return out
}

func chapterOf(e meeting.Event, names Names) (Chapter, bool) {
	c := Chapter{Kind: "", EventSeq: e.Seq, At: e.At}
	switch e.Type {
	case meeting.EventItemStarted:
		var d struct {
			ItemID   meeting.ItemID `json:"item_id"`
			Position int            `json:"position"`
			Title    string         `json:"title"`
		}
		if json.Unmarshal(e.Data, &d) != nil {
			return c, false
		}
		c.Kind, c.ItemID, c.Position, c.Title = ChapterItem, &d.ItemID, d.Position, fmt.Sprintf("%d. %s", d.Position, d.Title)
	case meeting.EventSpeakGranted:
		var d struct {
			UserID *auth.UserID `json:"user_id"`
			HallID *auth.HallID `json:"hall_id"`
		}
		if json.Unmarshal(e.Data, &d) != nil {
			return c, false
		}
		var who []string
		if d.UserID != nil {
			who = append(who, names.Users[*d.UserID])
		}
		if d.HallID != nil {
			who = append(who, names.Halls[*d.HallID])
		}
		c.Kind, c.Title = ChapterFloor, strings.Join(nonEmpty(who), " — ")
	case meeting.EventVoteOpened:
		var d struct {
			Question string `json:"question"`
		}
		if json.Unmarshal(e.Data, &d) != nil {
			return c, false
		}
		c.Kind, c.Title = ChapterVote, d.Question
	default:
		return c, false
	}
	return c, true
}

func nonEmpty(ss []string) []string {
	out := ss[:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// VTT renders chapters as WebVTT (a <track kind="chapters">): each cue
// runs to the next chapter, the last to the end of the file.
func VTT(cs []Chapter, duration time.Duration) string {
	var b strings.Builder
	b.WriteString("WEBVTT\n")
	for i, c := range cs {
		end := duration
		if i+1 < len(cs) {
			end = time.Duration(cs[i+1].AtMS) * time.Millisecond
		}
		start := time.Duration(c.AtMS) * time.Millisecond
		if end <= start {
			end = start + time.Millisecond
		}
		fmt.Fprintf(&b, "\n%d\n%s --> %s\n%s%s\n", i+1, vttTime(start), vttTime(end), vttPrefix[c.Kind], cueText(c.Title))
	}
	return b.String()
}

// vttPrefix names a chapter's kind in its WebVTT cue (the archive's language).
var vttPrefix = map[string]string{ChapterFloor: "Phát biểu: ", ChapterVote: "Biểu quyết: "}

func vttTime(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// cueText keeps a title on its cue's one line and out of the timing syntax.
func cueText(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ", "-->", "->").Replace(s)
	return s
}
