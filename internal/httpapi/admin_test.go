package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/auth"
)

// adminWorld is a small province: a province root, one district with two
// communes, one department, a hall per commune, and a user per role.
type adminWorld struct {
	env                          *apptest.Env
	province, district, communeA int64
	communeB, department, empty  int64
	hallA, hallB                 int64
	tokens                       map[string]string
	targetUser                   int64 // a delegate in commune A
}

func setupAdmin(t *testing.T) *adminWorld {
	t.Helper()
	env := apptest.New(t)
	w := &adminWorld{env: env, tokens: map[string]string{}}
	w.province = env.Unit(t, 0, "province", "tinh", "UBND tỉnh Lâm Đồng")
	w.district = env.Unit(t, w.province, "district", "lam-ha", "UBND huyện Lâm Hà")
	w.communeA = env.Unit(t, w.district, "commune", "tan-ha", "UBND xã Tân Hà")
	w.communeB = env.Unit(t, w.district, "commune", "nam-ha", "UBND xã Nam Hà")
	w.department = env.Unit(t, w.province, "department", "so-noi-vu", "Sở Nội vụ")
	w.empty = env.Unit(t, w.district, "commune", "phu-son", "UBND xã Phú Sơn")
	w.hallA = env.Hall(t, w.communeA, "dc-tan-ha", "Điểm cầu xã Tân Hà")
	w.hallB = env.Hall(t, w.communeB, "dc-nam-ha", "Điểm cầu xã Nam Hà")
	users := map[string][]auth.RoleGrant{
		"admin":         {apptest.Grant(auth.RoleAdmin)},
		"scoped_admin":  {apptest.ScopedGrant(auth.RoleAdmin, w.district)},
		"secretary":     {apptest.Grant(auth.RoleSecretary)},
		"chair":         {apptest.Grant(auth.RoleChair)},
		"delegate":      {apptest.Grant(auth.RoleDelegate)},
		"hall_operator": {apptest.OperatorGrant(w.hallA)},
		"observer":      {apptest.Grant(auth.RoleObserver)},
	}
	for name, grants := range users {
		unit := w.province
		if name == "scoped_admin" {
			unit = w.district
		}
		username := strings.ReplaceAll(name, "_", "-")
		env.User(t, unit, username, "mật-khẩu-"+username, grants...)
		w.tokens[name], _ = env.Login(t, username, "mật-khẩu-"+username)
	}
	w.targetUser = env.User(t, w.communeA, "daibieu-tan-ha", "mật-khẩu-dài-dài", apptest.Grant(auth.RoleDelegate))
	return w
}

