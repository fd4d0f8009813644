package sfu

import "errors"

// Errors of the SFU; sfu/signal maps them to error codes.
var (
	ErrInvalid       = errors.New("invalid request")
	ErrNotAllowed    = errors.New("not allowed by the participant's grant")
	ErrNoRoom        = errors.New("no such room")
	ErrNoParticipant = errors.New("no such participant")
	ErrNoTrack       = errors.New("no such track")
	ErrClosed        = errors.New("closed")
	ErrTooMany       = errors.New("too many participants in the room")
	ErrBadSDP        = errors.New("bad session description")
	ErrBadResume     = errors.New("unknown or expired session to resume")
	// ErrRevoked: a moderator removed the grant's holder, or ended the
	// call, after the grant was issued; a new grant is needed.
	ErrRevoked = errors.New("the grant was revoked by a moderator")
	// ErrLocked: the room is locked to halls and who was in.
	ErrLocked = errors.New("the room is locked")
	// ErrDraining: the node is leaving the cluster; join through the
	// join API again to be placed on another node.
	ErrDraining = errors.New("this node is draining: join again to move to another node")
	// ErrAlreadyRecording: the room has a recording in progress.
	ErrAlreadyRecording = errors.New("the room is already being recorded")
)

// errUnknownSSRC: a write for a stream GCC's pacer was never given.
var errUnknownSSRC = errors.New("write to an unbound SSRC")
