package meeting

import (
	"time"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
)

// Event types of the session log (docs/meeting-events.md shows each).
const (
	EventSessionOpened    = "session.opened"
	EventSessionClosed    = "session.closed"
	EventMeetingChanged   = "meeting.changed"
	EventItemStarted      = "item.started"
	EventItemEnded        = "item.ended"
	EventAgendaChanged    = "agenda.changed"
	EventSpeakRequested   = "speaking.requested"
	EventSpeakWithdrawn   = "speaking.withdrawn"
	EventSpeakGranted     = "speaking.granted"
	EventSpeakEnded       = "speaking.ended"
	EventVoteOpened       = "vote.opened"
	EventVoteBallot       = "vote.ballot"
	EventVoteTally        = "vote.tally"
	EventVoteClosed       = "vote.closed"
	EventHallMuted        = "hall.muted"
	EventHallConnected    = "hall.connected"
	EventHallDisconnected = "hall.disconnected"
	EventAttendance       = "attendance.marked"
	// Moderation of the call.
	EventPersonMuted     = "person.muted"
	EventUnmuteRequested = "unmute.requested"
	EventRemoved         = "participant.removed"
	EventReadmitted      = "participant.readmitted"
	EventRoomChanged     = "room.changed"
)

// CommandKind names a session change.
type CommandKind string

// Session commands.
const (
	CmdSetItem      CommandKind = "set_item"
	CmdRequestFloor CommandKind = "request_floor"
	CmdWithdraw     CommandKind = "withdraw"
	CmdGrant        CommandKind = "grant"
	CmdEndFloor     CommandKind = "end_floor"
	CmdOpenVote     CommandKind = "open_vote"
	CmdCastBallot   CommandKind = "cast_ballot"
	CmdCloseVote    CommandKind = "close_vote"
	CmdHallPresence CommandKind = "hall_presence"
	CmdAttendance   CommandKind = "attendance"
	CmdModerate     CommandKind = "moderate"
	CmdRoom         CommandKind = "room"
)

// Attendance statuses of a person.
const (
	AttendInHall = "in_hall"
	AttendOnline = "online"
	AttendAbsent = "absent"
)

// Command is one change of the live session; the store applies it under
// the meeting's row lock when the meeting's status is in Allowed.
type Command struct {
	Kind    CommandKind
	Allowed []Status
	At      time.Time
	Actor   *auth.UserID
	// Item: the item to put on screen (nil: none).
	Item *ItemID
	// Request: the speaking request to withdraw, grant or end.
	Request RequestID
	// User and Hall: who asks for the floor, whose attendance, which hall.
	User *auth.UserID
	Hall *auth.HallID
	// OnlyOwn: withdraw only if the request is User's (or one of Halls').
	OnlyOwn bool
	Halls   []auth.HallID
	// Vote fields.
	Vote       VoteID
	Question   string
	Options    []string
	Secret     bool
	VoterRoles []Role
	Base       Base
	Rule       Rule
	Choice     string
	// Muted, Connected, Attendance: hall mute, hall presence, person status.
	Muted      bool
	Connected  bool
	Attendance string
	// Action: the moderation (ActMute…) on Hall or User.
	Action string
	// RoomState and SecretaryModerates: the call's new state.
	RoomState          string
	SecretaryModerates *bool
	// Audit, if set, is appended in the command's transaction.
	Audit *audit.Entry
}

// Snapshot is the live session's state at Seq: what a browser shows when it
// connects, before the events after Seq.
type Snapshot struct {
	MeetingID     ID           `json:"meeting_id"`
	Seq           int64        `json:"seq"`
	Status        Status       `json:"status"`
	CurrentItemID *ItemID      `json:"current_item_id"`
	Agenda        []Item       `json:"agenda"`
	Queue         []Request    `json:"queue"`
	Vote          *Vote        `json:"vote"`
	Halls         []HallState  `json:"halls"`
	Attendance    []Attendance `json:"attendance"`
	LastVotes     []Vote       `json:"closed_votes"`
	// Room and People: the call's moderation (docs/meeting-events.md).
	Room   RoomControl   `json:"room"`
	People []PersonState `json:"people"`
	// Recording is the running recording (nil: none): every browser shows
	// "Đang ghi hình" while it is set (internal/recording).
	Recording *LiveRecording `json:"recording"`
}

// LiveRecording is a session's running recording.
type LiveRecording struct {
	ID        int64     `json:"id"`
	Part      int       `json:"part"`
	StartedAt time.Time `json:"started_at"`
}

// Request is a speaking request.
type Request struct {
	ID          RequestID    `json:"id"`
	UserID      *auth.UserID `json:"user_id"`
	HallID      *auth.HallID `json:"hall_id"`
	ItemID      *ItemID      `json:"item_id"`
	Status      string       `json:"status"`
	RequestedAt time.Time    `json:"requested_at"`
	GrantedAt   *time.Time   `json:"granted_at"`
	EndedAt     *time.Time   `json:"ended_at"`
}

// Vote is a question put to the delegates. Counts is nil while a secret
// vote is open, and for non-organizers while any vote is open.
type Vote struct {
	ID         VoteID         `json:"id"`
	ItemID     *ItemID        `json:"item_id"`
	Question   string         `json:"question"`
	Options    []string       `json:"options"`
	Secret     bool           `json:"secret"`
	VoterRoles []Role         `json:"voter_roles"`
	Status     string         `json:"status"`
	OpenedAt   time.Time      `json:"opened_at"`
	ClosedAt   *time.Time     `json:"closed_at"`
	Ballots    int            `json:"ballots"`
	Eligible   int            `json:"eligible"`
	Counts     map[string]int `json:"counts"`
	Base       Base           `json:"base"`
	Rule       Rule           `json:"rule"`
	// BaseCount and Passed are fixed when the vote closes (nil while open).
	BaseCount *int  `json:"base_count"`
	Passed    *bool `json:"passed"`
}

// HallState is a hall's roll call and mute state.
type HallState struct {
	HallID    auth.HallID `json:"hall_id"`
	Connected bool        `json:"connected"`
	Since     time.Time   `json:"since"`
	Muted     bool        `json:"muted"`
	Removed   bool        `json:"removed"`
}

// Attendance is a person's roll call state.
type Attendance struct {
	UserID auth.UserID  `json:"user_id"`
	Status string       `json:"status"`
	HallID *auth.HallID `json:"hall_id"`
	Since  time.Time    `json:"since"`
	// JoinedAt is the first arrival; LeftAt the last departure (nil while
	// present or never seen).
	JoinedAt *time.Time `json:"joined_at"`
	LeftAt   *time.Time `json:"left_at"`
}