// TestAdminRoleMatrix: every role × every administration endpoint.
func TestAdminRoleMatrix(t *testing.T) {
	w := setupAdmin(t)
	type call struct {
		name, method, path string
		body               func(i int) any
	}
	// Targets inside the scoped admin's district, so that "scoped" rows show
	// what a district admin may do there.
	calls := []call{
		{"list levels", "GET", "/api/v1/unit-levels", nil},
		{"list units", "GET", "/api/v1/units", nil},
		{"list halls", "GET", "/api/v1/halls", nil},
		{"create unit", "POST", "/api/v1/units", func(i int) any {
			return map[string]any{"parent_id": w.district, "level": "commune", "code": fmt.Sprintf("xa-moi-%d", i), "name": "Xã Mới"}
		}},
		{"rename unit", "PATCH", fmt.Sprintf("/api/v1/units/%d", w.communeB), func(i int) any { return map[string]any{"name": fmt.Sprintf("UBND xã Nam Hà %d", i)} }},
		{"create hall", "POST", "/api/v1/halls", func(i int) any {
			return map[string]any{"unit_id": w.communeB, "code": fmt.Sprintf("dc-moi-%d", i), "name": "Điểm cầu mới"}
		}},
		{"rename hall", "PATCH", fmt.Sprintf("/api/v1/halls/%d", w.hallB), func(i int) any { return map[string]any{"name": fmt.Sprintf("Điểm cầu Nam Hà %d", i)} }},
		{"create user", "POST", "/api/v1/users", func(i int) any {
			return map[string]any{"unit_id": w.communeA, "username": fmt.Sprintf("moi-%d", i), "full_name": "Người Mới"}
		}},
		{"update user", "PATCH", fmt.Sprintf("/api/v1/users/%d", w.targetUser), func(i int) any { return map[string]any{"position": fmt.Sprintf("Chủ tịch %d", i)} }},
		{"set roles", "PUT", fmt.Sprintf("/api/v1/users/%d/roles", w.targetUser), func(i int) any {
			return map[string]any{"grants": []map[string]any{{"role": "delegate"}, {"role": "observer", "scope_unit_id": w.communeA}}}
		}},
		{"reset password", "POST", fmt.Sprintf("/api/v1/users/%d/reset-password", w.targetUser), nil},
		{"move unit", "POST", fmt.Sprintf("/api/v1/units/%d/move", w.empty), func(int) any { return map[string]any{"parent_id": w.district} }},
		{"deactivate unit", "POST", fmt.Sprintf("/api/v1/units/%d/deactivate", w.empty), nil},
		{"reactivate unit", "POST", fmt.Sprintf("/api/v1/units/%d/reactivate", w.empty), nil},
		{"deactivate hall", "POST", fmt.Sprintf("/api/v1/halls/%d/deactivate", w.hallB), nil},
		{"reactivate hall", "POST", fmt.Sprintf("/api/v1/halls/%d/reactivate", w.hallB), nil},
		{"deactivate user", "POST", fmt.Sprintf("/api/v1/users/%d/deactivate", w.targetUser), nil},
		{"reactivate user", "POST", fmt.Sprintf("/api/v1/users/%d/reactivate", w.targetUser), nil},
		{"list users", "GET", "/api/v1/users", nil},
		{"get a user of another unit", "GET", fmt.Sprintf("/api/v1/users/%d", w.targetUser), nil},
		{"read audit", "GET", "/api/v1/audit?action=unit.", nil},
		{"verify audit", "GET", "/api/v1/audit/verify", nil},
	}
	// allowed[role] lists the calls that role may make; the rest must be 403.
	reads := []string{"list levels", "list units", "list halls", "list users"}
	all := []string{}
	for _, c := range calls {
		all = append(all, c.name)
	}
	// Secretaries and chairs read everyone (they invite); the others only
	// their own unit (targetUser sits in commune A).
	reads = append(reads, "get a user of another unit")
	mates := reads[:len(reads)-1]
	// The audit log is not tagged by unit: province-wide admins only.
	scoped := []string{}
	for _, c := range all {
		if !strings.Contains(c, "audit") {
			scoped = append(scoped, c)
		}
	}
	allowed := map[string][]string{
		"admin":         all,
		"scoped_admin":  scoped,
		"secretary":     reads,
		"chair":         reads,
		"delegate":      mates,
		"hall_operator": mates,
		"observer":      mates,
	}
	i := 0
	for role, ok := range allowed {
		for _, c := range calls {
			i++
			var body any
			if c.body != nil {
				body = c.body(i)
			}
			before := w.env.Count(t, "audit_log", "")
			status, resp := w.env.Do(t, c.method, c.path, w.tokens[role], body)
			want := contains(ok, c.name)
			if !want && w.env.Count(t, "audit_log", "") != before {
				t.Errorf("%s: refused %s still changed something", role, c.name)
			}
			if want && status >= 300 {
				t.Errorf("%s may %s: got %d %s", role, c.name, status, resp)
			}
			if !want && status != http.StatusForbidden {
				t.Errorf("%s may not %s: got %d %s, want 403", role, c.name, status, resp)
			}
		}
	}
	// Users listing: everyone may call it, but a delegate sees only their own unit.
	var list struct {
		Users []struct {
			UnitID int64 `json:"unit_id"`
		} `json:"users"`
	}
	w.env.DoJSON(t, "GET", "/api/v1/users", w.tokens["delegate"], nil, http.StatusOK, &list)
	for _, u := range list.Users {
		if u.UnitID != w.province {
			t.Fatalf("delegate sees a user of unit %d outside their own", u.UnitID)
		}
	}
	n, breach, err := w.env.App.DB.VerifyAudit(t.Context())
	if err != nil || breach != nil || n == 0 {
		t.Fatalf("audit after admin changes: n=%d breach=%v err=%v", n, breach, err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestScopedAdminLimits: a district admin cannot reach outside its district
// or hand out province-wide roles.
func TestScopedAdminLimits(t *testing.T) {
	w := setupAdmin(t)
	tok := w.tokens["scoped_admin"]
	cases := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"unit under the province", "POST", "/api/v1/units", map[string]any{"parent_id": w.province, "level": "district", "code": "huyen-moi", "name": "Huyện Mới"}, 403},
		{"rename a department", "PATCH", fmt.Sprintf("/api/v1/units/%d", w.department), map[string]any{"name": "Sở Khác"}, 403},
		{"user in a department", "POST", "/api/v1/users", map[string]any{"unit_id": w.department, "username": "ngoai", "full_name": "Ngoài Phạm Vi"}, 403},
		{"grant a province-wide role", "PUT", fmt.Sprintf("/api/v1/users/%d/roles", w.targetUser), map[string]any{"grants": []map[string]any{{"role": "secretary"}}}, 403},
		{"grant admin over the province", "PUT", fmt.Sprintf("/api/v1/users/%d/roles", w.targetUser), map[string]any{"grants": []map[string]any{{"role": "admin", "scope_unit_id": w.province}}}, 403},
		{"move a commune out of the district", "POST", fmt.Sprintf("/api/v1/units/%d/move", w.communeA), map[string]any{"parent_id": w.department}, 403},
	}
	before := w.env.Count(t, "audit_log", "")
	for _, tc := range cases {
		status, body := w.env.Do(t, tc.method, tc.path, tok, tc.body)
		if status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.status)
		}
	}
	if after := w.env.Count(t, "audit_log", ""); after != before {
		t.Fatalf("refused calls wrote %d audit rows", after-before)
	}
	// Inside the district it works, including a role scoped to a commune.
	w.env.DoJSON(t, "PUT", fmt.Sprintf("/api/v1/users/%d/roles", w.targetUser), tok,
		map[string]any{"grants": []map[string]any{{"role": "secretary", "scope_unit_id": w.communeA}}}, http.StatusOK, nil)
}

