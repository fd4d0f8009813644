package pdfmark_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/document/doctest"
	"github.com/cau-gov/cau/internal/pdfmark"
)

func TestLine(t *testing.T) {
	m := pdfmark.Mark{Name: "Nguyễn Thị Hồng Nhung", Unit: "Sở Tài chính, tỉnh Lâm Đồng", At: time.Date(2026, 11, 23, 17, 5, 0, 0, time.UTC)}
	want := "Bản cấp cho: Nguyễn Thị Hồng Nhung – Sở Tài chính tỉnh Lâm Đồng – 00:05 24/11/2026 (giờ Việt Nam)"
	if got := m.Line(); got != want {
		t.Fatalf("Line() = %q\nwant      %q", got, want)
	}
}

func TestApplyWatermarkIsInTheTextLayer(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed; install it to check watermarks")
	}
	mk, err := pdfmark.New(filepath.Join(t.TempDir(), "pdfcpu"), 2)
	if err != nil {
		t.Fatal(err)
	}
	orig := doctest.PDF("Bao cao kinh te xa hoi nam 2026", "Trang 1")
	m := pdfmark.Mark{Name: "Trần Văn Đức", Unit: "Ủy ban nhân dân huyện Đức Trọng", At: time.Date(2026, 11, 23, 2, 30, 0, 0, time.UTC)}
	var out bytes.Buffer
	if err := mk.Apply(context.Background(), bytes.NewReader(orig), &out, m); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "marked.pdf")
	os.WriteFile(file, out.Bytes(), 0o600)
	text, err := exec.Command(pdftotext, "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	for _, want := range []string{"Bao cao kinh te xa hoi", "Trần Văn Đức", "Ủy ban nhân dân huyện Đức Trọng", "09:30 23/11/2026"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("pdftotext output lacks %q:\n%s", want, text)
		}
	}
	if os.Getenv("CAU_KEEP_PDF") != "" {
		os.WriteFile(os.Getenv("CAU_KEEP_PDF"), out.Bytes(), 0o644)
	}
}

func TestApplyRefusesNonPDF(t *testing.T) {
	mk, err := pdfmark.New(filepath.Join(t.TempDir(), "pdfcpu"), 1)
	if err != nil {
		t.Fatal(err)
	}
	err = mk.Apply(context.Background(), bytes.NewReader(doctest.DOCX("x")), &bytes.Buffer{}, pdfmark.Mark{Name: "A", At: time.Now()})
	if !errors.Is(err, pdfmark.ErrNotPDF) {
		t.Fatalf("want ErrNotPDF, got %v", err)
	}
}
