package httpapi_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

type importReport struct {
	DryRun   bool `json:"dry_run"`
	Problems int  `json:"problems"`
	Rows     []struct {
		Line     int      `json:"line"`
		Username string   `json:"username"`
		UnitID   int64    `json:"unit_id"`
		Roles    []string `json:"roles"`
		Problems []struct {
			Field string `json:"field"`
			Code  string `json:"code"`
			Line  int    `json:"line"`
		} `json:"problems"`
	} `json:"rows"`
	Created []struct {
		Line      int    `json:"line"`
		ID        int64  `json:"id"`
		Username  string `json:"username"`
		Temporary string `json:"temporary_password"`
	} `json:"created"`
}

// problemsByLine flattens a report to "line: field code[@first line]".
func (r importReport) problemsByLine() map[int][]string {
	out := map[int][]string{}
	for _, row := range r.Rows {
		for _, p := range row.Problems {
			s := p.Field + " " + p.Code
			if p.Line != 0 {
				s += fmt.Sprintf("@%d", p.Line)
			}
			out[row.Line] = append(out[row.Line], s)
		}
	}
	return out
}

func importFile(t *testing.T, w *adminWorld, token string, dryRun bool, name string, data []byte) (int, []byte) {
	t.Helper()
	return docUpload(t, w.env, fmt.Sprintf("/api/v1/users/import?dry_run=%v", dryRun), token, nil, name, data)
}

