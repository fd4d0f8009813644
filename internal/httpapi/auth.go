package httpapi

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/sso"
)

// Accounts is the authentication service the auth handlers call.
type Accounts interface {
	Login(ctx context.Context, username, password, ip, userAgent string) (auth.SignIn, error)
	Refresh(ctx context.Context, refreshToken, ip, userAgent string) (auth.SignIn, error)
	Logout(ctx context.Context, p *auth.Principal, refreshToken, ip string) error
	ChangePassword(ctx context.Context, p *auth.Principal, oldPassword, newPassword string) error
}

// userJSON is the user in login answers (the API contract).
type userJSON struct {
	ID       auth.UserID `json:"id"`
	Username string      `json:"username"`
	FullName string      `json:"full_name"`
	Roles    []string    `json:"roles"`
	UnitID   auth.UnitID `json:"unit_id"`
	// MustChangePassword: a temporary password; the client shows only the
	// change-password screen until it is changed.
	MustChangePassword bool `json:"must_change_password"`
}

type signInJSON struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"` // absent when it went into the cookie
	ExpiresIn    int    `json:"expires_in"`              // seconds
	TokenType    string `json:"token_type"`
	// IdleTimeout (seconds, 0: none) is how long the sign-in survives
	// without a refresh; SessionExpiresAt when it ends however active
	// (absent: no maximum age). The web client signs out by itself at either.
	IdleTimeout      int        `json:"idle_timeout"`
	SessionExpiresAt *time.Time `json:"session_expires_at,omitempty"`
	User             userJSON   `json:"user"`
}

