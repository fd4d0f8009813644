package sfu

import "time"

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
	Stats     bool // receive everyone's stats (a technician's console)
	// Hall says the grant is an invited hall's: a locked room admits it.
	Hall bool
	// IssuedAt is when the grant was issued: a removal or the end of the
	// call refuses grants issued up to it (zero counts as before any).
	IssuedAt time.Time
	// Holder is who the grant was issued to when Identity differs (a WHEP
	// player's identity carries a suffix); removing the holder removes it.
	Holder ParticipantID
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
