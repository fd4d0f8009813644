// Package meeting holds the rules of meetings: who creates and manages them,
// invitations of halls and people, the agenda, publication with
// notifications, and the live session (current item, floor, votes, mute,
// roll call) recorded as a numbered event log. It declares the store,
// notifier, media and event publisher it needs; internal/store, internal/notify,
// the SFU and internal/live implement them.
package meeting

import (
	"time"

	"github.com/cau-gov/cau/internal/auth"
)

// ID identifies a meeting; ItemID an agenda item.
type (
	ID     int64
	ItemID int64
	// RequestID identifies a speaking request; VoteID a vote.
	RequestID int64
	VoteID    int64
)

// Role is a person's role in one meeting (not their account role).
type Role string

// Meeting roles.
const (
	RoleChair     Role = "chair"
	RoleSecretary Role = "secretary"
	RoleDelegate  Role = "delegate"
	RolePresenter Role = "presenter"
	RoleGuest     Role = "guest"
	RoleObserver  Role = "observer"
)

// Valid reports whether r is a known meeting role.
func (r Role) Valid() bool {
	switch r {
	case RoleChair, RoleSecretary, RoleDelegate, RolePresenter, RoleGuest, RoleObserver:
		return true
	}
	return false
}

// Status is where a meeting is in its life: draft → published →
// in_session → ended, or cancelled before it ends.
type Status string

// Meeting statuses.
const (
	StatusDraft     Status = "draft"
	StatusPublished Status = "published"
	StatusInSession Status = "in_session"
	StatusEnded     Status = "ended"
	StatusCancelled Status = "cancelled"
)

// Kind is the sort of meeting.
type Kind string

// Meeting kinds.
const (
	KindRegular        Kind = "regular"         // họp thường kỳ
	KindBriefing       Kind = "briefing"        // giao ban
	KindProvinceOnline Kind = "province_online" // hội nghị trực tuyến toàn tỉnh
)

// Meeting is a scheduled session.
type Meeting struct {
	ID              ID          `json:"id"`
	Kind            Kind        `json:"kind"`
	Title           string      `json:"title"`
	Description     string      `json:"description"`
	Place           string      `json:"place"`
	Status          Status      `json:"status"`
	StartsAt        time.Time   `json:"starts_at"`
	EndsAt          time.Time   `json:"ends_at"`
	UnitID          auth.UnitID `json:"unit_id"`
	CreatedBy       auth.UserID `json:"created_by"`
	ScheduleVersion int         `json:"schedule_version"`
	PublishedAt     *time.Time  `json:"published_at"`
	OpenedAt        *time.Time  `json:"opened_at"`
	ClosedAt        *time.Time  `json:"closed_at"`
	CancelledAt     *time.Time  `json:"cancelled_at"`
	CancelReason    string      `json:"cancel_reason"`
	CurrentItemID   *ItemID     `json:"current_item_id"`
	LastSeq         int64       `json:"last_seq"`
	CreatedAt       time.Time   `json:"created_at"`
	UpdatedAt       time.Time   `json:"updated_at"`
}

// Participant is an invited person.
type Participant struct {
	UserID   auth.UserID  `json:"user_id"`
	FullName string       `json:"full_name"`
	Email    string       `json:"-"`
	UnitID   auth.UnitID  `json:"unit_id"`
	Role     Role         `json:"role"`
	HallID   *auth.HallID `json:"hall_id"`
	// UnitName is the person's unit, for their tile in the room
	// ("Trần Văn Quang — UBND huyện Đức Trọng"); read-only.
	UnitName string `json:"unit_name"`
}

// Hall is an invited hall.
type Hall struct {
	HallID auth.HallID `json:"hall_id"`
	UnitID auth.UnitID `json:"unit_id"`
	Code   string      `json:"code"`
	Name   string      `json:"name"`
}

// Item is an agenda item.
type Item struct {
	ID              ItemID       `json:"id"`
	MeetingID       ID           `json:"meeting_id"`
	Position        int          `json:"position"`
	Title           string       `json:"title"`
	Description     string       `json:"description"`
	PresenterUserID *auth.UserID `json:"presenter_user_id"`
	PresenterUnitID *auth.UnitID `json:"presenter_unit_id"`
	PlannedMinutes  int          `json:"planned_minutes"`
	StartedAt       *time.Time   `json:"started_at"`
	EndedAt         *time.Time   `json:"ended_at"`
	// PlannedAt is when the item is planned to start (nil: not planned).
	PlannedAt *time.Time `json:"planned_at"`
}

// Access is what a principal may do in one meeting.
type Access struct {
	MeetingID ID
	Status    Status
	// Roles are the principal's roles in this meeting.
	Roles []Role
	// HallIDs are the invited halls the principal operates.
	HallIDs []auth.HallID
	// Organizer: creator, chair or secretary of the meeting (or an admin):
	// may manage it.
	Organizer bool
	// Chair: runs the session (the chair, or an organizer standing in).
	Chair bool
}

// CanManage reports whether the principal may change the meeting.
func (a Access) CanManage() bool { return a.Organizer }

// Has reports whether the principal holds role r in the meeting.
func (a Access) Has(r Role) bool {
	for _, x := range a.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// OperatesHall reports whether h is an invited hall the principal operates.
func (a Access) OperatesHall(h auth.HallID) bool {
	for _, x := range a.HallIDs {
		if x == h {
			return true
		}
	}
	return false
}
