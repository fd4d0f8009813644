package task

import "errors"

// Errors of the task domain; the HTTP layer maps them to statuses.
var (
	// ErrInvalid means a field is malformed (details in a ValidationError).
	ErrInvalid = errors.New("invalid task")
	// ErrNotFound means no such task or extension request.
	ErrNotFound = errors.New("task not found")
	// ErrForbidden means the principal may not do this to this task.
	ErrForbidden = errors.New("not allowed for this task")
	// ErrState means the task is not in a state that allows the change
	// (completing a cancelled task, deciding a decided extension).
	ErrState = errors.New("task state does not allow this")
)

// ValidationError lists the fields that are wrong.
type ValidationError struct{ Fields map[string]string }

func (e *ValidationError) Error() string { return "invalid task fields" }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }
