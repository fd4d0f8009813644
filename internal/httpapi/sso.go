package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/cau-gov/cau/internal/sso"
)

// SSO is single sign-on through the province's OpenID Connect provider
// (internal/sso); nil when CAU_OIDC_ISSUER is unset.
type SSO interface {
	Begin(ctx context.Context, returnTo string) (sso.Start, error)
	Finish(ctx context.Context, in sso.Callback) (sso.Result, error)
	EndSessionURL(ctx context.Context, refreshToken, postLogout string) (string, error)
}

// ssoCookie binds a started login to the browser that started it. Lax, not
// Strict: the provider's redirect back is a cross-site navigation, which
// must carry it. Only the callback's path receives it.
const (
	ssoCookie     = "cau_sso"
	ssoCookiePath = "/api/v1/auth/oidc"
)

// authMethods tells the login card which ways in this server offers.
func (s *Server) authMethods(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]bool{"password": s.cfg.OIDC.LocalPasswords, "oidc": s.SSO != nil})
	return nil
}

// ssoStart sends the browser to the provider; ?next= is the client path to
// come back to.
func (s *Server) ssoStart(w http.ResponseWriter, r *http.Request) error {
	if s.SSO == nil {
		return sso.ErrDisabled
	}
	start, err := s.SSO.Begin(r.Context(), r.URL.Query().Get("next"))
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: start.Browser, Path: ssoCookiePath,
		MaxAge: int(s.cfg.OIDC.LoginTTL.Seconds()), HttpOnly: true, Secure: requestHTTPS(r), SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, start.AuthURL, http.StatusSeeOther)
	return nil
}

// ssoCallback is the redirect URL: it finishes the login, starts the Cầu
// sign-in (the refresh cookie, as a password login with cookie: true) and
// sends the browser to the login screen, which refreshes and goes on to the
// page the user wanted, or shows why the login was refused.
func (s *Server) ssoCallback(w http.ResponseWriter, r *http.Request) error {
	if s.SSO == nil {
		return sso.ErrDisabled
	}
	q := r.URL.Query()
	in := sso.Callback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"),
		ErrorDescription: q.Get("error_description"), IP: clientIP(r), UserAgent: r.UserAgent()}
	if c, err := r.Cookie(ssoCookie); err == nil {
		in.Browser = c.Value
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: "", Path: ssoCookiePath, MaxAge: -1,
		HttpOnly: true, Secure: requestHTTPS(r), SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	// The code and state must not leak through Referer to the next page.
	w.Header().Set("Referrer-Policy", "no-referrer")
	res, err := s.SSO.Finish(r.Context(), in)
	if err != nil {
		e := errorFor(err)
		if e.Status >= 500 {
			s.log.Error("sso callback failed", "error", err, "remote_ip", in.IP)
		}
		http.Redirect(w, r, "/login?"+url.Values{"sso_error": {e.Code}}.Encode(), http.StatusSeeOther)
		return nil
	}
	s.setRefreshCookie(w, r, res.SignIn)
	http.Redirect(w, r, "/login?"+url.Values{"sso": {"done"}, "next": {res.ReturnTo}}.Encode(), http.StatusSeeOther)
	return nil
}

// endSessionURL is where the browser should go to end the provider's
// session of the sign-in behind refreshToken ("" for none).
func (s *Server) endSessionURL(r *http.Request, refreshToken string) string {
	if s.SSO == nil {
		return ""
	}
	u, err := s.SSO.EndSessionURL(r.Context(), refreshToken, strings.TrimRight(s.cfg.HTTP.PublicURL, "/")+"/login")
	if err != nil {
		s.log.Warn("sso logout url", "error", err)
		return ""
	}
	return u
}
