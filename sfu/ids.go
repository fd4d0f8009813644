package sfu

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
