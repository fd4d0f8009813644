package meeting

import (
	"context"
	"encoding/json"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
)

// Permissions a join grants in the SFU room (the names of internal/roomtoken).
const (
	PermPublish   = "publish"
	PermSubscribe = "subscribe"
	PermScreen    = "screen"
	PermModerate  = "moderate"
)

// JoinGrant is who joins the SFU room and with what permissions; the
// transport signs it as a room token.
type JoinGrant struct {
	Room     string
	Identity string
	Name     string
	Kind     string // "hall" or "user"
	Perms    []string
}

// Join decides how p enters the meeting's room: as the hall it operates
// (hall != nil) or as itself. Nothing before publication, nothing after the
// meeting ended or was cancelled.
func (s *Service) Join(ctx context.Context, p *auth.Principal, id ID, hall *auth.HallID) (JoinGrant, error) {
	a, err := s.Access(ctx, id, p)
	if err != nil {
		return JoinGrant{}, err
	}
	switch a.Status {
	case StatusPublished, StatusInSession:
	default:
		return JoinGrant{}, stateError("the meeting is %s: its room is not open", a.Status)
	}
	if err := s.admit(ctx, a, id, hall, p.UserID, false); err != nil {
		return JoinGrant{}, err
	}
	g := JoinGrant{Room: RoomName(id)}
	if hall != nil {
		if !a.OperatesHall(*hall) {
			return JoinGrant{}, ErrForbidden
		}
		g.Identity, g.Kind = HallIdentity(*hall), "hall"
		if g.Name, err = s.store.HallName(ctx, *hall); err != nil {
			return JoinGrant{}, err
		}
		// A hall's browser carries the room's camera and microphone.
		g.Perms = []string{PermPublish, PermSubscribe, PermScreen}
		return g, nil
	}
	g.Identity, g.Kind, g.Name = UserIdentity(p.UserID), "user", p.FullName
	perms := map[string]bool{}
	if a.CanManage() {
		perms[PermPublish], perms[PermSubscribe], perms[PermScreen], perms[PermModerate] = true, true, true, true
	}
	for _, r := range a.Roles {
		switch r {
		case RoleChair, RoleSecretary:
			perms[PermPublish], perms[PermSubscribe], perms[PermModerate] = true, true, true
		case RoleDelegate, RoleGuest:
			perms[PermPublish], perms[PermSubscribe] = true, true
		case RolePresenter:
			perms[PermPublish], perms[PermSubscribe], perms[PermScreen] = true, true, true
		case RoleObserver:
			perms[PermSubscribe] = true
		}
	}
	if len(perms) == 0 {
		// An operator without a personal invitation joins only as its hall.
		return JoinGrant{}, fault.Field("hall_id", fault.Required)
	}
	for _, x := range []string{PermPublish, PermSubscribe, PermScreen, PermModerate} {
		if perms[x] {
			g.Perms = append(g.Perms, x)
		}
	}
	return g, nil
}

type eventRefs struct {
	RequestID RequestID    `json:"request_id"`
	VoteID    VoteID       `json:"vote_id"`
	UserID    *auth.UserID `json:"user_id"`
	HallID    *auth.HallID `json:"hall_id"`
}

func refs(e Event) eventRefs {
	var r eventRefs
	_ = json.Unmarshal(e.Data, &r)
	return r
}

func requestOf(evs []Event) RequestID {
	for _, e := range evs {
		if e.Type == EventSpeakRequested {
			return refs(e).RequestID
		}
	}
	return 0
}

func voteOf(evs []Event) VoteID {
	for _, e := range evs {
		if e.Type == EventVoteOpened {
			return refs(e).VoteID
		}
	}
	return 0
}

// speakerIdentity is the SFU identity to pin for a granted request: the
// speaker's hall when known, else the person's own browser.
func speakerIdentity(e Event) string {
	r := refs(e)
	if r.HallID != nil {
		return HallIdentity(*r.HallID)
	}
	if r.UserID != nil {
		return UserIdentity(*r.UserID)
	}
	return ""
}
