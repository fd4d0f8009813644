package sfu

import (
	"fmt"
	"time"
)

// RoomID names a room; the meeting service uses "meeting-<id>".
type RoomID string

// ParticipantID identifies a participant within a room: "hall-<id>",
// "user-<id>", "console-<id>".
type ParticipantID string

// TrackID identifies a published track within a room:
// "<participant>/<source>", e.g. "hall-12/camera".
type TrackID string

// FloorTrack is the virtual track whose video follows the floor (the
// pinned speaker, else the active speaker).
const FloorTrack TrackID = "floor"

// Quality is the layer a subscriber wants for a video track.
type Quality int

// Qualities from nothing to the full picture. Layers map to simulcast RIDs
// q (low), h (medium) and f (high); a publisher without simulcast has one
// layer, served for every quality but Off.
const (
	QualityOff Quality = iota
	QualityLow
	QualityMedium
	QualityHigh
)

var qualityNames = [...]string{"off", "low", "medium", "high"}

// String is the wire name of q.
func (q Quality) String() string {
	if q < 0 || int(q) >= len(qualityNames) {
		return fmt.Sprintf("quality(%d)", int(q))
	}
	return qualityNames[q]
}

// ParseQuality reads "off", "low", "medium" or "high".
func ParseQuality(s string) (Quality, error) {
	for i, n := range qualityNames {
		if n == s {
			return Quality(i), nil
		}
	}
	return 0, fmt.Errorf("%w: quality %q (want off, low, medium or high)", ErrInvalid, s)
}

// Kind is what kind of client a participant is.
type Kind string

// Participant kinds.
const (
	KindHall    Kind = "hall"
	KindUser    Kind = "user"
	KindConsole Kind = "console"
	KindWHIP    Kind = "whip"
	KindWHEP    Kind = "whep"
)

// Grant is what a participant may do, decided by the caller (the meeting
// service signs it into a room token; the HTTP layer verifies it).
type Grant struct {
	Room      RoomID
	Identity  ParticipantID
	Name      string
	Kind      Kind // empty means KindUser
	Publish   bool // camera and microphone
	Subscribe bool
	Screen    bool // a screen share track
	Moderate  bool // mute others, receive everyone's stats
}

// Observer hears about room events, for roll call and the minutes. Calls
// are made one at a time from one goroutine, outside any SFU lock, so an
// observer may call back into the SFU; a slow observer delays only later
// observer calls.
type Observer interface {
	ParticipantJoined(room RoomID, id ParticipantID, kind Kind, at time.Time)
	ParticipantLeft(room RoomID, id ParticipantID, kind Kind, at time.Time)
	FloorChanged(room RoomID, id ParticipantID, at time.Time)
}
