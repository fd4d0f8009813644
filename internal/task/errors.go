package task

import "github.com/cau-gov/cau/internal/fault"

// Errors of the task domain, in the fault vocabulary.
var (
	// ErrNotFound means no such task or extension request.
	ErrNotFound = fault.New(fault.NotFound, "not_found", "task not found")
	// ErrForbidden means the principal may not do this to this task.
	ErrForbidden = fault.New(fault.Forbidden, "forbidden", "not allowed for this task")
	// ErrState means the task is not in a state that allows the change
	// (completing a cancelled task, deciding a decided extension).
	ErrState = fault.New(fault.Conflict, "invalid_state", "task state does not allow this")
	// ErrBadDay means a date is not YYYY-MM-DD.
	ErrBadDay = fault.New(fault.InvalidInput, "invalid_value", "not a date YYYY-MM-DD")
)
