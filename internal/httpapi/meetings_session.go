package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/cluster"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/meeting"
	"github.com/cau-gov/cau/internal/roomtoken"
)

// RoomSigner signs SFU room tokens (internal/roomtoken.Signer).
type RoomSigner interface {
	Sign(c roomtoken.Claims, ttl time.Duration) (string, error)
}

type currentItem struct {
	ItemID *meeting.ItemID `json:"item_id"`
}

func (s *Server) setCurrentItem(ctx context.Context, p *auth.Principal, id meeting.ID, in currentItem) (none, error) {
	return none{}, s.Meetings.SetItem(ctx, p, id, in.ItemID)
}

type floorRequest struct {
	HallID *auth.HallID `json:"hall_id"`
}

// requestFloor takes an optional body naming the hall that asks.
func (s *Server) requestFloor(ctx context.Context, p *auth.Principal, id meeting.ID, in floorRequest) (map[string]any, error) {
	req, err := s.Meetings.RequestFloor(ctx, p, id, in.HallID)
	return map[string]any{"request_id": req}, err
}

func (s *Server) openVote(ctx context.Context, p *auth.Principal, id meeting.ID, in meeting.VoteInput) (map[string]any, error) {
	v, err := s.Meetings.OpenVote(ctx, p, id, in)
	return map[string]any{"vote_id": v}, err
}

type ballot struct {
	Choice string `json:"choice"`
}

func (s *Server) castBallot(ctx context.Context, p *auth.Principal, id meeting.ID, vote meeting.VoteID, in ballot) (none, error) {
	return none{}, s.Meetings.Cast(ctx, p, id, vote, in.Choice)
}

type hallMute struct {
	Muted *bool `json:"muted"`
}

func (s *Server) muteHall(ctx context.Context, p *auth.Principal, id meeting.ID, hall auth.HallID, in hallMute) (none, error) {
	if in.Muted == nil {
		return none{}, fault.Field("muted", fault.Required)
	}
	return none{}, s.Meetings.MuteHall(ctx, p, id, hall, *in.Muted)
}

type moderation struct {
	Action string `json:"action"`
	meeting.Target
}

// moderate mutes, unmutes, asks to unmute, removes or readmits a hall or
// a person of the call (docs/meeting-events.md).
func (s *Server) moderate(ctx context.Context, p *auth.Principal, id meeting.ID, in moderation) (none, error) {
	return none{}, s.Meetings.Moderate(ctx, p, id, in.Action, in.Target)
}

// setRoom locks, unlocks, ends or reopens the call.
func (s *Server) setRoom(ctx context.Context, p *auth.Principal, id meeting.ID, in meeting.RoomInput) (none, error) {
	return none{}, s.Meetings.SetRoom(ctx, p, id, in)
}

type attendance struct {
	Status string       `json:"status"`
	HallID *auth.HallID `json:"hall_id"`
}

func (s *Server) markAttendance(ctx context.Context, p *auth.Principal, id meeting.ID, user auth.UserID, in attendance) (none, error) {
	return none{}, s.Meetings.MarkAttendance(ctx, p, id, user, in.Status, in.HallID)
}

func (s *Server) sessionSnapshot(ctx context.Context, p *auth.Principal, id meeting.ID) (meeting.Snapshot, error) {
	snap, _, err := s.Meetings.Snapshot(ctx, p, id)
	return snap, err
}

func (s *Server) sessionEvents(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	_, since, a, err := s.eventsFrom(r, p)
	if err != nil {
		return err
	}
	evs, err := s.Meetings.EventsSince(r.Context(), a, since, 1000)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": nonNil(evs)})
	return nil
}

// eventsFrom reads the meeting of the path and ?since= of a request for
// the session's events, and the caller's standing in that meeting.
func (s *Server) eventsFrom(r *http.Request, p *auth.Principal) (meeting.ID, int64, meeting.Access, error) {
	id, err := meetingID(r)
	if err != nil {
		return 0, 0, meeting.Access{}, err
	}
	since, err := querySeq(r)
	if err != nil {
		return 0, 0, meeting.Access{}, err
	}
	a, err := s.Meetings.Access(r.Context(), id, p)
	return id, since, a, err
}

func querySeq(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("since")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fault.Field("since", fault.WrongFormat)
	}
	return n, nil
}

type joinInput struct {
	HallID  *auth.HallID `json:"hall_id"`
	Console bool         `json:"console"`
}

// joinMeeting hands out a room token for the SFU.
func (s *Server) joinMeeting(ctx context.Context, p *auth.Principal, id meeting.ID, in joinInput) (map[string]any, error) {
	if in.Console && in.HallID != nil {
		return nil, fault.Field("console", fault.NotAllowed) // a console watches as its person, not as a hall
	}
	var g meeting.JoinGrant
	var err error
	if in.Console {
		g, err = s.Meetings.JoinConsole(ctx, p, id)
	} else {
		g, err = s.Meetings.Join(ctx, p, id, in.HallID)
	}
	if err != nil {
		return nil, err
	}
	if s.RoomTokens == nil {
		return nil, meeting.ErrMediaUnavailable
	}
	tok, err := s.RoomTokens.Sign(roomtoken.Claims{Room: g.Room, Identity: g.Identity, Name: g.Name, Kind: g.Kind, Perms: g.Perms}, s.cfg.Tokens.RoomTTL)
	if err != nil {
		return nil, err
	}
	ice := []string{}
	for _, srv := range s.cfg.RTC.ICEServers {
		ice = append(ice, srv.URLs...)
	}
	out := map[string]any{"room": g.Room, "token": tok, "signaling_url": cluster.SignalingURL(s.cfg.HTTP.PublicURL),
		"ice_servers": ice, "permissions": g.Perms, "identity": g.Identity, "expires_in": int(s.cfg.Tokens.RoomTTL.Seconds())}
	if s.Placement != nil {
		// Several SFU nodes: the one serving the hall's (or the person's)
		// unit, else the room's home, else the least loaded.
		node, err := s.Placement.Place(ctx, g.Room, in.HallID, p.UnitID)
		if err != nil {
			return nil, err
		}
		out["signaling_url"], out["node_url"] = cluster.SignalingURL(node), node
	}
	return out, nil
}
