package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/org"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	unit, desc, err := queryUnit(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := org.UserFilter{UnitID: unit, IncludeDescendants: desc, Query: q.Get("q"), ActiveOnly: q.Get("active") == "true"}
	if role := q.Get("role"); role != "" {
		if !auth.Role(role).Valid() {
			return fault.Field("role", fault.UnknownValue)
		}
		f.Role = auth.Role(role)
	}
	if len(f.Query) > 100 {
		return fault.Field("q", fault.TooLong)
	}
	for key, dst := range map[string]*int{"limit": &f.Limit, "offset": &f.Offset} {
		if v := q.Get(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fault.Field(key, fault.WrongFormat)
			}
			*dst = n
		}
	}
	us, total, err := s.Org.Users(r.Context(), p, f)
	if err != nil {
		return err
	}
	if us == nil {
		us = []org.User{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": us, "total": total})
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := s.Org.User(r.Context(), p, auth.UserID(id))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		UnitID   auth.UnitID      `json:"unit_id"`
		Username string           `json:"username"`
		FullName string           `json:"full_name"`
		Email    string           `json:"email"`
		Position string           `json:"position"`
		Password string           `json:"password"`
		Grants   []auth.RoleGrant `json:"grants"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, generated, err := s.Org.CreateUser(r.Context(), p, org.UserInput{UnitID: in.UnitID, Username: in.Username, FullName: in.FullName,
		Email: in.Email, Position: in.Position, Password: in.Password, Grants: in.Grants})
	if err != nil {
		return err
	}
	out := map[string]any{"user": u}
	if generated != "" {
		out["temporary_password"] = generated
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		UnitID   *auth.UnitID `json:"unit_id"`
		FullName *string      `json:"full_name"`
		Email    *string      `json:"email"`
		Position *string      `json:"position"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.Org.UpdateUser(r.Context(), p, auth.UserID(id), org.UserChange{UnitID: in.UnitID, FullName: in.FullName, Email: in.Email, Position: in.Position})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// deactivateUser and reactivateUser close and reopen a user.
func (s *Server) deactivateUser(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return byID(http.StatusOK, func(ctx context.Context, p *auth.Principal, id auth.UserID) (org.User, error) {
		return s.Org.SetUserActive(ctx, p, id, false)
	})(w, r, p)
}

func (s *Server) reactivateUser(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return byID(http.StatusOK, func(ctx context.Context, p *auth.Principal, id auth.UserID) (org.User, error) {
		return s.Org.SetUserActive(ctx, p, id, true)
	})(w, r, p)
}

func (s *Server) setUserRoles(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Grants []auth.RoleGrant `json:"grants"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Grants == nil {
		return fault.Field("grants", fault.Required)
	}
	u, err := s.Org.SetUserRoles(r.Context(), p, auth.UserID(id), in.Grants)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pw, err := s.Org.ResetPassword(r.Context(), p, auth.UserID(id))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"temporary_password": pw})
	return nil
}
