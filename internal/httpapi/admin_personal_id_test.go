package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestPersonalID: the administrator records a user's citizen identity
// number (what a single sign-on provider may link the account by): 12
// digits, grouping spaces dropped, unique, audited with its last digits
// only, shown to administrators only. A wrong or taken number is refused
// with a clear error and writes nothing.
func TestPersonalID(t *testing.T) {
	w := setupAdmin(t)
	admin := w.tokens["admin"]
	path := fmt.Sprintf("/api/v1/users/%d", w.targetUser)
	var u struct {
		PersonalID string `json:"personal_id"`
	}
	w.env.DoJSON(t, "PATCH", path, admin, map[string]any{"personal_id": "068 090 001 234"}, http.StatusOK, &u)
	if u.PersonalID != "068090001234" {
		t.Fatalf("personal_id after the edit: %q", u.PersonalID)
	}
	audited := w.env.Count(t, "audit_log", "action = 'user.update' AND object_id = $1 AND detail->'personal_id'->>'after' = '*********234'", fmt.Sprint(w.targetUser))
	if audited != 1 {
		t.Fatalf("audit rows of the change with the masked number: %d", audited)
	}
	if n := w.env.Count(t, "audit_log", "detail::text LIKE '%068090001234%'"); n != 0 {
		t.Fatalf("the whole number is in %d audit rows", n)
	}

	// Another account: a wrong number, then the taken one, change nothing.
	other := w.env.Count(t, "users", "")
	status, body := w.env.Do(t, "POST", "/api/v1/users", admin, map[string]any{"unit_id": w.communeB, "username": "nv-nam-ha", "full_name": "Nguyễn Văn Nam", "personal_id": "068090001234"})
	if status != http.StatusConflict || errorCode(t, body) != "personal_id_taken" {
		t.Fatalf("create with a taken number: %d %s", status, body)
	}
	if n := w.env.Count(t, "users", ""); n != other {
		t.Fatalf("users after a refused create: %d, want %d", n, other)
	}
	var made struct {
		User struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	w.env.DoJSON(t, "POST", "/api/v1/users", admin, map[string]any{"unit_id": w.communeB, "username": "nv-nam-ha", "full_name": "Nguyễn Văn Nam"}, http.StatusCreated, &made)
	second := fmt.Sprintf("/api/v1/users/%d", made.User.ID)
	auditBefore := w.env.Count(t, "audit_log", "")
	for _, bad := range []string{"06809000123", "0680900012345", "06809000123A", "０６８０９０００１２３５"} {
		status, body := w.env.Do(t, "PATCH", second, admin, map[string]any{"personal_id": bad, "position": "Chuyên viên"})
		if status != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"personal_id"`) {
			t.Errorf("personal_id %q: %d %s", bad, status, body)
		}
	}
	status, body = w.env.Do(t, "PATCH", second, admin, map[string]any{"personal_id": "068090001234", "position": "Chuyên viên"})
	if status != http.StatusConflict || errorCode(t, body) != "personal_id_taken" {
		t.Fatalf("a taken number: %d %s", status, body)
	}
	if n := w.env.Count(t, "audit_log", ""); n != auditBefore {
		t.Fatalf("audit rows after refused edits: %d, want %d", n, auditBefore)
	}
	if n := w.env.Count(t, "users", "id = $1 AND (personal_id IS NOT NULL OR position <> '')", made.User.ID); n != 0 {
		t.Fatal("a refused edit changed the account")
	}
	// Removing it frees the number for the other account.
	w.env.DoJSON(t, "PATCH", path, admin, map[string]any{"personal_id": ""}, http.StatusOK, &u)
	w.env.DoJSON(t, "PATCH", second, admin, map[string]any{"personal_id": "068090001234"}, http.StatusOK, &u)
	if u.PersonalID != "068090001234" || w.env.Count(t, "users", "personal_id IS NOT NULL") != 1 {
		t.Fatalf("the number moved: %q", u.PersonalID)
	}

	// Only administrators read it.
	for who, want := range map[string]string{"admin": "068090001234", "secretary": "", "chair": ""} {
		var got struct {
			PersonalID string `json:"personal_id"`
		}
		w.env.DoJSON(t, "GET", second, w.tokens[who], nil, http.StatusOK, &got)
		if got.PersonalID != want {
			t.Errorf("%s reads personal_id %q, want %q", who, got.PersonalID, want)
		}
	}
	_, list := w.env.Do(t, "GET", "/api/v1/users?q=nv-nam-ha", w.tokens["secretary"], nil)
	if strings.Contains(string(list), "068090001234") {
		t.Error("the secretary's people search shows the number")
	}
}

// TestImportPersonalID: the import's optional personal ID column; a
// number Excel stored as a number (its leading zero lost) is restored; a
// wrong, repeated or taken number is reported on its line and a confirmed
// import with one writes nothing.
func TestImportPersonalID(t *testing.T) {
	w := setupAdmin(t)
	w.env.DoJSON(t, "PATCH", fmt.Sprintf("/api/v1/users/%d", w.targetUser), w.tokens["admin"], map[string]any{"personal_id": "068090009999"}, http.StatusOK, nil)
	csv := strings.Join([]string{
		"Tên đăng nhập,Họ và tên,Đơn vị,Số CCCD",
		"nv.an,Nguyễn Văn An,tan-ha,068090001111",  // 2: clean
		"nv.binh,Trần Thị Bình,tan-ha,68090002222", // 3: clean, its zero restored
		"nv.cuong,Hoàng Cường,tan-ha,068090001111", // 4: the same as line 2
		"nv.dung,Vũ Dũng,tan-ha,068090009999",      // 5: taken by an account
		"nv.em,Lê Em,tan-ha,12345",                 // 6: not 12 digits
		"nv.giang,Đỗ Giang,tan-ha,",                // 7: clean, none
	}, "\r\n")
	usersBefore, auditBefore := w.env.Count(t, "users", ""), w.env.Count(t, "audit_log", "")
	status, body := importFile(t, w, w.tokens["admin"], false, "users.csv", []byte(csv))
	if status != http.StatusUnprocessableEntity || errorCode(t, body) != "import_rows" {
		t.Fatalf("confirmed import with bad rows: %d %s", status, body)
	}
	if u, a := w.env.Count(t, "users", ""), w.env.Count(t, "audit_log", ""); u != usersBefore || a != auditBefore {
		t.Fatalf("a refused import wrote: users %d→%d, audit %d→%d", usersBefore, u, auditBefore, a)
	}
	status, body = importFile(t, w, w.tokens["admin"], true, "users.csv", []byte(csv))
	if status != http.StatusOK {
		t.Fatalf("dry run: %d %s", status, body)
	}
	var rep importReport
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatal(err)
	}
	got := rep.problemsByLine()
	want := map[int][]string{4: {"personal_id personal_id_duplicate@2"}, 5: {"personal_id personal_id_taken"}, 6: {"personal_id personal_id_format"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("problems:\n got %v\nwant %v", got, want)
	}
	if !strings.Contains(string(body), `"personal_id":"068090002222"`) {
		t.Fatalf("line 3's number without its zero restored: %s", body)
	}

	// The clean rows alone import with their numbers.
	lines := strings.Split(csv, "\r\n")
	clean := strings.Join([]string{lines[0], lines[1], lines[2], lines[6]}, "\r\n")
	status, body = importFile(t, w, w.tokens["admin"], false, "users.csv", []byte(clean))
	if status != http.StatusCreated {
		t.Fatalf("clean import: %d %s", status, body)
	}
	if n := w.env.Count(t, "users", "personal_id IN ('068090001111', '068090002222')"); n != 2 {
		t.Fatalf("imported numbers: %d", n)
	}
}
