package convert_test

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

	"github.com/cau-gov/cau/internal/convert"
	"github.com/cau-gov/cau/internal/document/doctest"
)

func needSoffice(t *testing.T) *convert.Converter {
	t.Helper()
	c := convert.New(convert.Options{Timeout: 3 * time.Minute})
	if err := c.Available(); err != nil {
		t.Skipf("SKIPPED, conversion not tested: %v", err)
	}
	return c
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	file := filepath.Join(t.TempDir(), "out.pdf")
	os.WriteFile(file, pdf, 0o600)
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func TestDOCXToPDF(t *testing.T) {
	c := needSoffice(t)
	text := "Báo cáo tình hình thực hiện nhiệm vụ phát triển kinh tế – xã hội tỉnh Lâm Đồng"
	var out bytes.Buffer
	if err := c.ToPDF(context.Background(), bytes.NewReader(doctest.DOCX(text, "Kính trình Ủy ban nhân dân tỉnh.")), ".docx", &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out.Bytes(), []byte("%PDF-")) {
		t.Fatalf("output is not a PDF: %q", out.Bytes()[:min(20, out.Len())])
	}
	got := strings.Join(strings.Fields(pdfText(t, out.Bytes())), " ")
	for _, want := range []string{text, "Kính trình Ủy ban nhân dân tỉnh."} {
		if !strings.Contains(got, want) {
			t.Errorf("converted PDF text lacks %q; it is:\n%s", want, got)
		}
	}
}

func TestDamagedDocumentFails(t *testing.T) {
	c := needSoffice(t)
	var out bytes.Buffer
	err := c.ToPDF(context.Background(), bytes.NewReader([]byte("PK\x03\x04 this is not really a document")), ".docx", &out)
	if err == nil && out.Len() > 0 && bytes.HasPrefix(out.Bytes(), []byte("%PDF")) {
		// LibreOffice may render garbage as an empty text page; that is not a failure of ours.
		t.Log("LibreOffice rendered the damaged file as text")
		return
	}
	if !errors.Is(err, convert.ErrFailed) {
		t.Fatalf("want ErrFailed, got %v", err)
	}
}

func TestMissingSoffice(t *testing.T) {
	c := convert.New(convert.Options{Binary: "/nonexistent/soffice"})
	if err := c.Available(); !errors.Is(err, convert.ErrUnavailable) {
		t.Fatalf("Available = %v, want ErrUnavailable", err)
	}
	var out bytes.Buffer
	if err := c.ToPDF(context.Background(), strings.NewReader("x"), ".docx", &out); !errors.Is(err, convert.ErrUnavailable) || out.Len() != 0 {
		t.Fatalf("ToPDF = %v with %d bytes, want ErrUnavailable and nothing", err, out.Len())
	}
}

func TestTimeoutKillsLibreOffice(t *testing.T) {
	// A fake soffice that hangs stands in for a document LibreOffice chokes on.
	dir := t.TempDir()
	fake := filepath.Join(dir, "soffice")
	os.WriteFile(fake, []byte("#!/bin/sh\nsleep 60 &\nwait\n"), 0o755)
	c := convert.New(convert.Options{Binary: fake, Timeout: 300 * time.Millisecond})
	start := time.Now()
	err := c.ToPDF(context.Background(), strings.NewReader("x"), ".docx", &bytes.Buffer{})
	if !errors.Is(err, convert.ErrTimeout) {
		t.Fatalf("want ErrTimeout, got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %s; the process group was not killed", d)
	}
}
