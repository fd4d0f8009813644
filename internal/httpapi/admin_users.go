package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/org"
	"github.com/cau-gov/cau/internal/sso"
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
	writeJSON(w, http.StatusOK, map[string]any{"users": nonNil(us), "total": total})
	return nil
}

type userInput struct {
	UnitID     auth.UnitID      `json:"unit_id"`
	Username   string           `json:"username"`
	FullName   string           `json:"full_name"`
	Email      string           `json:"email"`
	Position   string           `json:"position"`
	PersonalID string           `json:"personal_id"`
	Password   string           `json:"password"`
	Grants     []auth.RoleGrant `json:"grants"`
}

// createUser answers the user, and the temporary password when the
// service generated one (shown once).
func (s *Server) createUser(ctx context.Context, p *auth.Principal, in userInput) (map[string]any, error) {
	u, generated, err := s.Org.CreateUser(ctx, p, org.UserInput(in))
	if err != nil {
		return nil, err
	}
	out := map[string]any{"user": u}
	if generated != "" {
		out["temporary_password"] = generated
	}
	return out, nil
}

// userPatch is org.UserChange as JSON.
type userPatch struct {
	UnitID     *auth.UnitID `json:"unit_id"`
	FullName   *string      `json:"full_name"`
	Email      *string      `json:"email"`
	Position   *string      `json:"position"`
	PersonalID *string      `json:"personal_id"`
}

func (s *Server) updateUser(ctx context.Context, p *auth.Principal, id auth.UserID, in userPatch) (org.User, error) {
	return s.Org.UpdateUser(ctx, p, id, org.UserChange(in))
}

// deactivateUser and reactivateUser close and reopen a user.
func (s *Server) deactivateUser(ctx context.Context, p *auth.Principal, id auth.UserID) (org.User, error) {
	return s.Org.SetUserActive(ctx, p, id, false)
}

func (s *Server) reactivateUser(ctx context.Context, p *auth.Principal, id auth.UserID) (org.User, error) {
	return s.Org.SetUserActive(ctx, p, id, true)
}

type userRoles struct {
	Grants []auth.RoleGrant `json:"grants"`
}

func (s *Server) setUserRoles(ctx context.Context, p *auth.Principal, id auth.UserID, in userRoles) (org.User, error) {
	if in.Grants == nil {
		return org.User{}, fault.Field("grants", fault.Required)
	}
	return s.Org.SetUserRoles(ctx, p, id, in.Grants)
}

func (s *Server) resetPassword(ctx context.Context, p *auth.Principal, id auth.UserID) (map[string]string, error) {
	if !s.cfg.OIDC.LocalPasswords {
		return nil, sso.ErrPasswordChangeOff // a temporary password would open nothing
	}
	pw, err := s.Org.ResetPassword(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return map[string]string{"temporary_password": pw}, nil
}
