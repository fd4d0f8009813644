package httpapi

import (
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

// sessionCmd adapts a session command that returns nothing but an error.
func (s *Server) sessionCmd(fn func(r *http.Request, p *auth.Principal, id meeting.ID) error) userHandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
		id, err := meetingID(r)
		if err != nil {
			return err
		}
		if err := fn(r, p, id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (s *Server) setCurrentItem(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		ItemID *meeting.ItemID `json:"item_id"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	return s.sessionCmd(func(r *http.Request, p *auth.Principal, id meeting.ID) error {
		return s.Meetings.SetItem(r.Context(), p, id, in.ItemID)
	})(w, r, p)
}

func (s *Server) requestFloor(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	var in struct {
		HallID *auth.HallID `json:"hall_id"`
	}
	if err := s.decodeOptionalJSON(w, r, &in); err != nil {
		return err
	}
	req, err := s.Meetings.RequestFloor(r.Context(), p, id, in.HallID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"request_id": req})
	return nil
}

func (s *Server) openVote(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	var in meeting.VoteInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := s.Meetings.OpenVote(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"vote_id": v})
	return nil
}

func (s *Server) castBallot(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	vote, err := pathID(r, "vote")
	if err != nil {
		return err
	}
	var in struct {
		Choice string `json:"choice"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	return s.sessionCmd(func(r *http.Request, p *auth.Principal, id meeting.ID) error {
		return s.Meetings.Cast(r.Context(), p, id, meeting.VoteID(vote), in.Choice)
	})(w, r, p)
}

func (s *Server) muteHall(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	hall, err := pathID(r, "hall")
	if err != nil {
		return err
	}
	var in struct {
		Muted *bool `json:"muted"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Muted == nil {
		return fault.Field("muted", fault.Required)
	}
	return s.sessionCmd(func(r *http.Request, p *auth.Principal, id meeting.ID) error {
		return s.Meetings.MuteHall(r.Context(), p, id, auth.HallID(hall), *in.Muted)
	})(w, r, p)
}

// moderate mutes, unmutes, asks to unmute, removes or readmits a hall or
// a person of the call (docs/meeting-events.md).
func (s *Server) moderate(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		Action string `json:"action"`
		meeting.Target
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	return s.sessionCmd(func(r *http.Request, p *auth.Principal, id meeting.ID) error {
		return s.Meetings.Moderate(r.Context(), p, id, in.Action, in.Target)
	})(w, r, p)
}

// setRoom locks, unlocks, ends or reopens the call.
func (s *Server) setRoom(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in meeting.RoomInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	return s.sessionCmd(func(r *http.Request, p *auth.Principal, id meeting.ID) error {
		return s.Meetings.SetRoom(r.Context(), p, id, in)
	})(w, r, p)
}

func (s *Server) markAttendance(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	user, err := pathID(r, "user")
	if err != nil {
		return err
	}
	var in struct {
		Status string       `json:"status"`
		HallID *auth.HallID `json:"hall_id"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	return s.sessionCmd(func(r *http.Request, p *auth.Principal, id meeting.ID) error {
		return s.Meetings.MarkAttendance(r.Context(), p, id, auth.UserID(user), in.Status, in.HallID)
	})(w, r, p)
}

func (s *Server) sessionSnapshot(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	snap, _, err := s.Meetings.Snapshot(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, snap)
	return nil
}

func (s *Server) sessionEvents(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	since, err := querySeq(r)
	if err != nil {
		return err
	}
	a, err := s.Meetings.Access(r.Context(), id, p)
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

// joinMeeting hands out a room token for the SFU.
func (s *Server) joinMeeting(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	var in struct {
		HallID  *auth.HallID `json:"hall_id"`
		Console bool         `json:"console"`
	}
	if err := s.decodeOptionalJSON(w, r, &in); err != nil {
		return err
	}
	if in.Console && in.HallID != nil {
		return fault.Field("console", fault.NotAllowed) // a console watches as its person, not as a hall
	}
	var g meeting.JoinGrant
	if in.Console {
		g, err = s.Meetings.JoinConsole(r.Context(), p, id)
	} else {
		g, err = s.Meetings.Join(r.Context(), p, id, in.HallID)
	}
	if err != nil {
		return err
	}
	if s.RoomTokens == nil {
		return meeting.ErrMediaUnavailable
	}
	tok, err := s.RoomTokens.Sign(roomtoken.Claims{Room: g.Room, Identity: g.Identity, Name: g.Name, Kind: g.Kind, Perms: g.Perms}, s.cfg.Tokens.RoomTTL)
	if err != nil {
		return err
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
		node, err := s.Placement.Place(r.Context(), g.Room, in.HallID, p.UnitID)
		if err != nil {
			return err
		}
		out["signaling_url"], out["node_url"] = cluster.SignalingURL(node), node
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