// TestUnitTreeRules: levels, cycles, deactivation, and a province without districts.
func TestUnitTreeRules(t *testing.T) {
	w := setupAdmin(t)
	tok := w.tokens["admin"]
	expect := func(name, method, path string, body any, status int, code string) {
		t.Helper()
		s, b := w.env.Do(t, method, path, tok, body)
		if s != status || (code != "" && errorCode(t, b) != code) {
			t.Errorf("%s: %d %s, want %d %s", name, s, b, status, code)
		}
	}
	expect("district under a commune", "POST", "/api/v1/units", map[string]any{"parent_id": w.communeA, "level": "district", "code": "sai", "name": "Sai"}, 409, "unit_level")
	expect("province moved", "POST", fmt.Sprintf("/api/v1/units/%d/move", w.province), map[string]any{"parent_id": w.district}, 409, "unit_root")
	// The reform: communes directly under the province (no district level).
	expect("commune directly under the province", "POST", "/api/v1/units", map[string]any{"parent_id": w.province, "level": "commune", "code": "xa-truc-thuoc", "name": "Xã Trực Thuộc"}, 201, "")
	expect("move a commune to the province", "POST", fmt.Sprintf("/api/v1/units/%d/move", w.communeB), map[string]any{"parent_id": w.province}, 200, "")
	expect("move the district under its own commune", "POST", fmt.Sprintf("/api/v1/units/%d/move", w.district), map[string]any{"parent_id": w.communeA}, 409, "")
	expect("deactivate a district with communes", "POST", fmt.Sprintf("/api/v1/units/%d/deactivate", w.district), nil, 409, "unit_in_use")
	expect("duplicate code", "POST", "/api/v1/units", map[string]any{"parent_id": w.province, "level": "department", "code": "so-noi-vu", "name": "Sở Nội vụ 2"}, 409, "conflict")
	expect("unknown parent", "POST", "/api/v1/units", map[string]any{"parent_id": 999999, "level": "commune", "code": "x", "name": "X"}, 422, "validation_failed")
	expect("unknown unit", "PATCH", "/api/v1/units/999999", map[string]any{"name": "X"}, 404, "not_found")

	var units struct {
		Units []struct {
			ID       int64  `json:"id"`
			ParentID *int64 `json:"parent_id"`
			Name     string `json:"name"`
		} `json:"units"`
	}
	w.env.DoJSON(t, "GET", "/api/v1/units", tok, nil, 200, &units)
	seen := map[int64]bool{}
	for _, u := range units.Units {
		if u.ParentID != nil && !seen[*u.ParentID] {
			t.Fatalf("unit %q listed before its parent", u.Name)
		}
		seen[u.ID] = true
	}
	var halls struct {
		Halls []struct{ ID int64 } `json:"halls"`
	}
	w.env.DoJSON(t, "GET", fmt.Sprintf("/api/v1/halls?unit_id=%d&include_descendants=true", w.district), tok, nil, 200, &halls)
	if len(halls.Halls) != 1 { // commune B moved out of the district above
		t.Fatalf("halls in the district subtree: %d, want 1", len(halls.Halls))
	}
}

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
