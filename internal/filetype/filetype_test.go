package filetype_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/cau-gov/cau/internal/document/doctest"
	"github.com/cau-gov/cau/internal/filetype"
)

func TestDetect(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want filetype.Type
	}{
		{"pdf", doctest.PDF("Bao cao"), filetype.PDF},
		{"png", doctest.PNG, filetype.PNG},
		{"jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), filetype.JPEG},
		{"docx", doctest.DOCX("Báo cáo tình hình kinh tế – xã hội"), filetype.DOCX},
		{"xlsx", doctest.XLSX(), filetype.XLSX},
		{"pptx", doctest.PPTX(), filetype.PPTX},
		{"odt", doctest.ODT("Nghị quyết"), filetype.ODT},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := filetype.Detect(bytes.NewReader(tc.data))
			if err != nil || got != tc.want {
				t.Fatalf("Detect = %v, %v; want %v", got.Name, err, tc.want.Name)
			}
		})
	}
}

func TestDetectRefuses(t *testing.T) {
	cases := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"exe", doctest.EXE},
		{"elf", []byte("\x7fELF\x02\x01\x01\x00")},
		{"plain text", []byte("Kính gửi các đại biểu")},
		{"old word", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00")},
		{"zip of text", doctest.Zip("a.txt", "xin chào")},
		{"zip naming a missing main part", doctest.Zip("[Content_Types].xml", `<Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`)},
		{"macro-enabled word", doctest.Zip("[Content_Types].xml", `<Types><Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>`, "word/document.xml", "<w/>")},
		{"odt without mimetype first", doctest.Zip("content.xml", "<x/>", "mimetype", "application/vnd.oasis.opendocument.text")},
		{"truncated docx", doctest.DOCX("x")[:60]},
		{"zip header only", []byte("PK\x03\x04")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := filetype.Detect(bytes.NewReader(tc.data))
			if !errors.Is(err, filetype.ErrUnsupported) {
				t.Fatalf("Detect = %v, %v; want ErrUnsupported", got.Name, err)
			}
		})
	}
}

// Detect reads a zip through to its central directory and no further, so
// that it can run on a stream as it passes.
func TestDetectStopsAtCentralDirectory(t *testing.T) {
	data := doctest.DOCX("một", "hai")
	r := bytes.NewReader(data)
	if _, err := filetype.Detect(io.MultiReader(r)); err != nil {
		t.Fatal(err)
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		t        filetype.Type
		name     string
		want     string
		mismatch bool
	}{
		{filetype.PDF, "Tờ trình số 12.pdf", "Tờ trình số 12.pdf", false},
		{filetype.PDF, "BAO CAO.PDF", "BAO CAO.PDF", false},
		{filetype.JPEG, "ảnh.jpeg", "ảnh.jpeg", false},
		{filetype.PDF, "Báo cáo v1.2", "Báo cáo v1.2.pdf", false},
		{filetype.DOCX, "", "document.docx", false},
		{filetype.DOCX, `C:\Users\thuky\Tờ trình.docx`, "Tờ trình.docx", false},
		{filetype.DOCX, "báo cáo.pdf", "", true}, // a .pdf that is a zip
		{filetype.PDF, "báo cáo.docx", "", true}, // a .docx that is a PDF
		{filetype.XLSX, "bảng.docx", "", true},
	}
	for _, tc := range cases {
		got, err := filetype.Check(tc.t, tc.name)
		if tc.mismatch {
			if !errors.Is(err, filetype.ErrNameMismatch) {
				t.Errorf("Check(%s, %q) = %q, %v; want ErrNameMismatch", tc.t.Name, tc.name, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Check(%s, %q) = %q, %v; want %q", tc.t.Name, tc.name, got, err, tc.want)
		}
	}
}

func TestDetectLibreOfficeFiles(t *testing.T) {
	for name, want := range map[string]filetype.Type{
		"bao-cao.docx": filetype.DOCX, "bao-cao.pptx": filetype.PPTX, "so-lieu.xlsx": filetype.XLSX,
		"bao-cao.odt": filetype.ODT, "so-lieu.ods": filetype.ODS,
	} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := filetype.Detect(bytes.NewReader(data))
		if err != nil || got != want {
			t.Errorf("%s: Detect = %v, %v; want %v", name, got.Name, err, want.Name)
		}
		if _, err := filetype.Check(got, name); err != nil {
			t.Errorf("%s: Check: %v", name, err)
		}
	}
}
