package httpapi_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/config"
)

type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("body is not an API error: %s", body)
	}
	return e.Error.Code
}

type authBundle struct {
	env      *apptest.Env
	province int64
	userID   int64
}

func setupAuth(t *testing.T, opts ...apptest.Option) *authBundle {
	t.Helper()
	env := apptest.New(t, opts...)
	prov := env.Unit(t, 0, "province", "lam-dong", "UBND tỉnh Lâm Đồng")
	uid := env.User(t, prov, "thuky", "mật-khẩu-đúng", apptest.Grant(auth.RoleSecretary))
	return &authBundle{env: env, province: prov, userID: uid}
}

func TestLoginRefreshLogout(t *testing.T) {
	b := setupAuth(t)
	env := b.env

	var sess struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int    `json:"expires_in"`
		User         struct {
			ID       int64    `json:"id"`
			Username string   `json:"username"`
			FullName string   `json:"full_name"`
			Roles    []string `json:"roles"`
			UnitID   int64    `json:"unit_id"`
		} `json:"user"`
	}
	env.DoJSON(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "ThuKy ", "password": "mật-khẩu-đúng"}, http.StatusOK, &sess)
	if sess.User.ID != b.userID || sess.User.Username != "thuky" || sess.User.UnitID != b.province ||
		len(sess.User.Roles) != 1 || sess.User.Roles[0] != "secretary" || sess.ExpiresIn != 900 {
		t.Fatalf("login answer: %+v", sess)
	}

	var me struct {
		Username           string           `json:"username"`
		Grants             []auth.RoleGrant `json:"grants"`
		MustChangePassword bool             `json:"must_change_password"`
	}
	env.DoJSON(t, "GET", "/api/v1/me", sess.AccessToken, nil, http.StatusOK, &me)
	if me.Username != "thuky" || len(me.Grants) != 1 || me.MustChangePassword {
		t.Fatalf("/me: %+v", me)
	}

	t.Run("refresh rotates; reusing a spent token revokes the family", func(t *testing.T) {
		_, first := env.Login(t, "thuky", "mật-khẩu-đúng")
		var next struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		}
		env.DoJSON(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": first}, http.StatusOK, &next)
		if next.RefreshToken == first || next.AccessToken == "" {
			t.Fatal("refresh did not rotate the token")
		}
		status, body := env.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": first})
		if status != http.StatusUnauthorized || errorCode(t, body) != "token_reused" {
			t.Fatalf("reuse: %d %s, want 401 token_reused", status, body)
		}
		// The thief's reuse also kills the legitimate child.
		status, body = env.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": next.RefreshToken})
		if status != http.StatusUnauthorized || errorCode(t, body) != "invalid_token" {
			t.Fatalf("child after reuse: %d %s, want 401 invalid_token", status, body)
		}
		if n := env.Count(t, "audit_log", "action = 'auth.refresh_reused'"); n != 1 {
			t.Fatalf("%d reuse audit rows, want 1", n)
		}
	})

	t.Run("logout revokes the family and is idempotent", func(t *testing.T) {
		access, refresh := env.Login(t, "thuky", "mật-khẩu-đúng")
		for i := 0; i < 2; i++ {
			if status, body := env.Do(t, "POST", "/api/v1/auth/logout", access, map[string]string{"refresh_token": refresh}); status != http.StatusNoContent {
				t.Fatalf("logout %d: %d %s", i, status, body)
			}
		}
		if status, _ := env.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}); status != http.StatusUnauthorized {
			t.Fatalf("refresh after logout: %d, want 401", status)
		}
	})

	t.Run("password change revokes sessions and old access tokens", func(t *testing.T) {
		access, refresh := env.Login(t, "thuky", "mật-khẩu-đúng")
		status, body := env.Do(t, "POST", "/api/v1/me/password", access, map[string]string{"old_password": "sai", "new_password": "mật-khẩu-mới-dài"})
		if status != http.StatusUnprocessableEntity || errorCode(t, body) != "wrong_password" {
			t.Fatalf("wrong old password: %d %s", status, body)
		}
		status, body = env.Do(t, "POST", "/api/v1/me/password", access, map[string]string{"old_password": "mật-khẩu-đúng", "new_password": "ngắn"})
		if status != http.StatusUnprocessableEntity || errorCode(t, body) != "weak_password" {
			t.Fatalf("short password: %d %s", status, body)
		}
		// Access tokens carry one-second times: move past the issue second.
		time.Sleep(1100 * time.Millisecond)
		if status, body := env.Do(t, "POST", "/api/v1/me/password", access, map[string]string{"old_password": "mật-khẩu-đúng", "new_password": "mật-khẩu-mới-dài"}); status != http.StatusNoContent {
			t.Fatalf("change: %d %s", status, body)
		}
		if status, _ := env.Do(t, "GET", "/api/v1/me", access, nil); status != http.StatusUnauthorized {
			t.Fatalf("old access token after password change: %d, want 401", status)
		}
		if status, _ := env.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}); status != http.StatusUnauthorized {
			t.Fatalf("old refresh token after password change: %d, want 401", status)
		}
		env.Login(t, "thuky", "mật-khẩu-mới-dài")
	})
}

func TestWrongCredentialsLookAlike(t *testing.T) {
	b := setupAuth(t)
	s1, unknown := b.env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "khong-co", "password": "x"})
	s2, wrong := b.env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "thuky", "password": "x"})
	if s1 != http.StatusUnauthorized || s2 != http.StatusUnauthorized || !bytes.Equal(unknown, wrong) {
		t.Fatalf("unknown user %d %s vs wrong password %d %s: want identical 401s", s1, unknown, s2, wrong)
	}
	if errorCode(t, unknown) != "invalid_credentials" {
		t.Fatalf("code %s", errorCode(t, unknown))
	}
}

