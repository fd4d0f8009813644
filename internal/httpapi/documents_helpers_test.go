package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/auth"
)

// docUser is a signed-in test user.
type docUser struct {
	ID       int64
	Name     string
	Unit     string
	Token    string
	Username string
}

// docBundle is a running server with a meeting, its organizer, two
// delegates and one outsider.
type docBundle struct {
	env       *apptest.Env
	meetingID int64
	otherMeet int64
	itemID    int64
	otherItem int64
	secretary docUser
	named     docUser // a delegate named on confidential documents
	unnamed   docUser // a delegate not named on them
	outsider  docUser // not invited to the meeting
}

func docExec(t *testing.T, env *apptest.Env, sql string, args ...any) {
	t.Helper()
	if _, err := env.App.DB.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func docInt(t *testing.T, env *apptest.Env, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := env.App.DB.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func setupDocs(t *testing.T, opts ...apptest.Option) *docBundle {
	t.Helper()
	env := apptest.New(t, opts...)
	b := &docBundle{env: env}
	province := env.Unit(t, 0, "province", "lam-dong", "Ủy ban nhân dân tỉnh Lâm Đồng")
	district := env.Unit(t, province, "district", "duc-trong", "Ủy ban nhân dân huyện Đức Trọng")
	user := func(username, name string, unit int64, unitName string, role auth.Role) docUser {
		id := env.User(t, unit, username, "mật-khẩu-thử", apptest.Grant(role))
		docExec(t, env, `UPDATE users SET full_name = $2 WHERE id = $1`, id, name)
		access, _ := env.Login(t, username, "mật-khẩu-thử")
		return docUser{ID: id, Name: name, Unit: unitName, Token: access, Username: username}
	}
	b.secretary = user("thuky", "Nguyễn Thị Thu", province, "Ủy ban nhân dân tỉnh Lâm Đồng", auth.RoleSecretary)
	b.named = user("duc", "Trần Văn Đức", district, "Ủy ban nhân dân huyện Đức Trọng", auth.RoleDelegate)
	b.unnamed = user("binh", "Lê Thị Bình", district, "Ủy ban nhân dân huyện Đức Trọng", auth.RoleDelegate)
	b.outsider = user("ngoai", "Phạm Văn Ngoại", district, "Ủy ban nhân dân huyện Đức Trọng", auth.RoleDelegate)
	b.meetingID, b.itemID = docMeeting(t, env, b.secretary.ID, map[int64]string{b.secretary.ID: "secretary", b.named.ID: "delegate", b.unnamed.ID: "delegate"})
	b.otherMeet, b.otherItem = docMeeting(t, env, b.secretary.ID, map[int64]string{b.secretary.ID: "secretary", b.outsider.ID: "delegate"})
	return b
}

// docMeeting inserts a published meeting with one agenda item and its
// participants (SQL, so the documents tests do not depend on the meetings API).
func docMeeting(t *testing.T, env *apptest.Env, creator int64, participants map[int64]string) (int64, int64) {
	t.Helper()
	m := docInt(t, env, `INSERT INTO meetings (kind, title, status, starts_at, ends_at, unit_id, created_by)
		SELECT 'regular', 'Kỳ họp thường kỳ tháng 11', 'published', now() + interval '1 day', now() + interval '1 day 3 hours', unit_id, id
		FROM users WHERE id = $1 RETURNING id`, creator)
	item := docInt(t, env, `INSERT INTO agenda_items (meeting_id, position, title) VALUES ($1, 1, 'Báo cáo kinh tế – xã hội') RETURNING id`, m)
	for u, role := range participants {
		docExec(t, env, `INSERT INTO meeting_participants (meeting_id, user_id, role) VALUES ($1, $2, $3)`, m, u, role)
	}
	return m, item
}

// upload posts a multipart body: fields in order, then the file part
// (omitted when filename is "").
func docUpload(t *testing.T, env *apptest.Env, path, token string, fields [][2]string, filename string, data []byte) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	if filename != "" {
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", env.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return docSend(t, env, req)
}

func docSend(t *testing.T, env *apptest.Env, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := env.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", req.Method, req.URL.Path, err)
	}
	return resp.StatusCode, out
}

// get fetches a path and returns status, headers and body.
func docGet(t *testing.T, env *apptest.Env, path, token string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", env.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := env.Client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read: %v", path, err)
	}
	return resp.StatusCode, resp.Header, out
}

type docVersion struct {
	Version         int    `json:"version"`
	Filename        string `json:"filename"`
	Type            string `json:"type"`
	SizeBytes       int64  `json:"size_bytes"`
	SHA256          string `json:"sha256"`
	Conversion      string `json:"conversion"`
	ConversionError string `json:"conversion_error"`
	FileURL         string `json:"file_url"`
	PDFURL          string `json:"pdf_url"`
}

type docJSON struct {
	ID             int64        `json:"id"`
	MeetingID      int64        `json:"meeting_id"`
	ItemID         *int64       `json:"item_id"`
	Title          string       `json:"title"`
	Confidential   bool         `json:"confidential"`
	AllowedUserIDs []int64      `json:"allowed_user_ids"`
	CurrentVersion int          `json:"current_version"`
	Versions       []docVersion `json:"versions"`
}

func docDecode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// pdfText runs pdftotext on a PDF; without poppler-utils the test stops
// there as skipped, saying so, rather than passing without looking.
func docPDFText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("SKIPPED watermark/text checks: pdftotext not found; install poppler-utils")
	}
	file := filepath.Join(t.TempDir(), "doc.pdf")
	os.WriteFile(file, pdf, 0o600)
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// storedFiles lists the blob files under the data directory.
func docStoredFiles(t *testing.T, env *apptest.Env) []string {
	t.Helper()
	var files []string
	root := filepath.Join(env.Config.DataDir, "documents")
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	return files
}

// waitConversion polls a document until its version leaves "pending" or
// the deadline passes (conversion runs in the worker, out of our hands).
func docWaitConversion(t *testing.T, env *apptest.Env, id int64, version int, token string, within time.Duration) docVersion {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		status, _, body := docGet(t, env, fmt.Sprintf("/api/v1/documents/%d", id), token)
		if status != http.StatusOK {
			t.Fatalf("GET document %d: %d %s", id, status, body)
		}
		d := docDecode[docJSON](t, body)
		for _, v := range d.Versions {
			if v.Version == version && v.Conversion != "pending" {
				return v
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("version %d of document %d still pending after %s", version, id, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
