package meeting

import (
	"fmt"

	"github.com/cau-gov/cau/internal/fault"
)

// Errors the meeting service returns, in the fault vocabulary.
var (
	// ErrNotFound means the meeting (or item, request, vote) does not exist
	// or the caller may not see it: another meeting's existence is never revealed.
	ErrNotFound = fault.New(fault.NotFound, "not_found", "no such meeting (or you are not invited)")
	// ErrForbidden means the caller sees the meeting but its role does not allow this.
	ErrForbidden = fault.New(fault.Forbidden, "forbidden", "your role in this meeting does not allow this")
	// ErrInvalidState means the meeting (or vote, request) is not in a state
	// that allows the change: publish twice, vote in a draft, grant the floor
	// with the session closed. The wrapped message says which.
	ErrInvalidState = fault.New(fault.Conflict, "invalid_state", "invalid state")
	// ErrAlreadyVoted means the voter's ballot is already counted.
	ErrAlreadyVoted = fault.New(fault.Conflict, "already_voted", "your ballot is already counted")
	// ErrMediaUnavailable means this server runs no SFU.
	ErrMediaUnavailable = fault.New(fault.Unavailable, "media_unavailable", "this server has no SFU configured")
	// ErrNoMediaNode means no SFU node of the cluster is live now (they
	// died or drain); the client asks again.
	ErrNoMediaNode = fault.New(fault.Unavailable, "no_media_node", "no SFU node is available now; try again in a few seconds")
	// ErrChairRequired means a meeting was to be published without a chair:
	// nobody could run its session or approve its minutes.
	ErrChairRequired = fault.New(fault.Conflict, "chair_required", "name the meeting's chair before publishing it")
	// ErrRemoved means the chair removed the hall or person from the call:
	// no room token until readmitted.
	ErrRemoved = fault.New(fault.Forbidden, "removed_from_call", "the chair removed you from the call; ask the chair to readmit you")
	// ErrRoomLocked means the call is locked to invited halls and who was in.
	ErrRoomLocked = fault.New(fault.Conflict, "room_locked", "the room is locked: only invited halls and those already in may join")
	// ErrCallEnded means the chair ended the call for everyone.
	ErrCallEnded = fault.New(fault.Conflict, "call_ended", "the chair ended the call")
)

// stateError says why a change is refused now.
func stateError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidState}, args...)...)
}
