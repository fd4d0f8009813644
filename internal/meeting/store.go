package meeting

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/notify"
)

// Store is what the meeting service needs from storage (internal/store
// implements it). Methods that change a session lock the meeting's row,
// check its status is one of the allowed ones (else ErrInvalidState),
// apply the change and append the events, all in one transaction.
type Store interface {
	CreateMeeting(ctx context.Context, m Meeting, people []Participant, e audit.Entry) (Meeting, error)
	// Ancestry is a unit and the units above it (an error if it does not exist).
	Ancestry(ctx context.Context, id auth.UnitID) ([]auth.UnitID, error)
	Meeting(ctx context.Context, id ID) (Meeting, error)
	// MemberOf answers p's standing: its roles and which of halls are invited.
	MemberOf(ctx context.Context, id ID, user auth.UserID, halls []auth.HallID) (m Meeting, roles []Role, invited []auth.HallID, err error)
	ListMeetings(ctx context.Context, f ListFilter) ([]Meeting, error)
	UpdateMeeting(ctx context.Context, m Meeting, allowed []Status, e audit.Entry, n *notify.Template) (Meeting, []int64, error)
	Transition(ctx context.Context, id ID, t Transition) (Meeting, []Event, []int64, error)

	Participants(ctx context.Context, id ID) ([]Participant, error)
	MeetingHalls(ctx context.Context, id ID) ([]Hall, error)
	// HallName is a hall's display name (for the SFU and the console).
	HallName(ctx context.Context, hall auth.HallID) (string, error)
	// InviteHalls adds the active halls that sel picks; it returns how many were new.
	InviteHalls(ctx context.Context, id ID, sel HallSelection, allowed []Status, e audit.Entry, n *notify.Template) (int, []int64, error)
	RemoveHall(ctx context.Context, id ID, hall auth.HallID, allowed []Status, e audit.Entry) error
	SetParticipant(ctx context.Context, id ID, p Participant, allowed []Status, e audit.Entry, n *notify.Template) ([]int64, error)
	RemoveParticipant(ctx context.Context, id ID, user auth.UserID, allowed []Status, e audit.Entry) error

	Agenda(ctx context.Context, id ID) ([]Item, error)
	AddItem(ctx context.Context, it Item, allowed []Status, e audit.Entry) (Item, []Event, error)
	UpdateItem(ctx context.Context, it Item, allowed []Status, e audit.Entry) (Item, []Event, error)
	MoveItem(ctx context.Context, id ID, item ItemID, position int, allowed []Status, e audit.Entry) ([]Event, error)
	RemoveItem(ctx context.Context, id ID, item ItemID, allowed []Status, e audit.Entry) ([]Event, error)

	Session(ctx context.Context, id ID, c Command) ([]Event, error)
	// RoomControl is the call's moderation state; Standing a hall's or
	// person's (zero when never moderated nor present).
	RoomControl(ctx context.Context, id ID) (RoomControl, error)
	Standing(ctx context.Context, id ID, t Target) (Standing, error)
	Snapshot(ctx context.Context, id ID) (Snapshot, error)
	EventsSince(ctx context.Context, id ID, seq int64, limit int) ([]Event, error)
}

// ListFilter selects meetings for the list: those user is invited to (or
// organizes, or operates a hall of), unless All (admins).
type ListFilter struct {
	User  auth.UserID
	Halls []auth.HallID
	All   bool
	From  *time.Time // starts_at >= From
	To    *time.Time // starts_at < To
	// Cancelled: nil lists every status, false leaves cancelled meetings
	// out, true lists only them.
	Cancelled *bool
	Limit     int
}

// HallSelection picks halls from the unit tree: the halls of UnitID (and of
// every unit below it with IncludeDescendants), optionally only of units at
// Level; or the listed HallIDs.
type HallSelection struct {
	UnitID             *auth.UnitID  `json:"unit_id"`
	IncludeDescendants bool          `json:"include_descendants"`
	Level              string        `json:"level"`
	HallIDs            []auth.HallID `json:"hall_ids"`
}

// Transition moves a meeting between statuses (publish, cancel, open, close).
type Transition struct {
	From   []Status
	To     Status
	At     time.Time
	Reason string // cancel reason
	Actor  auth.UserID
	Event  string // session event to append, if any
	// Require is a meeting role someone must hold, checked under the row
	// lock (else ErrChairRequired): publication needs a chair.
	Require Role
	Audit   audit.Entry
	Notice  *notify.Template
}

// Event is one entry of a session's event log.
type Event struct {
	MeetingID ID              `json:"meeting_id"`
	Seq       int64           `json:"seq"`
	At        time.Time       `json:"at"`
	Type      string          `json:"type"`
	ActorID   *auth.UserID    `json:"actor_id,omitempty"`
	Data      json.RawMessage `json:"data"`
}

// OrganizersOnly reports whether only the meeting's organizers receive the
// event live (the running count of an open vote).
func (e Event) OrganizersOnly() bool { return e.Type == EventVoteTally }
