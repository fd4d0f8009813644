package httpapi_test

import (
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/document/doctest"
)

// processCPU is the user and system CPU time this process has used.
func processCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// A DOCX whose main part inflates to 1.5 GiB is refused before anything is
// stored or queued for LibreOffice, whichever way its sizes are written.
func TestUploadRefusesZipBombs(t *testing.T) {
	b := setupDocs(t)
	env := b.env
	path := fmt.Sprintf("/api/v1/meetings/%d/documents", b.meetingID)
	const size = 3 << 29 // 1.5 GiB
	for _, tc := range []struct {
		name       string
		declared   int64
		descriptor bool
	}{
		{"sizes in the local header", size, false},
		{"local header understating the size", 4096, false},
		{"sizes in a data descriptor", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bomb := doctest.DOCXBomb(size, tc.declared, tc.descriptor)
			start, cpu0 := time.Now(), processCPU(t)
			status, body := docUpload(t, env, path, b.secretary.Token, [][2]string{{"title", "Tờ trình"}}, "tờ trình.docx", bomb)
			took, cpu := time.Since(start), processCPU(t)-cpu0
			if status != http.StatusUnsupportedMediaType || errorCode(t, body) != "unsupported_type" {
				t.Fatalf("%d-byte bomb: status %d %s; want 415 unsupported_type", len(bomb), status, body)
			}
			t.Logf("%d-byte bomb refused in %v (%v of CPU)", len(bomb), took, cpu)
			// The CPU the whole test process spent (server included), not the
			// wall time, which a loaded machine stretches (1.07 s at load 30
			// for 0.2 s of work): inflating the 1.5 GiB would cost seconds.
			if cpu > time.Second {
				t.Errorf("refusal cost %v of CPU; want under a second", cpu)
			}
		})
	}
	if n := docInt(t, env, `SELECT count(*) FROM documents`); n != 0 {
		t.Errorf("refused bombs left %d document rows", n)
	}
	if n := docInt(t, env, `SELECT count(*) FROM document_versions`); n != 0 {
		t.Errorf("refused bombs left %d version rows", n)
	}
	if files := docStoredFiles(t, env); len(files) != 0 {
		t.Errorf("refused bombs left files: %v", files)
	}
}
