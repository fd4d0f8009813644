package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/document/doctest"
)

func TestDocumentUploadReadAndReceipts(t *testing.T) {
	b := setupDocs(t)
	env := b.env
	secret := "Bao cao tinh hinh kinh te xa hoi quy IV"
	pdf := doctest.PDF(secret, "Trang 1")

	status, body := docUpload(t, env, fmt.Sprintf("/api/v1/meetings/%d/documents", b.meetingID), b.secretary.Token,
		[][2]string{{"title", "Báo cáo kinh tế – xã hội quý IV"}, {"item_id", fmt.Sprint(b.itemID)}}, "Báo cáo quý IV.pdf", pdf)
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %s", status, body)
	}
	doc := docDecode[docJSON](t, body)
	if doc.Title != "Báo cáo kinh tế – xã hội quý IV" || doc.ItemID == nil || *doc.ItemID != b.itemID || doc.CurrentVersion != 1 {
		t.Fatalf("uploaded document: %+v", doc)
	}
	v1 := doc.Versions[0]
	if v1.Type != "pdf" || v1.Filename != "Báo cáo quý IV.pdf" || v1.SizeBytes != int64(len(pdf)) || v1.SHA256 != fmt.Sprintf("%x", sha256.Sum256(pdf)) || v1.Conversion != "not_needed" {
		t.Fatalf("version 1: %+v", v1)
	}

	t.Run("stored encrypted", func(t *testing.T) {
		files := docStoredFiles(t, env)
		if len(files) != 1 {
			t.Fatalf("stored files: %v, want 1", files)
		}
		raw, _ := os.ReadFile(files[0])
		if !bytes.Contains(pdf, []byte(secret)) {
			t.Fatal("test PDF does not hold its text in the clear; the check below would prove nothing")
		}
		if bytes.Contains(raw, []byte(secret)) || bytes.Contains(raw, []byte("%PDF")) {
			t.Fatal("the stored file contains the plaintext")
		}
	})

	t.Run("delegate lists and reads with a watermark", func(t *testing.T) {
		var list struct{ Documents []docJSON }
		env.DoJSON(t, "GET", fmt.Sprintf("/api/v1/meetings/%d/documents", b.meetingID), b.named.Token, nil, http.StatusOK, &list)
		if len(list.Documents) != 1 || list.Documents[0].ID != doc.ID {
			t.Fatalf("list: %+v", list.Documents)
		}
		status, h, got := docGet(t, env, v1.PDFURL, b.named.Token)
		if status != http.StatusOK || h.Get("Content-Type") != "application/pdf" {
			t.Fatalf("pdf view: %d %s", status, h.Get("Content-Type"))
		}
		if !strings.HasPrefix(h.Get("Content-Disposition"), "inline;") || !strings.Contains(h.Get("Content-Disposition"), "filename*=UTF-8''B%C3%A1o") {
			t.Errorf("Content-Disposition = %q", h.Get("Content-Disposition"))
		}
		text := docPDFText(t, got)
		for _, want := range []string{secret, "Bản cấp cho: Trần Văn Đức", "Ủy ban nhân dân huyện Đức Trọng", "(giờ Việt Nam)"} {
			if !strings.Contains(text, want) {
				t.Errorf("watermarked PDF text lacks %q:\n%s", want, text)
			}
		}
		if keep := os.Getenv("CAU_KEEP_WATERMARK"); keep != "" {
			// Render the first page to look at: pdftoppm -png.
			os.WriteFile(keep+".pdf", got, 0o644)
			if out, err := exec.Command("pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", keep+".pdf", keep).CombinedOutput(); err != nil {
				t.Errorf("pdftoppm: %v %s", err, out)
			}
		}
		// The original of a PDF is a PDF too: it leaves watermarked as well.
		status, h, got = docGet(t, env, v1.FileURL, b.unnamed.Token)
		if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("file: %d %v", status, h)
		}
		if text := docPDFText(t, got); !strings.Contains(text, "Lê Thị Bình") || !strings.Contains(text, secret) {
			t.Errorf("downloaded PDF lacks the reader's watermark:\n%s", text)
		}
	})

	t.Run("read receipts for organizers only", func(t *testing.T) {
		var reads struct {
			Readers []struct {
				UserID   int64  `json:"user_id"`
				FullName string `json:"full_name"`
				Unit     string `json:"unit"`
				Count    int    `json:"count"`
			}
			Reads []struct {
				UserID int64  `json:"user_id"`
				Kind   string `json:"kind"`
			}
			NotOpened []struct {
				UserID   int64  `json:"user_id"`
				FullName string `json:"full_name"`
			} `json:"not_opened"`
		}
		env.DoJSON(t, "GET", fmt.Sprintf("/api/v1/documents/%d/reads", doc.ID), b.secretary.Token, nil, http.StatusOK, &reads)
		if len(reads.Reads) != 2 || reads.Reads[0].UserID != b.unnamed.ID || reads.Reads[0].Kind != "download" || reads.Reads[1].Kind != "view" {
			t.Fatalf("reads: %+v", reads.Reads)
		}
		if len(reads.Readers) != 2 || reads.Readers[1].FullName != "Trần Văn Đức" || reads.Readers[1].Unit != "Ủy ban nhân dân huyện Đức Trọng" {
			t.Fatalf("readers: %+v", reads.Readers)
		}
		// The secretary (a participant) has not opened it; both delegates have.
		if len(reads.NotOpened) != 1 || reads.NotOpened[0].UserID != b.secretary.ID || reads.NotOpened[0].FullName != "Nguyễn Thị Thu" {
			t.Fatalf("not opened: %+v", reads.NotOpened)
		}
		status, body := env.Do(t, "GET", fmt.Sprintf("/api/v1/documents/%d/reads", doc.ID), b.named.Token, nil)
		if status != http.StatusForbidden {
			t.Fatalf("delegate reads receipts: %d %s", status, body)
		}
		n := docInt(t, env, `SELECT count(*) FROM audit_log WHERE action = 'document.read' AND object_id = $1`, fmt.Sprint(doc.ID))
		if n != 2 {
			t.Fatalf("audited reads: %d, want 2", n)
		}
		if _, breach, err := env.App.DB.VerifyAudit(context.Background()); err != nil || breach != nil {
			t.Fatalf("audit chain: %v %+v", err, breach)
		}
	})

	t.Run("outsiders and delegates cannot upload or see", func(t *testing.T) {
		before := docStoredFiles(t, env)
		status, body := docUpload(t, env, fmt.Sprintf("/api/v1/meetings/%d/documents", b.meetingID), b.named.Token, nil, "x.pdf", pdf)
		if status != http.StatusForbidden {
			t.Fatalf("delegate upload: %d %s", status, body)
		}
		status, body = docUpload(t, env, fmt.Sprintf("/api/v1/documents/%d/versions", doc.ID), b.named.Token, nil, "x.pdf", pdf)
		if status != http.StatusForbidden {
			t.Fatalf("delegate new version: %d %s", status, body)
		}
		for _, path := range []string{
			fmt.Sprintf("/api/v1/meetings/%d/documents", b.meetingID),
			fmt.Sprintf("/api/v1/documents/%d", doc.ID),
			v1.PDFURL, v1.FileURL,
			fmt.Sprintf("/api/v1/documents/%d/reads", doc.ID),
		} {
			if status, _, body := docGet(t, env, path, b.outsider.Token); status != http.StatusNotFound {
				t.Errorf("outsider GET %s: %d %s", path, status, body)
			}
		}
		if status, _, _ := docGet(t, env, v1.PDFURL, ""); status != http.StatusUnauthorized {
			t.Errorf("no token: %d", status)
		}
		if after := docStoredFiles(t, env); len(after) != len(before) {
			t.Fatalf("refused uploads stored files: %v", after)
		}
		if n := docInt(t, env, `SELECT count(*) FROM document_versions`); n != 1 {
			t.Fatalf("versions: %d, want 1", n)
		}
	})

	t.Run("new version keeps the old one; DOCX converted to PDF", func(t *testing.T) {
		text := "Tờ trình về việc phê duyệt kế hoạch đầu tư công năm 2027"
		status, body := docUpload(t, env, fmt.Sprintf("/api/v1/documents/%d/versions", doc.ID), b.secretary.Token, nil,
			"Tờ trình.docx", doctest.DOCX(text, "Kính trình Hội đồng nhân dân tỉnh xem xét."))
		if status != http.StatusCreated {
			t.Fatalf("new version: %d %s", status, body)
		}
		d := docDecode[docJSON](t, body)
		if d.CurrentVersion != 2 || len(d.Versions) != 2 || d.Versions[0].Type != "docx" || d.Versions[1].Version != 1 {
			t.Fatalf("after new version: %+v", d)
		}
		if status, _, _ := docGet(t, env, v1.PDFURL, b.named.Token); status != http.StatusOK {
			t.Fatalf("old version after a new one: %d", status)
		}
		if _, err := exec.LookPath("soffice"); err != nil {
			t.Skipf("SKIPPED DOCX→PDF: LibreOffice (soffice) is not installed: %v", err)
		}
		v2 := docWaitConversion(t, env, doc.ID, 2, b.named.Token, 3*time.Minute)
		if v2.Conversion != "done" || v2.PDFURL == "" {
			t.Fatalf("conversion: %+v", v2)
		}
		status, h, got := docGet(t, env, v2.PDFURL, b.named.Token)
		if status != http.StatusOK || h.Get("Content-Type") != "application/pdf" || !strings.Contains(h.Get("Content-Disposition"), ".pdf") {
			t.Fatalf("converted view: %d %v", status, h)
		}
		if keep := os.Getenv("CAU_KEEP_WATERMARK"); keep != "" {
			os.WriteFile(keep+"-docx.pdf", got, 0o644)
			exec.Command("pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", keep+"-docx.pdf", keep+"-docx").Run()
		}
		pt := docPDFText(t, got)
		for _, want := range []string{text, "Kính trình Hội đồng nhân dân tỉnh", "Bản cấp cho: Trần Văn Đức"} {
			if !strings.Contains(pt, want) {
				t.Errorf("converted PDF text lacks %q:\n%s", want, pt)
			}
		}
		// The original DOCX downloads as uploaded.
		status, _, got = docGet(t, env, d.Versions[0].FileURL, b.named.Token)
		if status != http.StatusOK || !bytes.HasPrefix(got, []byte("PK\x03\x04")) || fmt.Sprintf("%x", sha256.Sum256(got)) != d.Versions[0].SHA256 {
			t.Fatalf("original DOCX: %d, %d bytes", status, len(got))
		}
	})
}

