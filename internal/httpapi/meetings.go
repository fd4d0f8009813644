package httpapi

import (
	"context"
	"net/http"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/meeting"
)

// decodeOptionalJSON decodes a body if there is one (commands whose body
// is optional).
func (s *Server) decodeOptionalJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return s.decodeJSON(w, r, dst)
}

func meetingID(r *http.Request) (meeting.ID, error) {
	n, err := pathID(r, "id")
	return meeting.ID(n), err
}

func (s *Server) listMeetings(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	ms, err := s.Meetings.List(r.Context(), p, meeting.Period(r.URL.Query().Get("when")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list("meetings", ms))
	return nil
}

// getMeeting answers the meeting with the caller's standing in it.
func (s *Server) getMeeting(ctx context.Context, p *auth.Principal, id meeting.ID) (map[string]any, error) {
	m, a, err := s.Meetings.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"meeting": m, "my_roles": nonNil(a.Roles), "my_halls": nonNil(a.HallIDs), "can_manage": a.CanManage()}, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

type cancellation struct {
	Reason string `json:"reason"`
}

// cancelMeeting takes an optional body with the reason.
func (s *Server) cancelMeeting(ctx context.Context, p *auth.Principal, id meeting.ID, in cancellation) (meeting.Meeting, error) {
	return s.Meetings.Cancel(ctx, p, id, in.Reason)
}

func (s *Server) meetingInvitees(ctx context.Context, p *auth.Principal, id meeting.ID) (map[string]any, error) {
	people, halls, err := s.Meetings.Invitees(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"participants": nonNil(people), "halls": nonNil(halls)}, nil
}

func (s *Server) inviteHalls(ctx context.Context, p *auth.Principal, id meeting.ID, sel meeting.HallSelection) (map[string]int, error) {
	n, err := s.Meetings.InviteHalls(ctx, p, id, sel)
	return map[string]int{"added": n}, err
}

type participantRole struct {
	Role   meeting.Role `json:"role"`
	HallID *auth.HallID `json:"hall_id"`
}

func (s *Server) setMeetingParticipant(ctx context.Context, p *auth.Principal, id meeting.ID, user auth.UserID, in participantRole) (none, error) {
	return none{}, s.Meetings.SetParticipant(ctx, p, id, meeting.Participant{UserID: user, Role: in.Role, HallID: in.HallID})
}
