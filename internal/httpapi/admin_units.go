package httpapi

import (
	"context"
	"net/http"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/org"
)

// Org is the administration service (internal/org).
type Org interface {
	Levels(ctx context.Context) ([]org.Level, error)
	SaveLevel(ctx context.Context, p *auth.Principal, l org.Level) (org.Level, error)
	Units(ctx context.Context) ([]org.Unit, error)
	CreateUnit(ctx context.Context, p *auth.Principal, in org.UnitInput) (org.Unit, error)
	UpdateUnit(ctx context.Context, p *auth.Principal, id auth.UnitID, name, code, level *string) (org.Unit, error)
	MoveUnit(ctx context.Context, p *auth.Principal, id, parent auth.UnitID) (org.Unit, error)
	SetUnitActive(ctx context.Context, p *auth.Principal, id auth.UnitID, active bool) (org.Unit, error)
	Halls(ctx context.Context, f org.HallFilter) ([]org.Hall, error)
	CreateHall(ctx context.Context, p *auth.Principal, unit auth.UnitID, code, name string) (org.Hall, error)
	UpdateHall(ctx context.Context, p *auth.Principal, id auth.HallID, c org.HallChange) (org.Hall, error)
	Users(ctx context.Context, p *auth.Principal, f org.UserFilter) ([]org.User, int, error)
	User(ctx context.Context, p *auth.Principal, id auth.UserID) (org.User, error)
	CreateUser(ctx context.Context, p *auth.Principal, in org.UserInput) (org.User, string, error)
	UpdateUser(ctx context.Context, p *auth.Principal, id auth.UserID, c org.UserChange) (org.User, error)
	SetUserActive(ctx context.Context, p *auth.Principal, id auth.UserID, active bool) (org.User, error)
	SetUserRoles(ctx context.Context, p *auth.Principal, id auth.UserID, grants []auth.RoleGrant) (org.User, error)
	ResetPassword(ctx context.Context, p *auth.Principal, id auth.UserID) (string, error)
	Audit(ctx context.Context, p *auth.Principal, f org.AuditFilter) ([]org.AuditRow, error)
	VerifyAudit(ctx context.Context, p *auth.Principal) (org.AuditCheck, error)
	ImportUsers(ctx context.Context, p *auth.Principal, file []byte, dryRun bool) (org.ImportReport, error)
	Signature(ctx context.Context, p *auth.Principal, unit auth.UnitID) (org.Signature, error)
	SaveSignature(ctx context.Context, p *auth.Principal, unit auth.UnitID, sig org.Signature) (org.Signature, error)
	RemoveSignature(ctx context.Context, p *auth.Principal, unit auth.UnitID) error
}

func (s *Server) listUnitLevels(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	ls, err := s.Org.Levels(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"levels": ls})
	return nil
}

// saveUnitLevel adds or changes the level named in the path.
func (s *Server) saveUnitLevel(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		Rank   *int   `json:"rank"`
		NameVI string `json:"name_vi"`
		NameEN string `json:"name_en"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Rank == nil {
		return fault.Field("rank", fault.Required)
	}
	l, err := s.Org.SaveLevel(r.Context(), p, org.Level{Code: r.PathValue("code"), Rank: *in.Rank, NameVI: in.NameVI, NameEN: in.NameEN})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *Server) listUnits(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	us, err := s.Org.Units(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list("units", us))
	return nil
}

// unitInput is org.UnitInput as JSON.
type unitInput struct {
	ParentID *auth.UnitID `json:"parent_id"`
	Level    string       `json:"level"`
	Code     string       `json:"code"`
	Name     string       `json:"name"`
}

func (s *Server) createUnit(ctx context.Context, p *auth.Principal, in unitInput) (org.Unit, error) {
	return s.Org.CreateUnit(ctx, p, org.UnitInput(in))
}

type unitPatch struct {
	Name  *string `json:"name"`
	Code  *string `json:"code"`
	Level *string `json:"level"`
}

func (s *Server) updateUnit(ctx context.Context, p *auth.Principal, id auth.UnitID, in unitPatch) (org.Unit, error) {
	return s.Org.UpdateUnit(ctx, p, id, in.Name, in.Code, in.Level)
}

type unitMove struct {
	ParentID auth.UnitID `json:"parent_id"`
}

func (s *Server) moveUnit(ctx context.Context, p *auth.Principal, id auth.UnitID, in unitMove) (org.Unit, error) {
	if in.ParentID <= 0 {
		return org.Unit{}, fault.Field("parent_id", fault.Required)
	}
	return s.Org.MoveUnit(ctx, p, id, in.ParentID)
}

// deactivateUnit and reactivateUnit close and reopen a unit.
func (s *Server) deactivateUnit(ctx context.Context, p *auth.Principal, id auth.UnitID) (org.Unit, error) {
	return s.Org.SetUnitActive(ctx, p, id, false)
}

func (s *Server) reactivateUnit(ctx context.Context, p *auth.Principal, id auth.UnitID) (org.Unit, error) {
	return s.Org.SetUnitActive(ctx, p, id, true)
}