func TestConfidentialDocuments(t *testing.T) {
	b := setupDocs(t)
	env := b.env
	status, body := docUpload(t, env, fmt.Sprintf("/api/v1/meetings/%d/documents", b.meetingID), b.secretary.Token,
		[][2]string{{"title", "Phương án nhân sự (mật)"}, {"confidential", "true"}, {"allowed_user_ids", fmt.Sprint(b.named.ID)}},
		"nhan-su.pdf", doctest.PDF("Phuong an nhan su"))
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %s", status, body)
	}
	conf := docDecode[docJSON](t, body)
	if !conf.Confidential || len(conf.AllowedUserIDs) != 1 || conf.AllowedUserIDs[0] != b.named.ID {
		t.Fatalf("confidential document: %+v", conf)
	}
	status, body = docUpload(t, env, fmt.Sprintf("/api/v1/meetings/%d/documents", b.meetingID), b.secretary.Token,
		[][2]string{{"title", "Dự thảo nghị quyết (mật)"}, {"confidential", "true"}, {"allowed_user_ids", fmt.Sprint(b.named.ID)}},
		"nghi-quyet.docx", doctest.DOCX("Dự thảo"))
	if status != http.StatusCreated {
		t.Fatalf("upload docx: %d %s", status, body)
	}
	confDocx := docDecode[docJSON](t, body)
	status, body = docUpload(t, env, fmt.Sprintf("/api/v1/meetings/%d/documents", b.meetingID), b.secretary.Token, nil, "chuong-trinh.pdf", doctest.PDF("Chuong trinh"))
	if status != http.StatusCreated {
		t.Fatalf("upload open document: %d %s", status, body)
	}
	open := docDecode[docJSON](t, body)

	list := func(u docUser) []int64 {
		var l struct{ Documents []docJSON }
		env.DoJSON(t, "GET", fmt.Sprintf("/api/v1/meetings/%d/documents", b.meetingID), u.Token, nil, http.StatusOK, &l)
		var ids []int64
		for _, d := range l.Documents {
			ids = append(ids, d.ID)
			if u.ID != b.secretary.ID && d.AllowedUserIDs != nil {
				t.Errorf("%s sees the allowed list of document %d", u.Username, d.ID)
			}
		}
		return ids
	}
	if got := list(b.secretary); fmt.Sprint(got) != fmt.Sprint([]int64{conf.ID, confDocx.ID, open.ID}) {
		t.Errorf("secretary sees %v", got)
	}
	if got := list(b.named); fmt.Sprint(got) != fmt.Sprint([]int64{conf.ID, confDocx.ID, open.ID}) {
		t.Errorf("named delegate sees %v", got)
	}
	if got := list(b.unnamed); fmt.Sprint(got) != fmt.Sprint([]int64{open.ID}) {
		t.Errorf("unnamed delegate sees %v, want only the open document", got)
	}

	// Not named: every path answers 404 exactly as for a document that does not exist.
	_, _, missing := docGet(t, env, "/api/v1/documents/999999", b.unnamed.Token)
	for _, path := range []string{
		fmt.Sprintf("/api/v1/documents/%d", conf.ID),
		conf.Versions[0].PDFURL, conf.Versions[0].FileURL,
		confDocx.Versions[0].FileURL,
		fmt.Sprintf("/api/v1/documents/%d/reads", conf.ID),
	} {
		status, _, body := docGet(t, env, path, b.unnamed.Token)
		if status != http.StatusNotFound || !bytes.Equal(body, missing) {
			t.Errorf("unnamed GET %s: %d %s, want the same 404 as a missing document (%s)", path, status, body, missing)
		}
	}
	status, body = docUpload(t, env, fmt.Sprintf("/api/v1/documents/%d/versions", conf.ID), b.unnamed.Token, nil, "x.pdf", doctest.PDF("x"))
	if status != http.StatusNotFound {
		t.Errorf("unnamed new version: %d %s", status, body)
	}

	// Named: reads the watermarked PDF; the office original stays with the organizers.
	status, _, got := docGet(t, env, conf.Versions[0].PDFURL, b.named.Token)
	if status != http.StatusOK || !strings.Contains(docPDFText(t, got), "Trần Văn Đức") {
		t.Fatalf("named delegate view: %d", status)
	}
	status, _, body = docGet(t, env, confDocx.Versions[0].FileURL, b.named.Token)
	if status != http.StatusForbidden || errorCode(t, body) != "original_restricted" {
		t.Errorf("named delegate confidential DOCX original: %d %s", status, body)
	}
	if status, _, _ := docGet(t, env, confDocx.Versions[0].FileURL, b.secretary.Token); status != http.StatusOK {
		t.Errorf("secretary confidential DOCX original: %d", status)
	}
	if n := docInt(t, env, `SELECT count(*) FROM document_reads WHERE user_id = $1`, b.unnamed.ID); n != 0 {
		t.Errorf("refused reads recorded %d receipts", n)
	}
}

