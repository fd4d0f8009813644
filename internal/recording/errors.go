package recording

import "github.com/cau-gov/cau/internal/fault"

// Errors the service returns, in the fault vocabulary.
var (
	// ErrNotFound means the recording (or its meeting) does not exist or
	// the caller may not see it: another meeting's delegate learns nothing.
	ErrNotFound = fault.New(fault.NotFound, "not_found", "no such recording")
	// ErrForbidden means the caller sees the meeting but may not do this
	// (only its chair or secretary start and stop; only the office sets holds).
	ErrForbidden = fault.New(fault.Forbidden, "forbidden", "your role does not allow this")
	// ErrAlreadyRecording means the meeting's recording already runs.
	ErrAlreadyRecording = fault.New(fault.Conflict, "already_recording", "the session is already being recorded")
	// ErrNotRecording means there is no running recording to stop.
	ErrNotRecording = fault.New(fault.Conflict, "not_recording", "the session is not being recorded")
	// ErrNotInSession means recording needs an open session.
	ErrNotInSession = fault.New(fault.Conflict, "not_in_session", "the session is not open")
	// ErrNoRoom means the session's call has no media yet (no hall has
	// joined), so there is nothing to record.
	ErrNoRoom = fault.New(fault.Conflict, "no_call", "nobody is in the session's call yet")
	// ErrElsewhere means the call is homed on another node of the cluster;
	// recording runs on the room's home node only.
	ErrElsewhere = fault.New(fault.Conflict, "recording_elsewhere", "the call runs on another server; start the recording there (reload the page)")
	// ErrUnavailable means this server records nothing (no SFU, or no recorder).
	ErrUnavailable = fault.New(fault.Unavailable, "recording_unavailable", "this server cannot record")
	// ErrNotReady means the file is still being finished (or failed).
	ErrNotReady = fault.New(fault.Conflict, "recording_not_ready", "the recording is still being prepared")
	// ErrLinkExpired means a signed media link is past its time or forged.
	ErrLinkExpired = fault.New(fault.Forbidden, "link_expired", "the media link has expired; open the recording again")
	// ErrNoHold means there is no legal hold to clear.
	ErrNoHold = fault.New(fault.Conflict, "no_hold", "the meeting has no legal hold")
)
