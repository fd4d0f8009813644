package httpapi_test

import (
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/document/doctest"
)

// The documents part of the acceptance story, through the meetings API:
// the secretary creates a meeting and its agenda, uploads a PDF to an item
// and a DOCX to the meeting while it is a draft (invitees see nothing yet),
// publishes, and the delegate reads both (the DOCX as its converted PDF)
// while the secretary sees who opened what.
func TestDocumentsInTheMeetingStory(t *testing.T) {
	b := setupDocs(t)
	env := b.env
	var m struct {
		ID int64 `json:"id"`
	}
	start := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	env.DoJSON(t, "POST", "/api/v1/meetings", b.secretary.Token, map[string]any{
		"kind": "regular", "title": "Kỳ họp thứ 12 HĐND tỉnh", "place": "Hội trường tỉnh",
		"starts_at": start, "ends_at": start.Add(3 * time.Hour), "chair_id": b.unnamed.ID, // publication needs a chair
	}, http.StatusCreated, &m)
	base := fmt.Sprintf("/api/v1/meetings/%d", m.ID)
	env.DoJSON(t, "PUT", fmt.Sprintf("%s/participants/%d", base, b.named.ID), b.secretary.Token, map[string]any{"role": "delegate"}, http.StatusNoContent, nil)
	var item struct {
		ID int64 `json:"id"`
	}
	env.DoJSON(t, "POST", base+"/agenda", b.secretary.Token, map[string]any{"title": "Báo cáo kinh tế – xã hội năm 2026", "planned_minutes": 30}, http.StatusCreated, &item)

	status, body := docUpload(t, env, base+"/documents", b.secretary.Token, [][2]string{{"item_id", fmt.Sprint(item.ID)}}, "Báo cáo KT-XH 2026.pdf", doctest.PDF("Bao cao kinh te xa hoi 2026"))
	if status != http.StatusCreated {
		t.Fatalf("upload PDF: %d %s", status, body)
	}
	pdfDoc := docDecode[docJSON](t, body)
	status, body = docUpload(t, env, base+"/documents", b.secretary.Token, [][2]string{{"title", "Dự thảo Nghị quyết"}}, "Dự thảo Nghị quyết.docx",
		doctest.DOCX("Dự thảo Nghị quyết về kế hoạch phát triển kinh tế – xã hội năm 2027"))
	if status != http.StatusCreated {
		t.Fatalf("upload DOCX: %d %s", status, body)
	}
	docxDoc := docDecode[docJSON](t, body)

	// A draft is the secretary's alone.
	if status, _, _ := docGet(t, env, base+"/documents", b.named.Token); status != http.StatusNotFound {
		t.Fatalf("delegate lists a draft meeting's documents: %d, want 404", status)
	}
	if status, _, _ := docGet(t, env, pdfDoc.Versions[0].PDFURL, b.named.Token); status != http.StatusNotFound {
		t.Fatalf("delegate opens a draft meeting's document: %d, want 404", status)
	}

	env.DoJSON(t, "POST", base+"/publish", b.secretary.Token, nil, http.StatusOK, nil)
	var list struct{ Documents []docJSON }
	env.DoJSON(t, "GET", base+"/documents", b.named.Token, nil, http.StatusOK, &list)
	if len(list.Documents) != 2 || list.Documents[0].ItemID == nil || *list.Documents[0].ItemID != item.ID || list.Documents[1].ItemID != nil {
		t.Fatalf("published meeting's documents: %+v", list.Documents)
	}
	status, _, got := docGet(t, env, pdfDoc.Versions[0].PDFURL, b.named.Token)
	if status != http.StatusOK || !strings.Contains(docPDFText(t, got), "Trần Văn Đức") {
		t.Fatalf("delegate opens the PDF: %d", status)
	}
	if _, err := exec.LookPath("soffice"); err == nil {
		v := docWaitConversion(t, env, docxDoc.ID, 1, b.named.Token, 3*time.Minute)
		if v.Conversion != "done" {
			t.Fatalf("DOCX conversion: %+v", v)
		}
		status, _, got := docGet(t, env, v.PDFURL, b.named.Token)
		if status != http.StatusOK || !strings.Contains(docPDFText(t, got), "Dự thảo Nghị quyết về kế hoạch") {
			t.Fatalf("delegate opens the converted DOCX: %d", status)
		}
	} else {
		t.Logf("SKIPPED the DOCX view: LibreOffice (soffice) is not installed")
	}

	var reads struct {
		Readers []struct {
			UserID int64 `json:"user_id"`
		}
		NotOpened []struct {
			UserID int64 `json:"user_id"`
		} `json:"not_opened"`
	}
	env.DoJSON(t, "GET", fmt.Sprintf("/api/v1/documents/%d/reads", pdfDoc.ID), b.secretary.Token, nil, http.StatusOK, &reads)
	if len(reads.Readers) != 1 || reads.Readers[0].UserID != b.named.ID {
		t.Fatalf("readers of the PDF: %+v", reads.Readers)
	}
}
