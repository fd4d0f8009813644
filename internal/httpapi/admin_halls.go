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
	writeJSON(w, http.StatusOK, list("halls", hs))
	return nil
}

type hallInput struct {
	UnitID auth.UnitID `json:"unit_id"`
	Code   string      `json:"code"`
	Name   string      `json:"name"`
}

func (s *Server) createHall(ctx context.Context, p *auth.Principal, in hallInput) (org.Hall, error) {
	return s.Org.CreateHall(ctx, p, in.UnitID, in.Code, in.Name)
}

// hallPatch is org.HallChange as JSON.
type hallPatch struct {
	Name   *string      `json:"name"`
	Code   *string      `json:"code"`
	UnitID *auth.UnitID `json:"unit_id"`
	Active *bool        `json:"active"`
}

func (s *Server) updateHall(ctx context.Context, p *auth.Principal, id auth.HallID, in hallPatch) (org.Hall, error) {
	return s.Org.UpdateHall(ctx, p, id, org.HallChange(in))
}

// deactivateHall and reactivateHall close and reopen a hall.
func (s *Server) deactivateHall(ctx context.Context, p *auth.Principal, id auth.HallID) (org.Hall, error) {
	return s.Org.UpdateHall(ctx, p, id, org.HallChange{Active: new(bool(false))})
}

func (s *Server) reactivateHall(ctx context.Context, p *auth.Principal, id auth.HallID) (org.Hall, error) {
	return s.Org.UpdateHall(ctx, p, id, org.HallChange{Active: new(bool(true))})
}
