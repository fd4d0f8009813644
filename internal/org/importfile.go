package org

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cau-gov/cau/internal/fault"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"
)

// MaxImportRows is the most user rows one import takes (a province's
// communes and departments number a few hundred people per wave).
const MaxImportRows = 1000

// importUnzipLimit caps what an XLSX may unpack to: a small file that
// inflates to gigabytes is refused, not read.
const importUnzipLimit = 32 << 20

// record is one non-empty row of an import file and its line: the sheet's
// row number, or the CSV line where the record starts.
type record struct {
	line  int
	cells []string
}

// readImportFile reads an XLSX workbook (its first sheet) or a UTF-8 CSV
// file (comma or semicolon separated, as Excel saves it in either locale)
// by content, never by name. Anything else is ErrImportFormat.
func readImportFile(b []byte) ([]record, error) {
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return readXLSX(b)
	case bytes.HasPrefix(b, []byte("\xd0\xcf\x11\xe0")):
		return nil, fmt.Errorf("%w: an Excel 97–2003 (.xls) file; save it as .xlsx", ErrImportFormat)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return nil, fmt.Errorf("%w: not UTF-8 text", ErrImportFormat)
	}
	return readCSV(b)
}

func readXLSX(b []byte) ([]record, error) {
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: importUnzipLimit, UnzipXMLSizeLimit: importUnzipLimit})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrImportFormat, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, ErrImportEmpty
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrImportFormat, err)
	}
	defer rows.Close()
	var out []record
	for line := 1; rows.Next(); line++ {
		cells, err := rows.Columns()
		if err != nil {
			return nil, fmt.Errorf("%w: row %d: %v", ErrImportFormat, line, err)
		}
		if len(out) > MaxImportRows {
			return nil, fmt.Errorf("%w (at most %d)", ErrImportTooMany, MaxImportRows)
		}
		if !blank(cells) {
			out = append(out, record{line: line, cells: cells})
		}
	}
	return out, nil
}

func readCSV(b []byte) ([]record, error) {
	first, _, _ := bytes.Cut(b, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(b))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1
	var out []record
	for {
		cells, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrImportFormat, err)
		}
		if len(out) > MaxImportRows {
			return nil, fmt.Errorf("%w (at most %d)", ErrImportTooMany, MaxImportRows)
		}
		line, _ := r.FieldPos(0)
		if !blank(cells) {
			out = append(out, record{line: line, cells: cells})
		}
	}
	return out, nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// Import columns, by the header names an office would type in either
// language (compared without diacritics, case or spacing).
const (
	colUsername = "username"
	colFullName = "full_name"
	colEmail    = "email"
	colPosition = "position"
	colUnit     = "unit"
	colRoles    = "roles"
	// colPersonalID is optional: the citizen identity number (CCCD).
	colPersonalID = "personal_id"
)

var headerNames = map[string]string{
	"username": colUsername, "ten_dang_nhap": colUsername, "tai_khoan": colUsername,
	"full_name": colFullName, "name": colFullName, "ho_va_ten": colFullName, "ho_ten": colFullName,
	"email": colEmail, "e_mail": colEmail, "thu_dien_tu": colEmail,
	"position": colPosition, "chuc_vu": colPosition,
	"unit": colUnit, "unit_code": colUnit, "don_vi": colUnit, "ma_don_vi": colUnit,
	"roles": colRoles, "role": colRoles, "vai_tro": colRoles,
	"personal_id": colPersonalID, "cccd": colPersonalID, "so_cccd": colPersonalID, "can_cuoc": colPersonalID,
	"so_can_cuoc": colPersonalID, "so_dinh_danh": colPersonalID, "so_dinh_danh_ca_nhan": colPersonalID, "ma_dinh_danh": colPersonalID,
}

// foldKey folds a header or a label: no diacritics, đ → d, lowercase,
// runs of anything else than letters and digits → "_".
func foldKey(s string) string {
	var b strings.Builder
	under := false
	for _, r := range norm.NFD.String(strings.TrimSpace(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
			under = false
		} else if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// columns maps each known column to its index in the header row; it
// fails naming the required columns that are missing.
func columns(header []string) (map[string]int, error) {
	idx := map[string]int{}
	for i, h := range header {
		if c, ok := headerNames[foldKey(h)]; ok {
			if _, dup := idx[c]; !dup {
				idx[c] = i
			}
		}
	}
	var missing []string
	for _, c := range []string{colUsername, colFullName, colUnit} {
		if _, ok := idx[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		// "import_columns", each missing column required.
		bad := &fault.Invalid{Code: "import_columns", Fields: map[string]fault.Problem{}}
		for _, c := range missing {
			bad.Fields[c] = fault.Required
		}
		return nil, bad
	}
	return idx, nil
}
