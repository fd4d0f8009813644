package org

import (
	"errors"
	"slices"
	"testing"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
)

// TestReadImportFileLines: a record's line is where it starts in the
// file, past blank lines and a quoted cell spanning lines, so the admin
// finds the row the report names.
func TestReadImportFileLines(t *testing.T) {
	csv := "username;full_name;unit\r\n\r\nan;\"Nguyễn\nVăn An\";tan-ha\r\n;;\r\nbinh;Bình;tan-ha\r\n"
	recs, err := readImportFile([]byte("\xef\xbb\xbf" + csv))
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, r := range recs {
		lines = append(lines, r.line)
	}
	if want := []int{1, 3, 6}; !slices.Equal(lines, want) {
		t.Fatalf("lines %v, want %v", lines, want)
	}
	if recs[1].cells[1] != "Nguyễn\nVăn An" {
		t.Fatalf("quoted cell %q", recs[1].cells[1])
	}
}

// TestParseRow: headers and roles in either language, without regard to
// diacritics or case; each problem names its field.
func TestParseRow(t *testing.T) {
	cols, err := columns([]string{" Tên đăng nhập ", "HỌ VÀ TÊN", "Thư điện tử", "Đơn vị", "Vai trò"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cells    []string
		roles    []auth.Role
		problems []string
	}{
		{[]string{"Nv.An", "Nguyễn Văn An", "an@x.vn", "tan-ha", "Đại biểu, thu ky; CHAIR"}, []auth.Role{auth.RoleDelegate, auth.RoleSecretary, auth.RoleChair}, nil},
		{[]string{"an", "An", "", "tan-ha", "đại biểu, Đại Biểu"}, []auth.Role{auth.RoleDelegate}, nil},
		{[]string{"", "", "x@", "", "thủ quỹ, Kỹ thuật viên điểm cầu"}, []auth.Role{},
			[]string{"username required", "full_name required", "email email_format", "unit required", "roles role_unknown", "roles role_hall"}},
		{[]string{"a b", "An"}, []auth.Role{}, []string{"username username_format", "unit required"}},
	} {
		r := parseRow(record{line: 2, cells: c.cells}, cols)
		var got []string
		for _, p := range r.Problems {
			got = append(got, p.Field+" "+p.Code)
		}
		if !slices.Equal(got, c.problems) || !slices.Equal(r.Roles, c.roles) {
			t.Errorf("%q: problems %v roles %v, want %v %v", c.cells, got, r.Roles, c.problems, c.roles)
		}
	}
	_, err = columns([]string{"họ và tên", "email"})
	if v := (*fault.Invalid)(nil); !errors.As(err, &v) || v.Code != "import_columns" || len(v.Fields) != 2 ||
		v.Fields["username"] != fault.Required || v.Fields["unit"] != fault.Required {
		t.Fatalf("missing columns: %v, want import_columns naming username and unit", err)
	}
}
