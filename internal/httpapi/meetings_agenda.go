package httpapi

import (
	"net/http"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/meeting"
)

func itemID(r *http.Request) (meeting.ItemID, error) {
	n, err := pathID(r, "item")
	return meeting.ItemID(n), err
}

func (s *Server) getAgenda(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	items, err := s.Meetings.Agenda(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (s *Server) addAgendaItem(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	var in meeting.ItemInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	it, err := s.Meetings.AddItem(r.Context(), p, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, it)
	return nil
}

func (s *Server) updateAgendaItem(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	item, err := itemID(r)
	if err != nil {
		return err
	}
	var in meeting.ItemInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	it, err := s.Meetings.UpdateItem(r.Context(), p, id, item, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, it)
	return nil
}

func (s *Server) moveAgendaItem(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	item, err := itemID(r)
	if err != nil {
		return err
	}
	var in struct {
		Position int `json:"position"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.Meetings.MoveItem(r.Context(), p, id, item, in.Position); err != nil {
		return err
	}
	return s.getAgenda(w, r, p)
}

func (s *Server) removeAgendaItem(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := meetingID(r)
	if err != nil {
		return err
	}
	item, err := itemID(r)
	if err != nil {
		return err
	}
	if err := s.Meetings.RemoveItem(r.Context(), p, id, item); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
