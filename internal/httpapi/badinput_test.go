package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cau-gov/cau/internal/config"
)

// TestBadInputChangesNothing sends malformed, oversized and hostile bodies
// to the auth endpoints: each gets a clear 4xx, never a 500, and no row of
// users, refresh tokens or the audit log changes.
func TestBadInputChangesNothing(t *testing.T) {
	b := setupAuth(t, func(c *config.Config) {
		c.HTTP.MaxBodyBytes = 4096
		c.Login.PerIPPerMinute = 1000
		c.Login.PerUserPerMinute = 1000
	})
	env := b.env
	access, refresh := env.Login(t, "thuky", "mật-khẩu-đúng")
	counts := func() [3]int {
		return [3]int{env.Count(t, "users", ""), env.Count(t, "refresh_tokens", ""), env.Count(t, "audit_log", "")}
	}
	before := counts()

	huge := `{"username":"thuky","password":"` + strings.Repeat("a", 5000) + `"}`
	cases := []struct {
		name, path, contentType, body string
		wantStatus                    int
		wantCode                      string
	}{
		{"malformed JSON", "/api/v1/auth/login", "application/json", `{"username":"thuky",`, 400, "malformed_json"},
		{"not JSON at all", "/api/v1/auth/login", "application/json", `username=thuky`, 400, "malformed_json"},
		{"empty body", "/api/v1/auth/login", "application/json", ``, 400, "malformed_json"},
		{"two objects", "/api/v1/auth/login", "application/json", `{"username":"a","password":"b"}{}`, 400, "malformed_json"},
		{"unknown field", "/api/v1/auth/login", "application/json", `{"username":"thuky","password":"x","admin":true}`, 400, "unknown_field"},
		{"wrong type", "/api/v1/auth/login", "application/json", `{"username":42,"password":"x"}`, 422, "validation_failed"},
		{"oversized body", "/api/v1/auth/login", "application/json", huge, 413, "body_too_large"},
		{"form content type", "/api/v1/auth/login", "application/x-www-form-urlencoded", `username=thuky`, 415, "unsupported_media_type"},
		{"missing fields", "/api/v1/auth/login", "application/json", `{}`, 422, "validation_failed"},
		{"refresh: malformed token", "/api/v1/auth/refresh", "application/json", `{"refresh_token":"' OR 1=1 --"}`, 401, "invalid_token"},
		{"refresh: unknown field", "/api/v1/auth/refresh", "application/json", `{"refresh_token":"x","user_id":1}`, 400, "unknown_field"},
		{"logout: missing token", "/api/v1/auth/logout", "application/json", `{}`, 422, "validation_failed"},
	}
	for _, sqlish := range []string{`' OR '1'='1`, `thuky'; DROP TABLE users; --`, `"; DELETE FROM refresh_tokens; --`, `\x00`, `thuky' --`} {
		cases = append(cases, struct {
			name, path, contentType, body string
			wantStatus                    int
			wantCode                      string
		}{"SQL metacharacters in username " + sqlish, "/api/v1/auth/login", "application/json",
			`{"username":` + jsonString(sqlish) + `,"password":` + jsonString(sqlish) + `}`, 401, "invalid_credentials"})
	}
	for _, tc := range cases {
		req, _ := http.NewRequest("POST", env.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", tc.contentType)
		resp, err := env.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.wantStatus || errorCode(t, body) != tc.wantCode {
			t.Errorf("%s: %d %s, want %d %s", tc.name, resp.StatusCode, bytes.TrimSpace(body), tc.wantStatus, tc.wantCode)
		}
	}
	after := counts()
	// Failed logins (SQL metacharacter cases) audit, and nothing else may change.
	if before[0] != after[0] || before[1] != after[1] {
		t.Fatalf("users/refresh_tokens changed: %v → %v", before, after)
	}
	if got := after[2] - before[2]; got != 5 {
		t.Fatalf("audit rows added: %d, want 5 (one per failed login)", got)
	}
	// The session made before all this still works.
	if status, _ := env.Do(t, "GET", "/api/v1/me", access, nil); status != http.StatusOK {
		t.Fatalf("session broken by bad input: %d", status)
	}
	_ = refresh
	n, breach, err := env.App.DB.VerifyAudit(t.Context())
	if err != nil || breach != nil || n == 0 {
		t.Fatalf("audit chain after bad input: n=%d breach=%v err=%v", n, breach, err)
	}
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
