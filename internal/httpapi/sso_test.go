package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/sso/ssotest"
)

const ssoClientID, ssoSecret = "cau-test", "bí-mật-của-cầu-ở-nhà-cung-cấp"

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// withSSO points the server at issuer, linking claim to field.
func withSSO(issuer, claim, field string, localPasswords bool) apptest.Option {
	return func(c *config.Config) {
		c.OIDC.Issuer, c.OIDC.ClientID, c.OIDC.ClientSecret = issuer, ssoClientID, ssoSecret
		c.OIDC.RedirectURL = c.HTTP.PublicURL + "/api/v1/auth/oidc/callback"
		c.OIDC.LinkClaim, c.OIDC.LinkField, c.OIDC.LocalPasswords = claim, field, localPasswords
	}
}

// browser is one user agent: its own cookies, redirects followed or not.
type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T, follow bool) *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	if !follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return &browser{t: t, client: c}
}

func (b *browser) do(method, u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

// location is the redirect target of resp, resolved against base.
func location(t *testing.T, resp *http.Response) *url.URL {
	t.Helper()
	if resp.StatusCode/100 != 3 {
		t.Fatalf("%s: status %d, want a redirect", resp.Request.URL, resp.StatusCode)
	}
	u, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func refreshCookieOf(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == "cau_refresh" && c.Value != "" {
			return c
		}
	}
	return nil
}

type forgerBundle struct {
	env    *apptest.Env
	forger *ssotest.Forger
	userID int64
}

func setupForger(t *testing.T, claim, field string) *forgerBundle {
	t.Helper()
	f, err := ssotest.StartForger(listen(t), ssoClientID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	env := apptest.New(t, withSSO(f.Issuer, claim, field, true))
	prov := env.Unit(t, 0, "province", "lam-dong", "UBND tỉnh Lâm Đồng")
	uid := env.User(t, prov, "thuky", "mật-khẩu-đúng", apptest.Grant(auth.RoleSecretary))
	return &forgerBundle{env: env, forger: f, userID: uid}
}

// callback runs a login through the Forger without following the last
// redirect: the answer of Cầu's callback.
func (fb *forgerBundle) callback(t *testing.T, b *browser, next string) *http.Response {
	t.Helper()
	resp, _ := b.do("GET", fb.env.URL+"/api/v1/auth/oidc/start?next="+url.QueryEscape(next), nil)
	authorize := location(t, resp)
	if !strings.HasPrefix(authorize.String(), fb.forger.Issuer+"/authorize?") {
		t.Fatalf("start sent the browser to %s", authorize)
	}
	q := authorize.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		t.Fatalf("authorization request without PKCE, nonce or state: %s", authorize)
	}
	resp, _ = b.do("GET", authorize.String(), nil)
	back := location(t, resp)
	resp, _ = b.do("GET", back.String(), nil)
	return resp
}

// refused checks a callback answer sends the browser to the login card
// with code, sets no session, and left an audit row saying why.
func (fb *forgerBundle) refused(t *testing.T, resp *http.Response, code string) {
	t.Helper()
	u := location(t, resp)
	if u.Path != "/login" || u.Query().Get("sso_error") != code {
		t.Fatalf("callback sent the browser to %s, want /login?sso_error=%s", u, code)
	}
	if c := refreshCookieOf(resp); c != nil {
		t.Fatalf("refused login set a session cookie %v", c)
	}
	if n := fb.env.Count(t, "refresh_tokens", ""); n != 0 {
		t.Fatalf("refused login left %d refresh tokens", n)
	}
	if n := fb.env.Count(t, "sso_sessions", ""); n != 0 {
		t.Fatalf("refused login left %d sso sessions", n)
	}
	if n := fb.env.Count(t, "audit_log", "action = 'auth.login_failed' AND detail->>'method' = 'oidc' AND detail->>'reason' = $1", code); n < 1 {
		t.Fatalf("no audit row for the refusal %s", code)
	}
}

// TestSSOLoginAndRefusals runs the code flow against a provider whose ID
// tokens the test shapes: an honest one signs in and returns to the page
// asked for; each forgery and each wrong state is refused with its code,
// audited, and creates nothing.
func TestSSOLoginAndRefusals(t *testing.T) {
	fb := setupForger(t, "preferred_username", config.LinkUsername)
	env := fb.env
	honest := map[string]any{"sub": "vneid-0001", "preferred_username": "ThuKy"}

	t.Run("forged tokens", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			forgery ssotest.Forgery
			claims  map[string]any
			code    string
		}{
			{"wrong audience", ssotest.WrongAudience, honest, "sso_invalid_token"},
			{"expired", ssotest.Expired, honest, "sso_invalid_token"},
			{"unsigned alg none", ssotest.Unsigned, honest, "sso_invalid_token"},
			{"signed by another key", ssotest.OtherKey, honest, "sso_invalid_token"},
			{"another issuer", ssotest.WrongIssuer, honest, "sso_invalid_token"},
			{"bad nonce", ssotest.WrongNonce, honest, "sso_bad_nonce"},
			{"unknown subject", ssotest.Honest, map[string]any{"sub": "vneid-9999", "preferred_username": "nguoi-la"}, "sso_unknown_account"},
			{"no linking claim", ssotest.Honest, map[string]any{"sub": "vneid-0001"}, "sso_no_link_claim"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				fb.forger.Set(tc.forgery, tc.claims)
				fb.refused(t, fb.callback(t, newBrowser(t, false), "/meetings"), tc.code)
			})
		}
	})

	t.Run("bad state", func(t *testing.T) {
		fb.forger.Set(ssotest.Honest, honest)
		b := newBrowser(t, false)
		resp, _ := b.do("GET", env.URL+"/api/v1/auth/oidc/start", nil)
		resp, _ = b.do("GET", location(t, resp).String(), nil)
		back := location(t, resp)
		// A state nobody issued.
		tampered := *back
		q := tampered.Query()
		q.Set("state", "x"+q.Get("state"))
		tampered.RawQuery = q.Encode()
		resp, _ = b.do("GET", tampered.String(), nil)
		fb.refused(t, resp, "sso_bad_state")
		// The right state from another browser (a link carried over): the
		// login is spent, so its owner must start again too.
		resp, _ = newBrowser(t, false).do("GET", back.String(), nil)
		fb.refused(t, resp, "sso_bad_state")
		resp, _ = b.do("GET", back.String(), nil)
		fb.refused(t, resp, "sso_bad_state")
		// No state at all.
		resp, _ = b.do("GET", env.URL+"/api/v1/auth/oidc/callback?code=abc", nil)
		fb.refused(t, resp, "sso_bad_state")
	})

	t.Run("state expires", func(t *testing.T) {
		fb.forger.Set(ssotest.Honest, honest)
		b := newBrowser(t, false)
		resp, _ := b.do("GET", env.URL+"/api/v1/auth/oidc/start", nil)
		state := location(t, resp).Query().Get("state")
		if _, err := env.App.DB.Pool.Exec(context.Background(), `UPDATE sso_logins SET expires_at = now() - interval '1 second'`); err != nil {
			t.Fatal(err)
		}
		resp, _ = b.do("GET", env.URL+"/api/v1/auth/oidc/callback?code=abc&state="+url.QueryEscape(state), nil)
		fb.refused(t, resp, "sso_bad_state")
	})

	t.Run("provider error answer", func(t *testing.T) {
		b := newBrowser(t, false)
		resp, _ := b.do("GET", env.URL+"/api/v1/auth/oidc/start", nil)
		state := location(t, resp).Query().Get("state")
		resp, _ = b.do("GET", env.URL+"/api/v1/auth/oidc/callback?error=access_denied&state="+url.QueryEscape(state), nil)
		fb.refused(t, resp, "sso_denied")
	})

	t.Run("disabled user", func(t *testing.T) {
		if _, err := env.App.DB.Pool.Exec(context.Background(), `UPDATE users SET active = false WHERE id = $1`, fb.userID); err != nil {
			t.Fatal(err)
		}
		fb.forger.Set(ssotest.Honest, honest)
		resp := fb.callback(t, newBrowser(t, false), "/meetings")
		fb.refused(t, resp, "account_inactive")
		if _, err := env.App.DB.Pool.Exec(context.Background(), `UPDATE users SET active = true WHERE id = $1`, fb.userID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("honest login", func(t *testing.T) {
		fb.forger.Set(ssotest.Honest, honest)
		b := newBrowser(t, false)
		resp := fb.callback(t, b, "/meetings/7?tab=docs")
		u := location(t, resp)
		if u.Path != "/login" || u.Query().Get("sso") != "done" || u.Query().Get("next") != "/meetings/7?tab=docs" {
			t.Fatalf("callback sent the browser to %s", u)
		}
		c := refreshCookieOf(resp)
		if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/api/v1/auth" {
			t.Fatalf("session cookie %+v", c)
		}
		var sess struct {
			AccessToken string `json:"access_token"`
			User        struct {
				ID    int64    `json:"id"`
				Roles []string `json:"roles"`
			} `json:"user"`
		}
		resp, body := b.do("POST", env.URL+"/api/v1/auth/refresh", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh after sso: %d %s", resp.StatusCode, body)
		}
		if err := json.Unmarshal([]byte(body), &sess); err != nil || sess.User.ID != fb.userID || len(sess.User.Roles) != 1 || sess.User.Roles[0] != "secretary" {
			t.Fatalf("refresh after sso: %s (%v)", body, err)
		}
		env.DoJSON(t, "GET", "/api/v1/me", sess.AccessToken, nil, http.StatusOK, nil)
		if n := env.Count(t, "audit_log", "action = 'auth.login' AND actor_id = $1 AND detail->>'method' = 'oidc' AND detail->>'subject' = 'vneid-0001'", fb.userID); n != 1 {
			t.Fatalf("%d audit rows for the sso login, want 1", n)
		}
		// The forger has no end_session_endpoint: logout is Cầu's alone.
		resp, body = b.do("POST", env.URL+"/api/v1/auth/logout", nil)
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("logout: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("return address stays on the site", func(t *testing.T) {
		fb.forger.Set(ssotest.Honest, honest)
		for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example"} {
			u := location(t, fb.callback(t, newBrowser(t, false), next))
			if u.Query().Get("next") != "/" {
				t.Fatalf("next %q came back as %s", next, u)
			}
		}
	})
}

// TestSSOLinkByPersonalID links by a personal-ID claim, and by an e-mail
// only when it names one account.
func TestSSOLinkByPersonalID(t *testing.T) {
	fb := setupForger(t, "cccd", config.LinkPersonalID)
	if _, err := fb.env.App.DB.Pool.Exec(context.Background(), `UPDATE users SET personal_id = '068090001234' WHERE id = $1`, fb.userID); err != nil {
		t.Fatal(err)
	}
	fb.forger.Set(ssotest.Honest, map[string]any{"sub": "s-1", "cccd": "068090009999", "preferred_username": "thuky"})
	fb.refused(t, fb.callback(t, newBrowser(t, false), "/"), "sso_unknown_account")
	fb.forger.Set(ssotest.Honest, map[string]any{"sub": "s-1", "cccd": "068090001234"})
	resp := fb.callback(t, newBrowser(t, false), "/")
	if location(t, resp).Query().Get("sso") != "done" || refreshCookieOf(resp) == nil {
		t.Fatalf("personal-ID login: %s", resp.Header.Get("Location"))
	}
}

// TestSSOWithRealProvider signs in through zitadel's OpenID provider (its
// login page, its token and userinfo endpoints: the linking claim comes
// from userinfo there), then logs out of Cầu and of the provider.
// Local passwords are off here.
func TestSSOWithRealProvider(t *testing.T) {
	op, err := ssotest.StartOP(listen(t),
		ssotest.User{ID: "u1", Username: "chutri", Password: "mật-khẩu-tỉnh", FirstName: "Chủ", LastName: "Trì"},
		ssotest.User{ID: "u2", Username: "nguoila", Password: "mật-khẩu-tỉnh", FirstName: "Người", LastName: "Lạ"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { op.Close() })
	env := apptest.New(t, withSSO(op.Issuer, "preferred_username", config.LinkUsername, false))
	appURL := env.URL
	op.Register(ssotest.Client{ID: ssoClientID, Secret: ssoSecret,
		RedirectURIs: []string{appURL + "/api/v1/auth/oidc/callback"}, PostLogoutURIs: []string{appURL + "/login"}})
	prov := env.Unit(t, 0, "province", "lam-dong", "UBND tỉnh Lâm Đồng")
	// The chair also administers, to try a password reset below.
	uid := env.User(t, prov, "chutri", "mật-khẩu-cũ", apptest.Grant(auth.RoleChair), apptest.Grant(auth.RoleAdmin))
	other := env.User(t, prov, "thuky", "mật-khẩu-thư-ký")

	var methods map[string]bool
	env.DoJSON(t, "GET", "/api/v1/auth/methods", "", nil, http.StatusOK, &methods)
	if methods["password"] || !methods["oidc"] {
		t.Fatalf("methods %v", methods)
	}
	if status, body := env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "chutri", "password": "mật-khẩu-cũ"}); status != http.StatusForbidden || !strings.Contains(string(body), "password_login_disabled") {
		t.Fatalf("password login with local passwords off: %d %s", status, body)
	}

	login := func(b *browser, user string) *url.URL {
		t.Helper()
		resp, page := b.do("GET", env.URL+"/api/v1/auth/oidc/start?next="+url.QueryEscape("/meetings/3"), nil)
		if !strings.Contains(page, `name="password"`) {
			t.Fatalf("provider login page not reached (%s): %.300s", resp.Request.URL, page)
		}
		id := regexp.MustCompile(`name="id" value="([^"]+)"`).FindStringSubmatch(page)
		if id == nil {
			t.Fatalf("no auth request id on the provider's page: %.300s", page)
		}
		resp, _ = b.do("POST", resp.Request.URL.Scheme+"://"+resp.Request.URL.Host+"/login/username",
			url.Values{"id": {id[1]}, "username": {user}, "password": {"mật-khẩu-tỉnh"}})
		return resp.Request.URL
	}

	b := newBrowser(t, true)
	landed := login(b, "nguoila")
	if landed.Path != "/login" || landed.Query().Get("sso_error") != "sso_unknown_account" {
		t.Fatalf("unknown provider user landed on %s", landed)
	}
	if n := env.Count(t, "users", ""); n != 2 {
		t.Fatalf("%d users after an unknown subject, want 2 (nothing created)", n)
	}

	landed = login(b, "chutri")
	if landed.Host != strings.TrimPrefix(appURL, "http://") || landed.Path != "/login" || landed.Query().Get("next") != "/meetings/3" {
		t.Fatalf("landed on %s", landed)
	}
	resp, body := b.do("POST", env.URL+"/api/v1/auth/refresh", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"chair"`) {
		t.Fatalf("refresh after sso: %d %s", resp.StatusCode, body)
	}
	if n := env.Count(t, "sso_sessions", "user_id = $1", uid); n != 1 {
		t.Fatalf("%d sso sessions kept for logout", n)
	}
	// No local password to change: refused in words, nothing changed.
	var signed struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(body), &signed); err != nil || signed.AccessToken == "" {
		t.Fatalf("refresh answer: %s", body)
	}
	hashOf := func(id int64) (h string) {
		if err := env.App.DB.Pool.QueryRow(t.Context(), `SELECT password_hash FROM users WHERE id = $1`, id).Scan(&h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	hashBefore, otherBefore := hashOf(uid), hashOf(other)
	status, changed := env.Do(t, "POST", "/api/v1/me/password", signed.AccessToken, map[string]string{"old_password": "mật-khẩu-cũ", "new_password": "mật-khẩu-mới-dài-hơn"})
	if status != http.StatusForbidden || errorCode(t, changed) != "password_change_disabled" {
		t.Fatalf("change password with local passwords off: %d %s", status, changed)
	}
	if hashOf(uid) != hashBefore {
		t.Fatal("the refused change changed the password")
	}
	// Nor does an administrator hand out a temporary password that would open nothing.
	status, reset := env.Do(t, "POST", fmt.Sprintf("/api/v1/users/%d/reset-password", other), signed.AccessToken, nil)
	if status != http.StatusForbidden || errorCode(t, reset) != "password_change_disabled" {
		t.Fatalf("reset password with local passwords off: %d %s", status, reset)
	}
	if hashOf(other) != otherBefore {
		t.Fatal("the refused reset changed the password")
	}

	resp, body = b.do("POST", env.URL+"/api/v1/auth/logout", nil)
	var out struct {
		EndSessionURL string `json:"end_session_url"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &out) != nil || !strings.HasPrefix(out.EndSessionURL, op.Issuer) ||
		!strings.Contains(out.EndSessionURL, "id_token_hint=") {
		t.Fatalf("logout: %d %s", resp.StatusCode, body)
	}
	resp, _ = b.do("GET", out.EndSessionURL, nil)
	if resp.Request.URL.String() != appURL+"/login" || op.EndedSessions() != 1 {
		t.Fatalf("end session landed on %s, %d sessions ended at the provider", resp.Request.URL, op.EndedSessions())
	}
	// The cookie is gone from the browser and its family revoked.
	resp, body = b.do("POST", env.URL+"/api/v1/auth/refresh", nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "refresh_token") {
		t.Fatalf("refresh after logout: %d %s", resp.StatusCode, body)
	}
	if n := env.Count(t, "refresh_tokens", "user_id = $1 AND revoked_at IS NULL", uid); n != 0 {
		t.Fatalf("%d refresh tokens still valid after logout", n)
	}
}
