package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/blob"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/document/doctest"
)

// A key appended to CAU_DOCUMENT_KEYS_FILE takes over for new files after a
// restart; files under the old key stay readable, RotateKeys moves them to
// the new key, and then the old key can go. A tampered file is refused.
func TestDocumentKeyRotationAcrossRestart(t *testing.T) {
	dataDir := t.TempDir()
	keysFile := filepath.Join(dataDir, "keys", "documents.keys")
	onDisk := func(c *config.Config) { c.DataDir, c.Documents.KeysFile = dataDir, keysFile }
	b := setupDocs(t, onDisk)
	env := b.env
	oldDocx := doctest.DOCX("Văn bản mã hoá bằng khoá cũ")
	status, body := docUpload(t, env, fmt.Sprintf("/api/v1/meetings/%d/documents", b.meetingID), b.secretary.Token, nil, "cũ.docx", oldDocx)
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %s", status, body)
	}
	oldDoc := docDecode[docJSON](t, body)
	firstKeys, err := os.ReadFile(keysFile)
	if err != nil {
		t.Fatalf("the development keys file was not generated: %v", err)
	}

	// Rotate: append a new key, restart on the same database, Redis and data.
	env.Stop()
	line, _ := blob.NewKeyLine("k2")
	os.WriteFile(keysFile, append(firstKeys, []byte(line+"\n")...), 0o600)
	dbURL := env.Config.DatabaseURL
	env2 := apptest.NewOn(t, dbURL, env.Config.RedisURL, onDisk)

	status, _, got := docGet(t, env2, oldDoc.Versions[0].FileURL, b.secretary.Token)
	if status != http.StatusOK || !bytes.Equal(got, oldDocx) {
		t.Fatalf("old file after adding a key: %d", status)
	}
	status, body = docUpload(t, env2, fmt.Sprintf("/api/v1/meetings/%d/documents", b.meetingID), b.secretary.Token, nil, "mới.pdf", doctest.PDF("new key"))
	if status != http.StatusCreated {
		t.Fatalf("upload after rotation: %d %s", status, body)
	}
	blobOf := func(id int64) string {
		t.Helper()
		return docString(t, env2, `SELECT blob_id FROM document_versions WHERE document_id = $1`, id)
	}
	keys2, _ := blob.LoadKeyring(keysFile, false)
	store2, _ := blob.New(filepath.Join(dataDir, "documents"), keys2)
	newDoc := docDecode[docJSON](t, body)
	if k, _ := store2.KeyID(blobOf(newDoc.ID)); k != "k2" {
		t.Errorf("new file's key %q, want k2", k)
	}
	if k, _ := store2.KeyID(blobOf(oldDoc.ID)); k == "k2" {
		t.Errorf("old file already under k2 before RotateKeys")
	}
	n, err := env2.App.API.Documents.RotateKeys(context.Background())
	if err != nil || n < 1 {
		t.Fatalf("RotateKeys = %d, %v", n, err)
	}
	if k, _ := store2.KeyID(blobOf(oldDoc.ID)); k != "k2" {
		t.Errorf("old file's key after RotateKeys %q, want k2", k)
	}

	// Retire the old key: everything still opens.
	env2.Stop()
	os.WriteFile(keysFile, []byte(line+"\n"), 0o600)
	env3 := apptest.NewOn(t, dbURL, env.Config.RedisURL, onDisk)
	status, _, got = docGet(t, env3, oldDoc.Versions[0].FileURL, b.secretary.Token)
	if status != http.StatusOK || !bytes.Equal(got, oldDocx) {
		t.Fatalf("old file with only the new key: %d", status)
	}

	// Tampering: one flipped byte and the file is refused, not served.
	path, err := store2.Path(docString(t, env3, `SELECT blob_id FROM document_versions WHERE document_id = $1`, oldDoc.ID))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	raw[len(raw)-20] ^= 1
	os.WriteFile(path, raw, 0o600)
	status, _, body = docGet(t, env3, oldDoc.Versions[0].FileURL, b.secretary.Token)
	if status != http.StatusInternalServerError || errorCode(t, body) != "document_corrupt" {
		t.Fatalf("tampered file: %d %s", status, body)
	}
}

func docString(t *testing.T, env *apptest.Env, sql string, args ...any) string {
	t.Helper()
	var s string
	if err := env.App.DB.Pool.QueryRow(context.Background(), sql, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

// A conversion job lost with Redis is queued again when the server starts.
func TestConversionResumedAfterLostJob(t *testing.T) {
	noSoffice := func(c *config.Config) { c.Documents.Convert.Binary = filepath.Join(t.TempDir(), "no-soffice") }
	b := setupDocs(t, noSoffice, func(c *config.Config) { c.Jobs.RunWorker = false })
	env := b.env
	status, body := docUpload(t, env, fmt.Sprintf("/api/v1/meetings/%d/documents", b.meetingID), b.secretary.Token, nil, "a.docx", doctest.DOCX("a"))
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %s", status, body)
	}
	d := docDecode[docJSON](t, body)
	if d.Versions[0].Conversion != "pending" {
		t.Fatalf("without a worker: %+v", d.Versions[0])
	}
	if err := env.App.Redis.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	env.Stop()
	env2 := apptest.NewOn(t, env.Config.DatabaseURL, env.Config.RedisURL, noSoffice)
	v := docWaitConversion(t, env2, d.ID, 1, b.secretary.Token, 30*time.Second)
	if v.Conversion != "unavailable" {
		t.Fatalf("after restart: %+v", v)
	}
}