func TestUploadRefusalsStoreNothing(t *testing.T) {
	const limit = 64 << 10
	b := setupDocs(t, func(c *config.Config) { c.Documents.MaxUploadBytes = limit })
	env := b.env
	path := fmt.Sprintf("/api/v1/meetings/%d/documents", b.meetingID)
	big := append(doctest.PDF("big"), bytes.Repeat([]byte("%padding\n"), limit/9+10)...)

	cases := []struct {
		name     string
		fields   [][2]string
		filename string
		data     []byte
		status   int
		code     string
	}{
		{"zip named .pdf", nil, "báo cáo.pdf", doctest.Zip("a.txt", "xin chào"), 415, "unsupported_type"},
		{"docx named .pdf", nil, "báo cáo.pdf", doctest.DOCX("x"), 415, "unsupported_type"},
		{"exe named .docx", nil, "tờ trình.docx", doctest.EXE, 415, "unsupported_type"},
		{"exe named .pdf", nil, "setup.pdf", doctest.EXE, 415, "unsupported_type"},
		{"plain text", nil, "ghi chú.txt", []byte("Kính gửi các đại biểu"), 415, "unsupported_type"},
		{"empty file", nil, "rỗng.pdf", nil, 415, "unsupported_type"},
		{"oversized", nil, "lớn.pdf", big, 413, "file_too_large"},
		{"no file part", [][2]string{{"title", "x"}}, "", nil, 422, "validation_failed"},
		{"unknown field", [][2]string{{"colour", "đỏ"}}, "a.pdf", doctest.PDF("a"), 400, "unknown_field"},
		{"allowed users on an open document", [][2]string{{"allowed_user_ids", fmt.Sprint(b.named.ID)}}, "a.pdf", doctest.PDF("a"), 422, "validation_failed"},
		{"allowed user that does not exist", [][2]string{{"confidential", "true"}, {"allowed_user_ids", "987654"}}, "a.pdf", doctest.PDF("a"), 422, "validation_failed"},
		{"item of another meeting", [][2]string{{"item_id", fmt.Sprint(b.otherItem)}}, "a.pdf", doctest.PDF("a"), 422, "validation_failed"},
		{"bad confidential flag", [][2]string{{"confidential", "có"}}, "a.pdf", doctest.PDF("a"), 422, "validation_failed"},
		{"title too long", [][2]string{{"title", strings.Repeat("ạ", 501)}}, "a.pdf", doctest.PDF("a"), 422, "validation_failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := docUpload(t, env, path, b.secretary.Token, tc.fields, tc.filename, tc.data)
			if status != tc.status || errorCode(t, body) != tc.code {
				t.Fatalf("status %d %s; want %d %s", status, body, tc.status, tc.code)
			}
		})
	}

	t.Run("not multipart", func(t *testing.T) {
		status, body := env.Do(t, "POST", path, b.secretary.Token, map[string]string{"title": "x"})
		if status != http.StatusUnsupportedMediaType || errorCode(t, body) != "unsupported_media_type" {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("no such meeting", func(t *testing.T) {
		status, body := docUpload(t, env, "/api/v1/meetings/987654/documents", b.secretary.Token, nil, "a.pdf", doctest.PDF("a"))
		if status != http.StatusNotFound {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("raw oversized body without multipart framing is cut off", func(t *testing.T) {
		req, _ := http.NewRequest("POST", env.URL+path, bytes.NewReader(bytes.Repeat([]byte("x"), limit+(1<<20)+(64<<10))))
		req.Header.Set("Content-Type", "multipart/form-data; boundary=zzz")
		req.Header.Set("Authorization", "Bearer "+b.secretary.Token)
		status, body := docSend(t, env, req)
		if status < 400 || status >= 500 {
			t.Fatalf("%d %s", status, body)
		}
	})

	if n := docInt(t, env, `SELECT count(*) FROM documents`); n != 0 {
		t.Errorf("refused uploads left %d document rows", n)
	}
	if n := docInt(t, env, `SELECT count(*) FROM document_versions`); n != 0 {
		t.Errorf("refused uploads left %d version rows", n)
	}
	if files := docStoredFiles(t, env); len(files) != 0 {
		t.Errorf("refused uploads left files: %v", files)
	}

	// A refused new version leaves the document as it was.
	status, body := docUpload(t, env, path, b.secretary.Token, nil, "a.pdf", doctest.PDF("a"))
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %s", status, body)
	}
	d := docDecode[docJSON](t, body)
	for _, bad := range []struct {
		name string
		data []byte
	}{{"v2.pdf", doctest.EXE}, {"v2.pdf", big}, {"v2.docx", doctest.PDF("a")}} {
		status, body := docUpload(t, env, fmt.Sprintf("/api/v1/documents/%d/versions", d.ID), b.secretary.Token, nil, bad.name, bad.data)
		if status != 415 && status != 413 {
			t.Errorf("bad version %s: %d %s", bad.name, status, body)
		}
	}
	if n := docInt(t, env, `SELECT count(*) FROM document_versions`); n != 1 {
		t.Errorf("versions after refused new versions: %d, want 1", n)
	}
	if files := docStoredFiles(t, env); len(files) != 1 {
		t.Errorf("files after refused new versions: %v", files)
	}
}

func TestConversionWithoutLibreOffice(t *testing.T) {
	b := setupDocs(t, func(c *config.Config) { c.Documents.Convert.Binary = filepath.Join(os.TempDir(), "no-such-soffice") })
	env := b.env
	docx := doctest.DOCX("Báo cáo")
	status, body := docUpload(t, env, fmt.Sprintf("/api/v1/meetings/%d/documents", b.meetingID), b.secretary.Token, nil, "Báo cáo.docx", docx)
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %s", status, body)
	}
	d := docDecode[docJSON](t, body)
	v := docWaitConversion(t, env, d.ID, 1, b.named.Token, 30*time.Second)
	if v.Conversion != "unavailable" || !strings.Contains(v.ConversionError, "LibreOffice") {
		t.Fatalf("conversion without LibreOffice: %+v", v)
	}
	status, _, body = docGet(t, env, fmt.Sprintf("/api/v1/documents/%d/versions/1/pdf", d.ID), b.named.Token)
	if status != http.StatusConflict || errorCode(t, body) != "conversion_failed" {
		t.Fatalf("pdf view: %d %s", status, body)
	}
	status, _, got := docGet(t, env, v.FileURL, b.named.Token)
	if status != http.StatusOK || !bytes.Equal(got, docx) {
		t.Fatalf("original: %d, %d bytes", status, len(got))
	}
}

var _ = apptest.New

func TestUpdateDocument(t *testing.T) {
	b := setupDocs(t)
	env := b.env
	status, body := docUpload(t, env, fmt.Sprintf("/api/v1/meetings/%d/documents", b.meetingID), b.secretary.Token, nil, "ke-hoach.pdf", doctest.PDF("Ke hoach"))
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %s", status, body)
	}
	d := docDecode[docJSON](t, body)
	if d.Title != "ke-hoach" {
		t.Errorf("default title %q, want the file name without extension", d.Title)
	}
	path := fmt.Sprintf("/api/v1/documents/%d", d.ID)

	// Refusals change nothing.
	for _, tc := range []struct {
		who    docUser
		body   string
		status int
	}{
		{b.named, `{"title":"x"}`, 403},
		{b.outsider, `{"title":"x"}`, 404},
		{b.secretary, `{"title":"   "}`, 422},
		{b.secretary, `{"item_id": 987654}`, 422},
		{b.secretary, fmt.Sprintf(`{"item_id": %d}`, b.otherItem), 422},
		{b.secretary, `{"item_id": "một"}`, 422},
		{b.secretary, fmt.Sprintf(`{"allowed_user_ids": [%d]}`, b.named.ID), 422},
		{b.secretary, `{"confidential": true, "allowed_user_ids": [987654]}`, 422},
		{b.secretary, `{"colour": "đỏ"}`, 400},
		{b.secretary, `{"title": "a"} {"title": "b"}`, 400},
	} {
		status, body := env.Do(t, "PATCH", path, tc.who.Token, tc.body)
		if status != tc.status {
			t.Errorf("%s PATCH %s: %d %s, want %d", tc.who.Username, tc.body, status, body, tc.status)
		}
	}
	var same docJSON
	env.DoJSON(t, "GET", path, b.secretary.Token, nil, http.StatusOK, &same)
	if same.Title != "ke-hoach" || same.Confidential || same.ItemID != nil {
		t.Fatalf("refused updates changed the document: %+v", same)
	}

	var upd docJSON
	env.DoJSON(t, "PATCH", path, b.secretary.Token, map[string]any{
		"title": "Kế hoạch tổ chức kỳ họp (mật)", "item_id": b.itemID, "confidential": true, "allowed_user_ids": []int64{b.named.ID},
	}, http.StatusOK, &upd)
	if upd.Title != "Kế hoạch tổ chức kỳ họp (mật)" || upd.ItemID == nil || *upd.ItemID != b.itemID || !upd.Confidential || len(upd.AllowedUserIDs) != 1 {
		t.Fatalf("updated: %+v", upd)
	}
	if status, _, _ := docGet(t, env, path, b.unnamed.Token); status != http.StatusNotFound {
		t.Errorf("unnamed after making it confidential: %d, want 404", status)
	}
	if status, _, _ := docGet(t, env, path, b.named.Token); status != http.StatusOK {
		t.Errorf("named after making it confidential: %d", status)
	}
	upd = docJSON{}
	env.DoJSON(t, "PATCH", path, b.secretary.Token, map[string]any{"confidential": false, "item_id": nil}, http.StatusOK, &upd)
	if upd.Confidential || upd.AllowedUserIDs != nil || upd.ItemID != nil {
		t.Fatalf("made open: %+v", upd)
	}
	if status, _, _ := docGet(t, env, path, b.unnamed.Token); status != http.StatusOK {
		t.Errorf("unnamed after making it open: %d", status)
	}
	if n := docInt(t, env, `SELECT count(*) FROM audit_log WHERE action = 'document.update'`); n != 2 {
		t.Errorf("audited updates: %d, want 2", n)
	}
}