// xlsxOf writes rows to the first sheet of a new workbook.
func xlsxOf(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, c := range r {
			cells[j] = c
		}
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &cells); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestImportDryRunReportsEveryRow: a file with one problem of each kind
// gets every problem on its own line, and neither the dry run nor a
// confirmation of the same file writes anything.
func TestImportDryRunReportsEveryRow(t *testing.T) {
	w := setupAdmin(t)
	csv := strings.Join([]string{
		"Tên đăng nhập,Họ và tên,Email,Chức vụ,Đơn vị,Vai trò",            // line 1
		"nv.an,Nguyễn Văn An,an@lamha.gov.vn,Chuyên viên,tan-ha,Đại biểu", // 2: clean
		"nv.binh,Trần Thị Bình,,,khong-co,",                               // 3: unknown unit
		"NV.AN,Lê Văn An,,,nam-ha,",                                       // 4: duplicate of line 2 (case folded)
		"daibieu-tan-ha,Phạm Văn Cũ,,,tan-ha,",                            // 5: taken by an account
		"nv.cuong,Hoàng Cường,cuong@,,tan-ha,",                            // 6: bad e-mail
		"nv.dung,Vũ Dũng,,,tan-ha,thủ quỹ",                                // 7: unknown role
		"nv.em,,,,tan-ha,",                                                // 8: no full name
		"",                                                                // 9: blank, skipped
		",,,,,",                                                           // 10: blank, skipped
		"nv.giang,Đỗ Giang,,,UBND xã Nam Hà,\"delegate, secretary\"", // 11: clean, unit by name
		"Nv Hai,Hai,,,tan-ha,kỹ thuật viên",                          // 12: bad username, hall operator role
		"nv.hang,Hằng,,,UBND xã Tân Hà,",                             // 13: two units have the name
	}, "\r\n")
	w.env.Unit(t, w.department, "commune", "tan-ha-cu", "UBND xã Tân Hà")
	usersBefore, auditBefore := w.env.Count(t, "users", ""), w.env.Count(t, "audit_log", "")

	status, body := importFile(t, w, w.tokens["admin"], true, "users.csv", []byte(csv))
	if status != http.StatusOK {
		t.Fatalf("dry run: %d %s", status, body)
	}
	var rep importReport
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatal(err)
	}
	want := map[int][]string{
		3:  {"unit unit_unknown"},
		4:  {"username username_duplicate@2"},
		5:  {"username username_taken"},
		6:  {"email email_format"},
		7:  {"roles role_unknown"},
		8:  {"full_name required"},
		12: {"username username_format", "roles role_hall"},
		13: {"unit unit_ambiguous"},
	}
	got := rep.problemsByLine()
	for line, ps := range want {
		slices.Sort(ps)
		slices.Sort(got[line])
		if !slices.Equal(got[line], ps) {
			t.Errorf("line %d: problems %v, want %v", line, got[line], ps)
		}
	}
	if len(got) != len(want) {
		t.Errorf("problems on lines %v, want only %v", got, want)
	}
	if len(rep.Rows) != 10 || rep.Problems != 8 || !rep.DryRun {
		t.Errorf("%d rows with %d having problems (dry run %v), want 10 (blank lines skipped) and 8", len(rep.Rows), rep.Problems, rep.DryRun)
	}
	for _, row := range rep.Rows {
		if row.Line == 11 && (row.UnitID != w.communeB || !slices.Equal(row.Roles, []string{"delegate", "secretary"})) {
			t.Errorf("line 11: unit %d roles %v, want %d [delegate secretary]", row.UnitID, row.Roles, w.communeB)
		}
	}

	status, body = importFile(t, w, w.tokens["admin"], false, "users.csv", []byte(csv))
	if status != http.StatusUnprocessableEntity || errorCode(t, body) != "import_rows" || !strings.Contains(string(body), `"line 4.username":"username_duplicate"`) {
		t.Fatalf("confirmed import of a file with problems: %d %s", status, body)
	}
	if u, a := w.env.Count(t, "users", ""), w.env.Count(t, "audit_log", ""); u != usersBefore || a != auditBefore {
		t.Fatalf("a refused import wrote: users %d → %d, audit rows %d → %d", usersBefore, u, auditBefore, a)
	}

	// The district's admin may import into its communes only.
	status, body = importFile(t, w, w.tokens["scoped_admin"], true, "users.csv", []byte(
		"username,full_name,unit\nnv.one,Một,tan-ha\nnv.two,Hai,so-noi-vu\nnv.three,Ba,lam-ha\n"))
	if status != http.StatusOK {
		t.Fatalf("scoped dry run: %d %s", status, body)
	}
	rep = importReport{}
	json.Unmarshal(body, &rep)
	if got := rep.problemsByLine(); len(got) != 1 || !slices.Equal(got[3], []string{"unit unit_scope"}) {
		t.Fatalf("scoped admin's problems: %v, want line 3 unit_scope only", got)
	}
	if s, b := importFile(t, w, w.tokens["secretary"], true, "users.csv", []byte("username,full_name,unit\nx1,X,tan-ha\n")); s != http.StatusForbidden {
		t.Fatalf("a secretary imports: %d %s", s, b)
	}
}

