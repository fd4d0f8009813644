package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/config"
)

// TestRefreshCookie: a login asking for the cookie gets the refresh token
// only there (HttpOnly, SameSite=Strict, Path /api/v1/auth, Secure when the
// client came over HTTPS through a trusted proxy); refresh and logout take
// it from the cookie and rotate or clear it.
func TestRefreshCookie(t *testing.T) {
	b := setupAuth(t, func(c *config.Config) { c.HTTP.TrustedProxies = []string{"127.0.0.1/32", "::1/128"} })
	env := b.env
	post := func(path, body string, cookie *http.Cookie, https bool) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("POST", env.URL+path, bytes.NewReader([]byte(body)))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		if https {
			req.Header.Set("X-Forwarded-Proto", "https")
		}
		resp, err := env.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp, out
	}
	cookieOf := func(resp *http.Response) *http.Cookie {
		for _, c := range resp.Cookies() {
			if c.Name == "cau_refresh" {
				return c
			}
		}
		t.Fatalf("no cau_refresh cookie in %v", resp.Header.Values("Set-Cookie"))
		return nil
	}

	for _, https := range []bool{false, true} {
		resp, body := post("/api/v1/auth/login", `{"username":"thuky","password":"mật-khẩu-đúng","cookie":true}`, nil, https)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("login: %d %s", resp.StatusCode, body)
		}
		c := cookieOf(resp)
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/api/v1/auth" || c.Secure != https || c.MaxAge < 3600 || c.Value == "" {
			t.Fatalf("cookie over https=%v: %+v", https, c)
		}
		if strings.Contains(string(body), "refresh_token") || strings.Contains(string(body), c.Value) {
			t.Fatalf("the refresh token is in the answer too: %s", body)
		}
	}

	resp, _ := post("/api/v1/auth/login", `{"username":"thuky","password":"mật-khẩu-đúng","cookie":true}`, nil, false)
	first := cookieOf(resp)
	resp, body := post("/api/v1/auth/refresh", "", first, false)
	var sess struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &sess) != nil || sess.AccessToken == "" {
		t.Fatalf("refresh with the cookie: %d %s", resp.StatusCode, body)
	}
	second := cookieOf(resp)
	if second.Value == first.Value {
		t.Fatal("the cookie was not rotated")
	}
	// The spent cookie again: reuse, the family is revoked, the cookie cleared.
	resp, body = post("/api/v1/auth/refresh", "", first, false)
	if resp.StatusCode != http.StatusUnauthorized || errorCode(t, body) != "token_reused" || cookieOf(resp).MaxAge >= 0 {
		t.Fatalf("spent cookie: %d %s %v", resp.StatusCode, body, resp.Header.Values("Set-Cookie"))
	}

	resp, _ = post("/api/v1/auth/login", `{"username":"thuky","password":"mật-khẩu-đúng","cookie":true}`, nil, false)
	c := cookieOf(resp)
	resp, body = post("/api/v1/auth/logout", "", c, false)
	if resp.StatusCode != http.StatusNoContent || cookieOf(resp).MaxAge >= 0 {
		t.Fatalf("logout with the cookie: %d %s", resp.StatusCode, body)
	}
	if resp, _ := post("/api/v1/auth/refresh", "", c, false); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("refresh after logout: %d", resp.StatusCode)
	}

	// The sign-in's limits are in the answer; past the idle timeout (its
	// token issued 31 minutes ago) or the maximum age (its login 12 h ago),
	// the refresh is refused with its own code and the cookie cleared.
	for _, tc := range []struct{ age, code string }{
		{`created_at = created_at - interval '31 minutes'`, "session_idle"},
		{`session_started_at = session_started_at - interval '12 hours'`, "session_expired"},
	} {
		resp, body = post("/api/v1/auth/login", `{"username":"thuky","password":"mật-khẩu-đúng","cookie":true}`, nil, false)
		var sess struct {
			IdleTimeout      int       `json:"idle_timeout"`
			SessionExpiresAt time.Time `json:"session_expires_at"`
		}
		if err := json.Unmarshal(body, &sess); err != nil || sess.IdleTimeout != 1800 ||
			time.Until(sess.SessionExpiresAt) < 11*time.Hour+59*time.Minute || time.Until(sess.SessionExpiresAt) > 12*time.Hour {
			t.Fatalf("login answer without the sign-in's limits (idle 1800 s, ends in 12 h): %s", body)
		}
		c := cookieOf(resp)
		if c.MaxAge > 12*3600 || c.MaxAge < 12*3600-60 {
			t.Fatalf("cookie Max-Age %d, want the 12 h until the sign-in's end", c.MaxAge)
		}
		if _, err := env.App.DB.Pool.Exec(t.Context(), `UPDATE refresh_tokens SET `+tc.age+` WHERE used_at IS NULL AND revoked_at IS NULL`); err != nil {
			t.Fatal(err)
		}
		resp, body = post("/api/v1/auth/refresh", "", c, false)
		if resp.StatusCode != http.StatusUnauthorized || errorCode(t, body) != tc.code || cookieOf(resp).MaxAge >= 0 {
			t.Fatalf("refresh of an aged sign-in (%s): %d %s %v, want 401 %s and the cookie cleared", tc.age, resp.StatusCode, body, resp.Header.Values("Set-Cookie"), tc.code)
		}
	}
}
