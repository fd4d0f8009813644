package meeting

import (
	"context"
	"fmt"

	"github.com/cau-gov/cau/internal/auth"
)

// PermStats receives every participant's link stats in the SFU room
// without the right to mute anyone (internal/roomtoken's name).
const PermStats = "stats"

// ConsoleIdentity is the SFU identity of a person's watching screen: the
// operator console, or a person seated in a connected hall who follows the
// floor on their own screen. It is not UserIdentity, so it never replaces
// the person's own call in another tab and never counts in the roll call.
func ConsoleIdentity(u auth.UserID) string { return fmt.Sprintf("console-%d", u) }

// JoinConsole decides how p watches the meeting's room without publishing:
// everyone invited (in person or through a hall they operate) and every
// organizer receives; hall operators and organizers also get every
// participant's link stats (the technician's console); organizers and the
// chair and secretary moderate. Nothing before publication, nothing after
// the meeting ended or was cancelled.
func (s *Service) JoinConsole(ctx context.Context, p *auth.Principal, id ID) (JoinGrant, error) {
	a, err := s.Access(ctx, id, p)
	if err != nil {
		return JoinGrant{}, err
	}
	switch a.Status {
	case StatusPublished, StatusInSession:
	default:
		return JoinGrant{}, stateError("the meeting is %s: its room is not open", a.Status)
	}
	// A console only watches: a locked room admits it, a removed person or
	// an ended call does not.
	if err := s.admit(ctx, a, id, nil, p.UserID, true); err != nil {
		return JoinGrant{}, err
	}
	g := JoinGrant{Room: RoomName(id), Identity: ConsoleIdentity(p.UserID), Name: p.FullName, Kind: "console",
		Perms: []string{PermSubscribe}}
	moderate := a.CanManage() || a.Has(RoleChair) || a.Has(RoleSecretary)
	if moderate || len(a.HallIDs) > 0 {
		g.Perms = append(g.Perms, PermStats)
	}
	if moderate {
		g.Perms = append(g.Perms, PermModerate)
	}
	return g, nil
}
