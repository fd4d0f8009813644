package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/org"
)

// queryUnit reads ?unit_id= and ?include_descendants=.
func queryUnit(r *http.Request) (*auth.UnitID, bool, error) {
	q := r.URL.Query()
	desc := q.Get("include_descendants") == "true"
	v := q.Get("unit_id")
	if v == "" {
		return nil, desc, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return nil, false, fault.Field("unit_id", fault.WrongFormat)
	}
	u := auth.UnitID(n)
	return &u, desc, nil
}

func (s *Server) listHalls(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	unit, desc, err := queryUnit(r)
	if err != nil {
		return err
	}
	hs, err := s.Org.Halls(r.Context(), org.HallFilter{UnitID: unit, IncludeDescendants: desc, ActiveOnly: r.URL.Query().Get("active") == "true"})
	if err != nil {
		return err
	}
	if hs == nil {
		hs = []org.Hall{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"halls": hs})
	return nil
}

func (s *Server) createHall(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		UnitID auth.UnitID `json:"unit_id"`
		Code   string      `json:"code"`
		Name   string      `json:"name"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	h, err := s.Org.CreateHall(r.Context(), p, in.UnitID, in.Code, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, h)
	return nil
}

func (s *Server) updateHall(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Name   *string      `json:"name"`
		Code   *string      `json:"code"`
		UnitID *auth.UnitID `json:"unit_id"`
		Active *bool        `json:"active"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	h, err := s.Org.UpdateHall(r.Context(), p, auth.HallID(id), org.HallChange{Name: in.Name, Code: in.Code, UnitID: in.UnitID, Active: in.Active})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

// deactivateHall and reactivateHall close and reopen a hall.
func (s *Server) deactivateHall(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return byID(http.StatusOK, func(ctx context.Context, p *auth.Principal, id auth.HallID) (org.Hall, error) {
		return s.Org.UpdateHall(ctx, p, id, org.HallChange{Active: new(bool(false))})
	})(w, r, p)
}

func (s *Server) reactivateHall(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return byID(http.StatusOK, func(ctx context.Context, p *auth.Principal, id auth.HallID) (org.Hall, error) {
		return s.Org.UpdateHall(ctx, p, id, org.HallChange{Active: new(bool(true))})
	})(w, r, p)
}
