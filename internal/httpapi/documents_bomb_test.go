package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/document/doctest"
)

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
			start := time.Now()
			status, body := docUpload(t, env, path, b.secretary.Token, [][2]string{{"title", "Tờ trình"}}, "tờ trình.docx", bomb)
			took := time.Since(start)
			if status != http.StatusUnsupportedMediaType || errorCode(t, body) != "unsupported_type" {
				t.Fatalf("%d-byte bomb: status %d %s; want 415 unsupported_type", len(bomb), status, body)
			}
			t.Logf("%d-byte bomb refused in %v", len(bomb), took)
			if took > time.Second {
				t.Errorf("refusal took %v; want under a second", took)
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
