package sfu

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"
)

// A recording keeps the audio of every participant that speaks as its own
// Ogg Opus file, for the office to check a speech. It taps every audio
// track of the room (relay.go's tap: a copy to a goroutine of its own,
// never blocking the reader); only audible tracks carry packets (the
// loudest Config.AudioLastN), so a 160-hall room costs what its few
// speakers send. Each packet's own audio level (RFC 6464) says whether it
// is speech: a file opens at the first speech packet, and silence is
// written only when speech follows it, so the file runs from the first
// word to the last.

// speakerGapKept is the longest silence kept between two speeches of one
// participant; a longer one is cut to it (First/Last say the real times).
const speakerGapKept = 30 * time.Second

type speaker struct {
	t      *upTrack
	id     ParticipantID
	name   string
	path   string
	untap  func()
	w      *oggwriter.OggWriter
	first  time.Duration
	last   time.Duration
	tail   []*rtp.Packet // silence since the last speech
	err    error
	closed bool
}

// watch taps an audio track for its speaker's file (once per track).
func (c *recorder) watch(t *upTrack) {
	c.smu.Lock()
	if c.speakers == nil || c.speakers[t] != nil {
		c.smu.Unlock()
		return
	}
	sp := &speaker{t: t, id: t.owner.id, name: t.owner.grant.Name}
	c.speakers[t] = sp
	c.order = append(c.order, sp)
	c.smu.Unlock()
	untap := t.tap(nil, func(_ int, _ bool, b []byte) { c.onSpeakerPacket(sp, b) })
	c.smu.Lock()
	sp.untap = untap
	c.smu.Unlock()
}

func (c *recorder) onSpeakerPacket(sp *speaker, b []byte) {
	var pkt rtp.Packet
	if err := pkt.Unmarshal(b); err != nil {
		return
	}
	speech := true // without levels, all that is forwarded counts
	if id := sp.t.levelID; id != 0 {
		lv, _, ok := audioLevel(pkt.GetExtension(id))
		speech = ok && int32(lv) < speakingLevel
	}
	pkt.Extension, pkt.Extensions = false, nil
	c.smu.Lock()
	defer c.smu.Unlock()
	if sp.closed || sp.err != nil {
		return
	}
	now := time.Since(c.rec.started)
	if c.after(now.Milliseconds()) {
		return
	}
	if !speech {
		if sp.w != nil {
			sp.tail = append(sp.tail, &pkt)
			if len(sp.tail) > int(speakerGapKept/(20*time.Millisecond)) {
				sp.tail = sp.tail[1:]
			}
		}
		return
	}
	if sp.w == nil {
		sp.path = c.speakerPath(sp.id)
		w, err := oggwriter.New(sp.path, 48000, 2)
		if err != nil {
			sp.err = err
			c.rec.p.log.Warn("recording: speaker file", "participant", sp.id, "error", err)
			return
		}
		sp.w, sp.first = w, now
	}
	for _, q := range sp.tail {
		c.writeSpeaker(sp, q)
	}
	sp.tail = sp.tail[:0]
	c.writeSpeaker(sp, &pkt)
	sp.last = now + 20*time.Millisecond
}

func (c *recorder) writeSpeaker(sp *speaker, pkt *rtp.Packet) {
	if err := sp.w.WriteRTP(pkt); err != nil && sp.err == nil {
		sp.err = err
	}
}

// speakerPath names a speaker's file after its identity, made safe for a
// file name, and unique in the directory.
func (c *recorder) speakerPath(id ParticipantID) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, string(id))
	name := "speaker-" + safe
	path := filepath.Join(c.rec.dir, name+".ogg")
	for i := 2; c.pathTaken(path); i++ {
		path = filepath.Join(c.rec.dir, fmt.Sprintf("%s-%d.ogg", name, i))
	}
	return path
}

func (c *recorder) pathTaken(path string) bool {
	for _, sp := range c.order {
		if sp.path == path && sp.w != nil {
			return true
		}
	}
	return false
}

// closeSpeakers untaps every track and closes the files of those who
// spoke; silence after the last speech is left out.
func (c *recorder) closeSpeakers() ([]SpeakerTrack, error) {
	c.smu.Lock()
	order := c.order
	c.speakers = nil
	c.smu.Unlock()
	var out []SpeakerTrack
	var errs []error
	for _, sp := range order {
		c.smu.Lock()
		untap := sp.untap
		c.smu.Unlock()
		if untap != nil {
			untap()
		}
		c.smu.Lock()
		sp.closed = true
		w := sp.w
		c.smu.Unlock()
		if sp.err != nil {
			errs = append(errs, fmt.Errorf("speaker %s: %w", sp.id, sp.err))
		}
		if w == nil {
			continue
		}
		if err := w.Close(); err != nil {
			errs = append(errs, fmt.Errorf("speaker %s: %w", sp.id, err))
		}
		out = append(out, SpeakerTrack{Identity: sp.id, Name: sp.name, Path: sp.path, First: sp.first, Last: sp.last})
	}
	return out, errors.Join(errs...)
}
