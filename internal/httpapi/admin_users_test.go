package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestUserLifecycle: a generated password works once handed over, answers
// never carry hashes, deactivation ends sessions at once, a reset replaces
// the password, and an admin cannot lock itself out.
func TestUserLifecycle(t *testing.T) {
	w := setupAdmin(t)
	tok := w.tokens["admin"]
	status, body := w.env.Do(t, "POST", "/api/v1/users", tok, map[string]any{"unit_id": w.communeA, "username": "Pho-Chu-Tich", "full_name": "Phó Chủ tịch Tân Hà",
		"email": "pct@tanha.lamdong.gov.vn", "grants": []map[string]any{{"role": "delegate"}}})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	if strings.Contains(string(body), "argon2") || strings.Contains(string(body), "hash") {
		t.Fatalf("the answer carries a password hash: %s", body)
	}
	var created struct {
		User struct {
			ID       int64  `json:"id"`
			Username string `json:"username"`
		} `json:"user"`
		Temporary string `json:"temporary_password"`
	}
	if err := json.Unmarshal(body, &created); err != nil || created.Temporary == "" || created.User.Username != "pho-chu-tich" {
		t.Fatalf("create answer: %s (%v)", body, err)
	}
	userTok, _ := w.env.Login(t, "pho-chu-tich", created.Temporary)
	w.env.DoJSON(t, "GET", "/api/v1/me", userTok, nil, http.StatusOK, nil)

	_, list := w.env.Do(t, "GET", "/api/v1/users", tok, nil)
	if strings.Contains(string(list), "argon2") {
		t.Fatal("the user list carries password hashes")
	}

	path := fmt.Sprintf("/api/v1/users/%d", created.User.ID)
	w.env.DoJSON(t, "POST", path+"/deactivate", tok, nil, http.StatusOK, nil)
	if s, b := w.env.Do(t, "GET", "/api/v1/me", userTok, nil); s != http.StatusUnauthorized && s != http.StatusForbidden {
		t.Fatalf("a deactivated user's token still works: %d %s", s, b)
	}
	w.env.DoJSON(t, "POST", path+"/reactivate", tok, nil, http.StatusOK, nil)

	var reset struct {
		Temporary string `json:"temporary_password"`
	}
	w.env.DoJSON(t, "POST", path+"/reset-password", tok, nil, http.StatusOK, &reset)
	if s, _ := w.env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "pho-chu-tich", "password": created.Temporary}); s != http.StatusUnauthorized {
		t.Fatalf("the old password still works after a reset: %d", s)
	}
	w.env.Login(t, "pho-chu-tich", reset.Temporary)

	var me struct {
		ID int64 `json:"id"`
	}
	w.env.DoJSON(t, "GET", "/api/v1/me", tok, nil, http.StatusOK, &me)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"POST", fmt.Sprintf("/api/v1/users/%d/deactivate", me.ID), nil},
		{"PUT", fmt.Sprintf("/api/v1/users/%d/roles", me.ID), map[string]any{"grants": []any{}}},
	} {
		s, b := w.env.Do(t, c.method, c.path, tok, c.body)
		if s != http.StatusConflict || errorCode(t, b) != "own_account" {
			t.Fatalf("%s %s on oneself: %d %s", c.method, c.path, s, b)
		}
	}
	n, breach, err := w.env.App.DB.VerifyAudit(t.Context())
	if err != nil || breach != nil {
		t.Fatalf("audit: %d %v %v", n, breach, err)
	}
	if got := w.env.Count(t, "audit_log", "action LIKE 'user.%' AND object_id = $1", fmt.Sprint(created.User.ID)); got != 4 {
		t.Fatalf("%d user.* audit rows for the new user, want 4 (create, deactivate, reactivate, reset)", got)
	}
}

// TestAuditAPI: the log shows each change with its actor, filters and
// pages, and the chain verifies.
func TestAuditAPI(t *testing.T) {
	w := setupAdmin(t)
	tok := w.tokens["admin"]
	for i := range 3 {
		w.env.DoJSON(t, "PATCH", fmt.Sprintf("/api/v1/units/%d", w.communeA), tok, map[string]any{"name": fmt.Sprintf("UBND xã Tân Hà %d", i)}, http.StatusOK, nil)
	}
	type page struct {
		Entries []struct {
			ID        int64          `json:"id"`
			ActorName string         `json:"actor_name"`
			Action    string         `json:"action"`
			ObjectID  string         `json:"object_id"`
			Detail    map[string]any `json:"detail"`
		} `json:"entries"`
		NextBefore *int64 `json:"next_before"`
	}
	var p page
	path := fmt.Sprintf("/api/v1/audit?action=unit.&object_type=unit&object_id=%d&limit=2", w.communeA)
	w.env.DoJSON(t, "GET", path, tok, nil, http.StatusOK, &p)
	if len(p.Entries) != 2 || p.NextBefore == nil || p.Entries[0].Action != "unit.rename" || p.Entries[0].ActorName != "admin" {
		t.Fatalf("first page: %+v", p)
	}
	if after, _ := p.Entries[0].Detail["after"].(map[string]any); after["name"] != "UBND xã Tân Hà 2" {
		t.Fatalf("newest entry's detail: %v", p.Entries[0].Detail)
	}
	var next page
	w.env.DoJSON(t, "GET", fmt.Sprintf("%s&before=%d", path, *p.NextBefore), tok, nil, http.StatusOK, &next)
	if len(next.Entries) != 1 || next.NextBefore != nil || next.Entries[0].ID >= p.Entries[1].ID {
		t.Fatalf("second page: %+v", next)
	}
	for _, bad := range []string{"?limit=0", "?limit=abc", "?before=-1", "?actor_id=1%27", "?action=" + strings.Repeat("a", 101)} {
		if s, b := w.env.Do(t, "GET", "/api/v1/audit"+bad, tok, nil); s != http.StatusUnprocessableEntity {
			t.Errorf("audit%s: %d %s, want 422", bad, s, b)
		}
	}
	var check struct {
		Rows   int64 `json:"rows"`
		Intact bool  `json:"intact"`
	}
	w.env.DoJSON(t, "GET", "/api/v1/audit/verify", tok, nil, http.StatusOK, &check)
	if !check.Intact || check.Rows < 3 {
		t.Fatalf("verify: %+v", check)
	}
}
