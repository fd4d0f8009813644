package httpapi_test

import (
	"fmt"
	"net/http"
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
		{"save a level", "PUT", "/api/v1/unit-levels/division", func(i int) any {
			return map[string]any{"rank": 2, "name_vi": fmt.Sprintf("Phòng %d", i), "name_en": "Division"}
		}},
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
	// The audit log is not tagged by unit, and levels shape every unit:
	// province-wide admins only.
	scoped := []string{}
	for _, c := range all {
		if !strings.Contains(c, "audit") && c != "save a level" {
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
