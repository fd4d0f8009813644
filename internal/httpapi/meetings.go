package httpapi

import (
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
	if ms == nil {
		ms = []meeting.Meeting{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"meetings": ms})
	return nil
}

func (s *Server) createMeeting(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in meeting.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.Meetings.Create(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (s *Server) getMeeting(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	m, a, err := s.Meetings.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"meeting": m, "my_roles": nonNil(a.Roles), "my_halls": nonNil(a.HallIDs), "can_manage": a.CanManage()})
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) updateMeeting(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	var in meeting.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.Meetings.Update(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) cancelMeeting(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := s.decodeOptionalJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.Meetings.Cancel(r.Context(), p, id, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) meetingInvitees(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	people, halls, err := s.Meetings.Invitees(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"participants": nonNil(people), "halls": nonNil(halls)})
	return nil
}

func (s *Server) inviteHalls(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	var sel meeting.HallSelection
	if err := s.decodeJSON(w, r, &sel); err != nil {
		return err
	}
	n, err := s.Meetings.InviteHalls(r.Context(), p, id, sel)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"added": n})
	return nil
}

func (s *Server) removeMeetingHall(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	hall, err := pathID(r, "hall")
	if err != nil {
		return err
	}
	if err := s.Meetings.RemoveHall(r.Context(), p, id, auth.HallID(hall)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) setMeetingParticipant(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	user, err := pathID(r, "user")
	if err != nil {
		return err
	}
	var in struct {
		Role   meeting.Role `json:"role"`
		HallID *auth.HallID `json:"hall_id"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.Meetings.SetParticipant(r.Context(), p, id, meeting.Participant{UserID: auth.UserID(user), Role: in.Role, HallID: in.HallID}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) removeMeetingParticipant(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	user, err := pathID(r, "user")
	if err != nil {
		return err
	}
	if err := s.Meetings.RemoveParticipant(r.Context(), p, id, auth.UserID(user)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