func TestLockoutAndUnlock(t *testing.T) {
	b := setupAuth(t, func(c *config.Config) {
		c.Login.MaxFailures = 3
		c.Login.LockDuration = 2 * time.Second
		c.Login.PerUserPerMinute = 1000
	})
	env := b.env
	for i := 0; i < 3; i++ {
		if status, _ := env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "thuky", "password": "sai"}); status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d", i, status)
		}
	}
	// Locked: even the right password is refused.
	status, body := env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "thuky", "password": "mật-khẩu-đúng"})
	if status != http.StatusLocked || errorCode(t, body) != "account_locked" {
		t.Fatalf("locked account: %d %s, want 423 account_locked", status, body)
	}
	if n := env.Count(t, "audit_log", "action = 'auth.locked'"); n != 1 {
		t.Fatalf("%d lock audit rows, want 1", n)
	}
	// The lock lifts after the configured duration.
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _ := env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "thuky", "password": "mật-khẩu-đúng"})
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d 10s after a 2s lock", status)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func TestLoginRateLimits(t *testing.T) {
	b := setupAuth(t, func(c *config.Config) {
		c.Login.PerIPPerMinute = 100
		c.Login.PerUserPerMinute = 4
		c.Login.MaxFailures = 100
	})
	env := b.env
	var last int
	var body []byte
	var header http.Header
	for i := 0; i < 5; i++ {
		req, _ := http.NewRequest("POST", env.URL+"/api/v1/auth/login", bytes.NewReader([]byte(`{"username":"thuky","password":"sai"}`)))
		resp, err := env.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		last, header = resp.StatusCode, resp.Header
		body = make([]byte, 512)
		n, _ := resp.Body.Read(body)
		body = body[:n]
		resp.Body.Close()
	}
	if last != http.StatusTooManyRequests || errorCode(t, body) != "rate_limited" {
		t.Fatalf("5th attempt in a minute: %d %s, want 429 rate_limited", last, body)
	}
	if s, err := strconv.Atoi(header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Fatalf("Retry-After %q", header.Get("Retry-After"))
	}
}

func TestInactiveUser(t *testing.T) {
	b := setupAuth(t)
	access, _ := b.env.Login(t, "thuky", "mật-khẩu-đúng")
	if _, err := b.env.App.DB.Pool.Exec(context.Background(), "UPDATE users SET active = false WHERE id = $1", b.userID); err != nil {
		t.Fatal(err)
	}
	if status, _ := b.env.Do(t, "GET", "/api/v1/me", access, nil); status != http.StatusUnauthorized {
		t.Fatalf("deactivated user's token: %d, want 401", status)
	}
	status, body := b.env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "thuky", "password": "mật-khẩu-đúng"})
	if status != http.StatusForbidden || errorCode(t, body) != "account_inactive" {
		t.Fatalf("login of deactivated user: %d %s", status, body)
	}
}

// TestBadTokens checks that every kind of bad access token is a 401.
func TestBadTokens(t *testing.T) {
	b := setupAuth(t)
	env := b.env
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Now()
	claims := func(exp time.Time) jwt.MapClaims {
		return jwt.MapClaims{"iss": "cau", "aud": "cau-api", "sub": strconv.FormatInt(b.userID, 10),
			"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": exp.Unix(), "usr": "thuky"}
	}
	sign := func(m jwt.SigningMethod, key any, c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	pub := env.App.AccessKey.Public().(ed25519.PublicKey)
	unsigned := sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(now.Add(time.Hour)))
	cases := map[string]string{
		"forged (another key)":                sign(jwt.SigningMethodEdDSA, otherKey, claims(now.Add(time.Hour))),
		"expired":                             sign(jwt.SigningMethodEdDSA, env.App.AccessKey, claims(now.Add(-time.Minute))),
		"alg none":                            unsigned,
		"HS256 with the public key as secret": sign(jwt.SigningMethodHS256, []byte(pub), claims(now.Add(time.Hour))),
		"garbage":                             "not.a.token",
		"tampered payload":                    tamper(sign(jwt.SigningMethodEdDSA, env.App.AccessKey, claims(now.Add(time.Hour)))),
	}
	for name, tok := range cases {
		status, body := env.Do(t, "GET", "/api/v1/me", tok, nil)
		if status != http.StatusUnauthorized || errorCode(t, body) != "invalid_token" {
			t.Errorf("%s: %d %s, want 401 invalid_token", name, status, body)
		}
	}
	for _, h := range []string{"Basic dGh1a3k6eA==", "Bearer", "Bearer "} {
		req, _ := http.NewRequest("GET", env.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", h)
		resp, err := env.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d, want 401", h, resp.StatusCode)
		}
	}
	if status, body := env.Do(t, "GET", "/api/v1/me", "", nil); status != http.StatusUnauthorized || errorCode(t, body) != "unauthenticated" {
		t.Errorf("no token: %d %s", status, body)
	}
}

// tamper changes the subject inside a signed token without re-signing.
func tamper(tok string) string {
	parts := bytes.Split([]byte(tok), []byte("."))
	payload, _ := base64.RawURLEncoding.DecodeString(string(parts[1]))
	var m map[string]any
	_ = json.Unmarshal(payload, &m)
	m["sub"] = "999999"
	payload, _ = json.Marshal(m)
	parts[1] = []byte(base64.RawURLEncoding.EncodeToString(payload))
	return string(bytes.Join(parts, []byte(".")))
}
