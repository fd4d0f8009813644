package minutes

import "errors"

// Errors of the minutes domain; the HTTP layer maps them to statuses.
var (
	// ErrNotFound means the meeting has no minutes yet (or no such meeting).
	ErrNotFound = errors.New("minutes not found")
	// ErrForbidden means the principal has no such role in the meeting.
	ErrForbidden = errors.New("not allowed for these minutes")
	// ErrExists means the meeting's minutes were already drafted.
	ErrExists = errors.New("minutes already exist")
	// ErrVersionConflict means another save came first: reload and merge.
	ErrVersionConflict = errors.New("minutes were changed by someone else")
	// ErrLocked means the minutes are approved and can no longer change.
	ErrLocked = errors.New("minutes are approved and locked")
	// ErrNotApproved means the document needs approved minutes.
	ErrNotApproved = errors.New("minutes are not approved yet")
	// ErrPending means the approved PDF is still being rendered and
	// signed by the distribution job: try again in a moment.
	ErrPending = errors.New("the approved document is being prepared")
	// ErrInvalid means a field is malformed (details in a ValidationError).
	ErrInvalid = errors.New("invalid minutes")
)

// ValidationError lists the fields that are wrong.
type ValidationError struct{ Fields map[string]string }

func (e *ValidationError) Error() string { return "invalid minutes fields" }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }
