package minutes

import "github.com/cau-gov/cau/internal/fault"

// Errors of the minutes domain, in the fault vocabulary.
var (
	// ErrNotFound means the meeting has no minutes yet (or no such meeting).
	ErrNotFound = fault.New(fault.NotFound, "not_found", "minutes not found")
	// ErrForbidden means the principal has no such role in the meeting.
	ErrForbidden = fault.New(fault.Forbidden, "forbidden", "not allowed for these minutes")
	// ErrExists means the meeting's minutes were already drafted.
	ErrExists = fault.New(fault.Conflict, "minutes_exist", "the minutes of this meeting are already drafted")
	// ErrVersionConflict means another save came first: reload and merge.
	ErrVersionConflict = fault.New(fault.Conflict, "version_conflict", "the minutes were saved by someone else meanwhile; reload, merge and save again")
	// ErrLocked means the minutes are approved and can no longer change.
	ErrLocked = fault.New(fault.Conflict, "minutes_locked", "the minutes are approved and can no longer change")
	// ErrNotApproved means the document needs approved minutes.
	ErrNotApproved = fault.New(fault.Conflict, "minutes_not_approved", "the conclusion notice exists once the minutes are approved")
	// ErrPending means the approved PDF is still being rendered and
	// signed by the distribution job: try again in a moment.
	ErrPending = fault.New(fault.Unavailable, "pdf_pending", "the approved document is being signed and stored; try again in a few seconds")
)
