package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAdminBadInput: hostile and malformed values change nothing.
func TestAdminBadInput(t *testing.T) {
	w := setupAdmin(t)
	tok := w.tokens["admin"]
	counts := func() string {
		return fmt.Sprint(w.env.Count(t, "units", ""), w.env.Count(t, "halls", ""), w.env.Count(t, "users", ""),
			w.env.Count(t, "user_roles", ""), w.env.Count(t, "audit_log", ""))
	}
	before := counts()
	sqlish := []string{`'; DROP TABLE units; --`, `x' OR '1'='1`, `Robert"); DELETE FROM users; --`}
	for _, v := range sqlish {
		for _, c := range []struct {
			method, path string
			body         map[string]any
		}{
			{"POST", "/api/v1/units", map[string]any{"parent_id": w.province, "level": "department", "code": v, "name": "Sở"}},
			{"POST", "/api/v1/units", map[string]any{"parent_id": w.province, "level": v, "code": "so-x", "name": "Sở"}},
			{"POST", "/api/v1/halls", map[string]any{"unit_id": w.communeA, "code": v, "name": "Điểm cầu"}},
			{"POST", "/api/v1/users", map[string]any{"unit_id": w.communeA, "username": v, "full_name": "Tên"}},
			{"POST", "/api/v1/users", map[string]any{"unit_id": w.communeA, "username": "hop-le", "full_name": "Tên", "email": v}},
			{"PUT", fmt.Sprintf("/api/v1/users/%d/roles", w.targetUser), map[string]any{"grants": []map[string]any{{"role": v}}}},
		} {
			status, body := w.env.Do(t, c.method, c.path, tok, c.body)
			if status != http.StatusUnprocessableEntity {
				t.Errorf("%s %s with %q: %d %s, want 422", c.method, c.path, v, status, body)
			}
		}
	}
	for _, c := range []struct {
		name, method, path, body string
		status                   int
	}{
		{"name too long", "POST", "/api/v1/units", fmt.Sprintf(`{"parent_id":%d,"level":"department","code":"dai","name":"%s"}`, w.province, strings.Repeat("Đ", 201)), 422},
		{"empty name", "PATCH", fmt.Sprintf("/api/v1/units/%d", w.communeA), `{"name":"  "}`, 422},
		{"unknown field", "POST", "/api/v1/halls", `{"unit_id":1,"code":"a","name":"b","secret":1}`, 400},
		{"malformed", "POST", "/api/v1/users", `{"unit_id":`, 400},
		{"hall operator without hall", "PUT", fmt.Sprintf("/api/v1/users/%d/roles", w.targetUser), `{"grants":[{"role":"hall_operator"}]}`, 422},
		{"bad id in path", "PATCH", "/api/v1/units/abc", `{"name":"x"}`, 404},
		{"negative limit", "GET", "/api/v1/users?limit=-1", "", 422},
		{"code with capitals", "PATCH", fmt.Sprintf("/api/v1/halls/%d", w.hallA), `{"code":"DC-Tan-Ha"}`, 422},
		{"code with a space", "POST", "/api/v1/halls", fmt.Sprintf(`{"unit_id":%d,"code":"dc tan","name":"x"}`, w.communeA), 422},
		{"code too long", "PATCH", fmt.Sprintf("/api/v1/units/%d", w.communeA), fmt.Sprintf(`{"code":"%s"}`, strings.Repeat("a", 65)), 422},
		{"unknown level", "PATCH", fmt.Sprintf("/api/v1/units/%d", w.communeA), `{"level":"village"}`, 422},
		{"name with a newline", "PATCH", fmt.Sprintf("/api/v1/halls/%d", w.hallA), `{"name":"a\nb"}`, 422},
		{"move under a missing parent", "POST", fmt.Sprintf("/api/v1/units/%d/move", w.communeA), `{"parent_id":999999}`, 422},
		{"move without a parent", "POST", fmt.Sprintf("/api/v1/units/%d/move", w.communeA), `{}`, 422},
		{"hall in a missing unit", "POST", "/api/v1/halls", `{"unit_id":999999,"code":"dc-x","name":"x"}`, 422},
		{"hall moved to a missing unit", "PATCH", fmt.Sprintf("/api/v1/halls/%d", w.hallA), `{"unit_id":999999}`, 422},
		{"user in a missing unit", "POST", "/api/v1/users", `{"unit_id":999999,"username":"ai-do","full_name":"Ai Đó"}`, 422},
		{"user without a unit", "POST", "/api/v1/users", `{"username":"ai-do","full_name":"Ai Đó"}`, 422},
		{"short password", "POST", "/api/v1/users", fmt.Sprintf(`{"unit_id":%d,"username":"ai-do","full_name":"Ai Đó","password":"ngan"}`, w.communeA), 422},
		{"username taken", "POST", "/api/v1/users", fmt.Sprintf(`{"unit_id":%d,"username":"admin","full_name":"Ai Đó"}`, w.communeA), 409},
		{"grant for a missing hall", "PUT", fmt.Sprintf("/api/v1/users/%d/roles", w.targetUser), `{"grants":[{"role":"hall_operator","hall_id":999999}]}`, 422},
		{"grant scoped to a missing unit", "PUT", fmt.Sprintf("/api/v1/users/%d/roles", w.targetUser), `{"grants":[{"role":"secretary","scope_unit_id":999999}]}`, 422},
		{"duplicate grant", "PUT", fmt.Sprintf("/api/v1/users/%d/roles", w.targetUser), `{"grants":[{"role":"delegate"},{"role":"delegate"}]}`, 422},
		{"grants missing", "PUT", fmt.Sprintf("/api/v1/users/%d/roles", w.targetUser), `{}`, 422},
		{"grants not a list", "PUT", fmt.Sprintf("/api/v1/users/%d/roles", w.targetUser), `{"grants":"admin"}`, 422},
		{"missing user", "POST", "/api/v1/users/999999/reset-password", "", 404},
		{"missing hall", "POST", "/api/v1/halls/999999/deactivate", "", 404},
		{"two objects", "POST", "/api/v1/units", `{"name":"a"}{"name":"b"}`, 400},
		{"oversized body", "POST", "/api/v1/units", `{"name":"` + strings.Repeat("x", 2<<20) + `"}`, 413},
		{"q too long", "GET", "/api/v1/users?q=" + strings.Repeat("a", 101), "", 422},
		{"bad unit filter", "GET", "/api/v1/halls?unit_id=1%27%20OR%201=1", "", 422},
		{"bad role filter", "GET", "/api/v1/users?role=admin%27--", "", 422},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		status, resp := w.env.Do(t, c.method, c.path, tok, body)
		if status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, status, resp, c.status)
		}
	}
	if after := counts(); after != before {
		t.Fatalf("refused requests changed the database: %s → %s", before, after)
	}
	// Names may hold any punctuation (Vietnamese names have apostrophes:
	// Đưng K'Nớ); SQL in them is stored as text and harms nothing.
	units := w.env.Count(t, "units", "")
	for _, v := range sqlish {
		var u struct{ ID int64 }
		w.env.DoJSON(t, "POST", "/api/v1/units", tok, map[string]any{"parent_id": w.province, "level": "department", "code": fmt.Sprintf("so-%d", len(v)), "name": v}, 201, &u)
		var h struct{ Name string }
		w.env.DoJSON(t, "POST", "/api/v1/halls", tok, map[string]any{"unit_id": u.ID, "code": fmt.Sprintf("dc-%d", len(v)), "name": v}, 201, &h)
		if h.Name != v {
			t.Fatalf("hall name %q stored as %q", v, h.Name)
		}
		var created struct {
			User struct {
				FullName string `json:"full_name"`
				Position string `json:"position"`
			} `json:"user"`
		}
		w.env.DoJSON(t, "POST", "/api/v1/users", tok, map[string]any{"unit_id": u.ID, "username": fmt.Sprintf("u-%d", len(v)), "full_name": v, "position": v}, 201, &created)
		if created.User.FullName != v || created.User.Position != v {
			t.Fatalf("user fields %q stored as %+v", v, created.User)
		}
	}
	if n := w.env.Count(t, "units", ""); n != units+len(sqlish) {
		t.Fatalf("units after SQL-looking names: %d, want %d", n, units+len(sqlish))
	}

	// Search is diacritics-insensitive and treats LIKE metacharacters literally.
	var found struct {
		Users []struct{ Username string } `json:"users"`
	}
	w.env.DoJSON(t, "GET", "/api/v1/users?q=nguoi+dung+daibieu", tok, nil, 200, &found)
	if len(found.Users) != 1 || found.Users[0].Username != "daibieu-tan-ha" {
		t.Fatalf("search 'nguoi dung daibieu': %+v", found.Users)
	}
	w.env.DoJSON(t, "GET", "/api/v1/users?q=%25", tok, nil, 200, &found)
	if len(found.Users) != 0 {
		t.Fatalf("search '%%' matched %d users, want none", len(found.Users))
	}
	// Query parameters with SQL in them are plain values too.
	for _, v := range sqlish {
		esc := url.QueryEscape(v)
		// Exactly the user created above with this text as its name.
		w.env.DoJSON(t, "GET", "/api/v1/users?q="+esc, tok, nil, 200, &found)
		if len(found.Users) != 1 || found.Users[0].Username != fmt.Sprintf("u-%d", len(v)) {
			t.Fatalf("search %q matched %+v", v, found.Users)
		}
		var audit struct {
			Entries []any `json:"entries"`
		}
		w.env.DoJSON(t, "GET", "/api/v1/audit?action="+esc+"&object_type="+esc+"&object_id="+esc, tok, nil, 200, &audit)
		if len(audit.Entries) != 0 {
			t.Fatalf("audit filter %q matched %d rows", v, len(audit.Entries))
		}
	}
	if n := w.env.Count(t, "users", ""); n == 0 {
		t.Fatal("users table emptied")
	}
}