func signInAnswer(s auth.SignIn) signInJSON {
	p := auth.Principal{Grants: s.Grants}
	roles := p.RoleNames()
	if roles == nil {
		roles = []string{}
	}
	var ends *time.Time
	if !s.SessionEnds.IsZero() {
		t := s.SessionEnds.UTC()
		ends = &t
	}
	return signInJSON{
		AccessToken: s.AccessToken, RefreshToken: s.RefreshToken, TokenType: "Bearer",
		ExpiresIn:   int(math.Round(s.ExpiresIn.Seconds())),
		IdleTimeout: int(math.Round(s.IdleTimeout.Seconds())), SessionExpiresAt: ends,
		User: userJSON{ID: s.Account.ID, Username: s.Account.Username, FullName: s.Account.FullName,
			Roles: roles, UnitID: s.Account.UnitID, MustChangePassword: s.Account.MustChangePassword},
	}
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
		// Cookie asks for the refresh token in an HttpOnly cookie instead of
		// the answer (the web client: scripts never see it).
		Cookie bool `json:"cookie"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if !s.cfg.OIDC.LocalPasswords {
		return sso.ErrPasswordsOff
	}
	fields := map[string]fault.Problem{}
	switch {
	case strings.TrimSpace(in.Username) == "":
		fields["username"] = fault.Required
	case len(in.Username) > 64:
		fields["username"] = fault.TooLong
	}
	if p := fault.Length(len(in.Password), 1, 256); !p.IsZero() {
		fields["password"] = p
	}
	if err := fault.Check(fields); err != nil {
		return err
	}
	signed, err := s.Accounts.Login(r.Context(), in.Username, in.Password, clientIP(r), r.UserAgent())
	if err != nil {
		setRetryAfter(w, err)
		return err
	}
	s.writeSignIn(w, r, signed, in.Cookie)
	return nil
}

// refreshCookie carries the refresh token of the web client: HttpOnly (no
// script reads it, so an injected one cannot steal the session), SameSite
// Strict (no other site's page sends it), Secure when the client came over
// HTTPS, and sent only to /api/v1/auth. It lives in the browser, not the
// tab, so a new tab and a link from an e-mail stay signed in.
const (
	refreshCookie     = "cau_refresh"
	refreshCookiePath = "/api/v1/auth"
)

// writeSignIn answers a login or refresh, with the refresh token in the
// cookie (and not in the body) when inCookie.
func (s *Server) writeSignIn(w http.ResponseWriter, r *http.Request, sess auth.SignIn, inCookie bool) {
	out := signInAnswer(sess)
	out.User.MustChangePassword = out.User.MustChangePassword && s.cfg.OIDC.LocalPasswords
	if inCookie {
		s.setRefreshCookie(w, r, sess)
		out.RefreshToken = ""
	}
	writeJSON(w, http.StatusOK, out)
}

// setRefreshCookie puts the sign-in's refresh token in the cookie.
func (s *Server) setRefreshCookie(w http.ResponseWriter, r *http.Request, sess auth.SignIn) {
	// The browser keeps it until the token's end (the sign-in's maximum
	// age); an idle sign-in is refused by the server with session_idle.
	maxAge := int(sess.RefreshExpiresIn.Seconds())
	if maxAge <= 0 || maxAge > int(s.cfg.Login.RefreshTTL.Seconds()) {
		maxAge = int(s.cfg.Login.RefreshTTL.Seconds())
	}
	http.SetCookie(w, &http.Cookie{Name: refreshCookie, Value: sess.RefreshToken, Path: refreshCookiePath,
		MaxAge: maxAge, HttpOnly: true, Secure: requestHTTPS(r), SameSite: http.SameSiteStrictMode})
}

// clearRefreshCookie removes the cookie (logout, a refused token).
func clearRefreshCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: refreshCookie, Value: "", Path: refreshCookiePath, MaxAge: -1,
		HttpOnly: true, Secure: requestHTTPS(r), SameSite: http.SameSiteStrictMode})
}

// refreshTokenOf is the refresh token of the body, else of the cookie.
func refreshTokenOf(r *http.Request, body string) (token string, fromCookie bool) {
	if body != "" {
		return body, false
	}
	if c, err := r.Cookie(refreshCookie); err == nil && c.Value != "" {
		return c.Value, true
	}
	return "", false
}

// refreshToken reads the refresh token of a refresh or logout: from the
// optional body's refresh_token, else from the cookie.
func (s *Server) refreshToken(w http.ResponseWriter, r *http.Request) (token string, fromCookie bool, err error) {
	var in struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := s.decodeOptionalJSON(w, r, &in); err != nil {
		return "", false, err
	}
	token, fromCookie = refreshTokenOf(r, in.RefreshToken)
	if token == "" {
		return "", false, fault.Field("refresh_token", fault.Required) // in the body or the cookie
	}
	return token, fromCookie, nil
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) error {
	token, fromCookie, err := s.refreshToken(w, r)
	if err != nil {
		return err
	}
	sess, err := s.Accounts.Refresh(r.Context(), token, clientIP(r), r.UserAgent())
	if err != nil {
		if fromCookie {
			clearRefreshCookie(w, r)
		}
		return err
	}
	s.writeSignIn(w, r, sess, fromCookie)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	token, fromCookie, err := s.refreshToken(w, r)
	if err != nil {
		return err
	}
	if fromCookie {
		clearRefreshCookie(w, r)
	}
	end := s.endSessionURL(r, token) // before the family is revoked
	p, _ := auth.FromContext(r.Context())
	if err := s.Accounts.Logout(r.Context(), p, token, clientIP(r)); err != nil {
		return err
	}
	if end != "" {
		// A single sign-on: the client sends the browser on to end the
		// provider's session too.
		writeJSON(w, http.StatusOK, map[string]string{"end_session_url": end})
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// meJSON is the signed-in user with every role grant and its scope.
type meJSON struct {
	userJSON
	Grants []auth.RoleGrant `json:"grants"`
	Email  string           `json:"email"`
	// DemoPassword: the account still has `cau seed --demo`'s password
	// (production refuses to start while any active account does).
	DemoPassword bool `json:"demo_password"`
}

// MeLoader reads the account behind a principal (for /me).
type MeLoader interface {
	AccountByID(ctx context.Context, id auth.UserID) (auth.Account, error)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	acct, err := s.Me.AccountByID(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	grants := p.Grants
	if grants == nil {
		grants = []auth.RoleGrant{}
	}
	roles := p.RoleNames()
	if roles == nil {
		roles = []string{}
	}
	writeJSON(w, http.StatusOK, meJSON{
		userJSON: userJSON{ID: p.UserID, Username: p.Username, FullName: p.FullName, Roles: roles, UnitID: p.UnitID,
			MustChangePassword: acct.MustChangePassword && s.cfg.OIDC.LocalPasswords},
		Grants: grants, Email: acct.Email, DemoPassword: acct.DemoPassword,
	})
	return nil
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in struct {
		OldPassword string `json:"old_password"`
		NewPassword string `json:"new_password"`
	}
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if !s.cfg.OIDC.LocalPasswords {
		return sso.ErrPasswordChangeOff
	}
	if in.OldPassword == "" || in.NewPassword == "" {
		return &fault.Invalid{Fields: map[string]fault.Problem{"old_password": fault.Required, "new_password": fault.Required}}
	}
	if err := s.Accounts.ChangePassword(r.Context(), p, in.OldPassword, in.NewPassword); err != nil {
		setRetryAfter(w, err)
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setRetryAfter tells a refused login when to come back: after the rate
// limit's window (429) or after the hashing line ahead of it (503).
func setRetryAfter(w http.ResponseWriter, err error) {
	var rl *auth.RateLimitError
	var busy *auth.BusyError
	var after time.Duration
	switch {
	case errors.As(err, &rl):
		after = rl.RetryAfter
	case errors.As(err, &busy):
		after = busy.RetryAfter
	}
	if after > 0 {
		secs := int(math.Ceil(after.Seconds()))
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
}
