package meeting

import (
	"errors"
	"fmt"
)

// Errors the meeting service returns; callers test with errors.Is.
var (
	// ErrNotFound means the meeting (or item, request, vote) does not exist
	// or the caller may not see it: another meeting's existence is never revealed.
	ErrNotFound = errors.New("meeting not found")
	// ErrForbidden means the caller sees the meeting but its role does not allow this.
	ErrForbidden = errors.New("your role in this meeting does not allow this")
	// ErrInvalidState means the meeting (or vote, request) is not in a state
	// that allows the change: publish twice, vote in a draft, grant the floor
	// with the session closed. The wrapped message says which.
	ErrInvalidState = errors.New("invalid state")
	// ErrAlreadyVoted means the voter's ballot is already counted.
	ErrAlreadyVoted = errors.New("you have already voted")
	// ErrChairRequired means a meeting was to be published without a chair:
	// nobody could run its session or approve its minutes.
	ErrChairRequired = errors.New("name the meeting's chair before publishing it")
	// ErrRemoved means the chair removed the hall or person from the call:
	// no room token until readmitted.
	ErrRemoved = errors.New("the chair removed you from the call; ask the chair to readmit you")
	// ErrRoomLocked means the call is locked to invited halls and who was in.
	ErrRoomLocked = errors.New("the room is locked: only invited halls and those already in may join")
	// ErrCallEnded means the chair ended the call for everyone.
	ErrCallEnded = errors.New("the chair ended the call")
)

// ValidationError lists bad input fields and why.
type ValidationError struct{ Fields map[string]string }

func (e *ValidationError) Error() string { return fmt.Sprintf("invalid fields: %v", e.Fields) }

// stateError says why a change is refused now.
func stateError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidState}, args...)...)
}