// TestImportXLSXWritesAllInOneTransaction: a clean workbook creates every
// user with a temporary password to change at first login, its roles and
// an audit row each; importing it again finds every name taken.
func TestImportXLSXWritesAllInOneTransaction(t *testing.T) {
	w := setupAdmin(t)
	book := xlsxOf(t, [][]string{
		{"Họ và tên", "Tên đăng nhập", "Đơn vị", "Vai trò", "Thư điện tử"},
		{"Nguyễn Thị Lan", "ntlan", "tan-ha", "Chủ trì", "lan@tanha.gov.vn"},
		{"Trần Văn Minh", "tvminh", "nam-ha", "", ""},
		{"Lê Văn Nam", "lvnam", "so-noi-vu", "delegate; observer", ""},
	})
	status, body := importFile(t, w, w.tokens["admin"], true, "danh-sach.xlsx", book)
	var rep importReport
	if json.Unmarshal(body, &rep); status != http.StatusOK || rep.Problems != 0 || len(rep.Rows) != 3 {
		t.Fatalf("dry run of a clean workbook: %d %s", status, body)
	}
	if w.env.Count(t, "users", "username IN ('ntlan', 'tvminh', 'lvnam')") != 0 {
		t.Fatal("the dry run wrote users")
	}
	auditBefore := w.env.Count(t, "audit_log", "action LIKE 'user.%'")
	status, body = importFile(t, w, w.tokens["admin"], false, "danh-sach.xlsx", book)
	rep = importReport{}
	if json.Unmarshal(body, &rep); status != http.StatusCreated || len(rep.Created) != 3 {
		t.Fatalf("import: %d %s", status, body)
	}
	for i, c := range rep.Created {
		if c.Line != i+2 || c.Temporary == "" {
			t.Fatalf("created %d: %+v", i, c)
		}
		w.env.Login(t, c.Username, c.Temporary)
		var u struct {
			MustChange bool `json:"must_change_password"`
			Grants     []struct {
				Role  string `json:"role"`
				Scope *int64 `json:"scope_unit_id"`
			} `json:"grants"`
		}
		w.env.DoJSON(t, "GET", fmt.Sprintf("/api/v1/users/%d", c.ID), w.tokens["admin"], nil, http.StatusOK, &u)
		if !u.MustChange {
			t.Errorf("%s: must_change_password is false after an import", c.Username)
		}
		if c.Username == "ntlan" && (len(u.Grants) != 1 || u.Grants[0].Role != "chair" || u.Grants[0].Scope == nil || *u.Grants[0].Scope != w.communeA) {
			t.Errorf("ntlan's grants: %+v, want chair for commune A", u.Grants)
		}
		if c.Username == "lvnam" && (len(u.Grants) != 2 || u.Grants[0].Scope != nil) {
			t.Errorf("lvnam's grants: %+v, want province-wide delegate and observer", u.Grants)
		}
	}
	if got := w.env.Count(t, "audit_log", "action LIKE 'user.%'") - auditBefore; got != 4 {
		t.Errorf("%d audit rows for an import of 3, want 4 (3 user.create, 1 user.import)", got)
	}
	if n, breach, err := w.env.App.DB.VerifyAudit(t.Context()); err != nil || breach != nil {
		t.Fatalf("audit chain after the import: %d %v %v", n, breach, err)
	}

	status, body = importFile(t, w, w.tokens["admin"], true, "danh-sach.xlsx", book)
	rep = importReport{}
	json.Unmarshal(body, &rep)
	if got := rep.problemsByLine(); status != http.StatusOK || len(got) != 3 || got[2][0] != "username username_taken" {
		t.Fatalf("second import of the same file: %d %v", status, got)
	}
}

// TestImportRefusesBadFiles: oversized, fake and shapeless files are
// refused with a code saying which, before any row is read.
func TestImportRefusesBadFiles(t *testing.T) {
	w := setupAdmin(t)
	var notBook bytes.Buffer
	zw := zip.NewWriter(&notBook)
	fw, _ := zw.Create("hello.txt")
	fw.Write([]byte("not a workbook"))
	zw.Close()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
	big := bytes.Repeat([]byte("username,full_name,unit\n"), 3<<20/24)
	for _, c := range []struct {
		name   string
		data   []byte
		status int
		code   string
	}{
		{"big.csv", big, http.StatusRequestEntityTooLarge, "import_too_large"},
		{"anh.xlsx", png, http.StatusUnsupportedMediaType, "import_format"},
		{"zip.xlsx", notBook.Bytes(), http.StatusUnsupportedMediaType, "import_format"},
		{"cu.xls", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 512)...), http.StatusUnsupportedMediaType, "import_format"},
		{"latin1.csv", []byte("username,full_name,unit\nx1,Nguy\xe9n,tan-ha\n"), http.StatusUnsupportedMediaType, "import_format"},
		{"cols.csv", []byte("ten,tuoi\nAn,30\n"), http.StatusUnprocessableEntity, "import_columns"},
		{"header.csv", []byte("username,full_name,unit\n"), http.StatusUnprocessableEntity, "import_empty"},
		{"empty.xlsx", xlsxOf(t, nil), http.StatusUnprocessableEntity, "import_empty"},
	} {
		usersBefore := w.env.Count(t, "users", "")
		status, body := importFile(t, w, w.tokens["admin"], false, c.name, c.data)
		if status != c.status || errorCode(t, body) != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, status, body, c.status, c.code)
		}
		if w.env.Count(t, "users", "") != usersBefore {
			t.Errorf("%s: a refused file wrote users", c.name)
		}
	}
	rows := "username,full_name,unit\n" + strings.Repeat("a1,A,tan-ha\n", 1001)
	if s, b := importFile(t, w, w.tokens["admin"], true, "many.csv", []byte(rows)); s != http.StatusUnprocessableEntity || errorCode(t, b) != "import_too_many_rows" {
		t.Errorf("1001 rows: %d %s", s, b)
	}
	// Semicolons, as Excel writes CSV in a Vietnamese locale, and a BOM.
	if s, b := importFile(t, w, w.tokens["admin"], true, "vn.csv", []byte("\xef\xbb\xbfusername;full_name;unit\nx1;Nguyễn X;tan-ha\n")); s != http.StatusOK || !strings.Contains(string(b), `"problems":0`) {
		t.Errorf("semicolon CSV with a BOM: %d %s", s, b)
	}
}

// TestUnitSignature: the unit's admins set and remove its signature
// block; a district admin cannot set the province's.
func TestUnitSignature(t *testing.T) {
	w := setupAdmin(t)
	path := fmt.Sprintf("/api/v1/units/%d/signature", w.province)
	if s, b := w.env.Do(t, "GET", path, w.tokens["admin"], nil); s != http.StatusNotFound {
		t.Fatalf("no block yet: %d %s", s, b)
	}
	var sig struct {
		Authority, Title string
		SignerName       string `json:"signer_name"`
	}
	w.env.DoJSON(t, "PUT", path, w.tokens["admin"], map[string]string{"authority": " TL. CHỦ TỊCH ", "title": "CHÁNH VĂN PHÒNG", "signer_name": "Nguyễn Văn Hòa"}, http.StatusOK, nil)
	w.env.DoJSON(t, "GET", path, w.tokens["admin"], nil, http.StatusOK, &sig)
	if sig.Authority != "TL. CHỦ TỊCH" || sig.Title != "CHÁNH VĂN PHÒNG" || sig.SignerName != "Nguyễn Văn Hòa" {
		t.Fatalf("read back: %+v", sig)
	}
	if s, b := w.env.Do(t, "PUT", path, w.tokens["admin"], map[string]string{"authority": ""}); s != http.StatusUnprocessableEntity {
		t.Fatalf("empty authority: %d %s", s, b)
	}
	if s, b := w.env.Do(t, "PUT", path, w.tokens["scoped_admin"], map[string]string{"authority": "KT. CHỦ TỊCH"}); s != http.StatusForbidden {
		t.Fatalf("district admin sets the province's block: %d %s", s, b)
	}
	w.env.DoJSON(t, "PUT", fmt.Sprintf("/api/v1/units/%d/signature", w.communeA), w.tokens["scoped_admin"], map[string]string{"authority": "TM. ỦY BAN NHÂN DÂN", "title": "CHỦ TỊCH"}, http.StatusOK, nil)
	if s, b := w.env.Do(t, "DELETE", path, w.tokens["admin"], nil); s != http.StatusNoContent {
		t.Fatalf("remove: %d %s", s, b)
	}
	if s, _ := w.env.Do(t, "GET", path, w.tokens["admin"], nil); s != http.StatusNotFound {
		t.Fatalf("removed block still read: %d", s)
	}
	if s, b := w.env.Do(t, "DELETE", path, w.tokens["admin"], nil); s != http.StatusNotFound {
		t.Fatalf("removing a block that is not there: %d %s", s, b)
	}
	if got := w.env.Count(t, "audit_log", "action = 'unit.signature'"); got != 3 {
		t.Fatalf("%d unit.signature audit rows, want 3", got)
	}
}
