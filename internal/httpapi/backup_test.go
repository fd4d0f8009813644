package httpapi_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/backup"
	"github.com/cau-gov/cau/internal/blob"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/document/doctest"
	"github.com/cau-gov/cau/internal/minutes"
	"github.com/cau-gov/cau/internal/pgtest"
	"github.com/cau-gov/cau/internal/redistest"
	"github.com/cau-gov/cau/internal/store"
)

// A finished session (a document, approved minutes with their stored PDFs,
// a task) is backed up, restored into a fresh database and data directory,
// and served again byte for byte; a damaged archive and a non-empty target
// are refused with nothing written.
func TestBackupRestoreFinishedSession(t *testing.T) {
	w := setupProvince(t)
	env := w.env
	ctx := context.Background()
	id := w.createMeeting(t)
	base := fmt.Sprintf("/api/v1/meetings/%d", id)
	w.do(t, "secretary", "PUT", fmt.Sprintf("%s/participants/%d", base, w.users["delegate1"]), map[string]any{"role": "delegate"}, 204, nil)
	w.do(t, "secretary", "POST", base+"/agenda", map[string]any{"title": "Kế hoạch chuyển đổi số năm 2027"}, 201, nil)
	docx := doctest.DOCX("Tờ trình về kế hoạch chuyển đổi số năm 2027")
	status, body := docUpload(t, env, base+"/documents", w.tokens["secretary"], [][2]string{{"title", "Tờ trình kế hoạch"}}, "tờ trình.docx", docx)
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %s", status, body)
	}
	doc := docDecode[docJSON](t, body)
	w.do(t, "secretary", "POST", base+"/publish", nil, 200, nil)
	w.do(t, "chair", "POST", base+"/session/open", nil, 204, nil)
	w.do(t, "chair", "POST", base+"/session/close", nil, 204, nil)
	var m minutes.Minutes
	w.do(t, "secretary", "POST", base+"/minutes", nil, 201, &m)
	b := m.Body
	b.Conclusions = []minutes.Conclusion{{Number: 1, Text: "Giao các huyện triển khai kế hoạch chuyển đổi số năm 2027."}}
	w.do(t, "secretary", "PUT", base+"/minutes", map[string]any{"version": m.Version, "body": b}, 200, &m)
	w.do(t, "chair", "POST", base+"/minutes/approve", map[string]any{"version": m.Version}, 200, &m)
	pdfs := map[string][]byte{}
	for _, p := range []string{"/minutes/pdf", "/minutes/notice/pdf"} {
		pdfs[p] = w.waitPDF(t, "chair", base+p)
	}
	w.do(t, "chair", "POST", base+"/minutes/conclusions/1/tasks", map[string]any{"tasks": []any{map[string]any{
		"title": "Triển khai kế hoạch chuyển đổi số", "lead_unit_id": w.districts[0], "deadline": "2027-12-31"}}}, 201, nil)

	opts := backup.Options{DatabaseURL: env.Config.DatabaseURL, BlobDir: filepath.Join(env.Config.DataDir, "documents"), Version: "test"}
	var archive bytes.Buffer
	man, err := backup.Create(ctx, opts, &archive)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if man.Rows["tasks"] != 1 || man.Rows["minutes_files"] != 2 || man.Rows["document_versions"] != 1 || len(man.Parts) < 4 {
		t.Fatalf("manifest: rows %v, %d parts", man.Rows, len(man.Parts))
	}
	keys, err := blob.LoadKeyring(env.Config.Documents.KeysFile, false)
	if err != nil {
		t.Fatal(err)
	}
	restoreInto := func(key []byte, data []byte) (string, string, backup.Report, error) {
		dbURL, dataDir := pgtest.NewEmptyURL(t), t.TempDir()
		o := backup.Options{DatabaseURL: dbURL, BlobDir: filepath.Join(dataDir, "documents"), Key: key}
		rep, err := backup.Restore(ctx, o, keys, bytes.NewReader(data))
		return dbURL, dataDir, rep, err
	}

	t.Run("restored installation serves the same files", func(t *testing.T) {
		dbURL, dataDir, rep, err := restoreInto(nil, archive.Bytes())
		if err != nil {
			t.Fatalf("restore: %v", err)
		}
		if rep.Blobs < 3 || rep.AuditRows == 0 || rep.Tables != len(man.Rows) {
			t.Fatalf("report %+v", rep)
		}
		env2 := apptest.NewOn(t, dbURL, redistest.NewURL(t), func(c *config.Config) {
			c.DataDir = dataDir
			c.Documents.KeysFile = env.Config.Documents.KeysFile
		})
		if n, breach, err := env2.App.DB.VerifyAudit(ctx); err != nil || breach != nil || n == 0 {
			t.Fatalf("audit verify on the restored database: %d rows, %v, %v", n, breach, err)
		}
		access, _ := env2.Login(t, "chair", pw)
		st, got := env2.Do(t, "GET", doc.Versions[0].FileURL, access, nil)
		if st != 200 || !bytes.Equal(got, docx) {
			t.Errorf("document original after restore: %d, %d bytes, identical %v", st, len(got), bytes.Equal(got, docx))
		}
		for p, want := range pdfs {
			st, got := env2.Do(t, "GET", base+p, access, nil)
			if st != 200 || !bytes.Equal(got, want) {
				t.Errorf("GET %s after restore: %d, identical %v", p, st, bytes.Equal(got, want))
			}
		}

		// The restored installation is not empty: a second restore is refused.
		_, err = backup.Restore(ctx, backup.Options{DatabaseURL: dbURL, BlobDir: filepath.Join(t.TempDir(), "documents")}, keys, bytes.NewReader(archive.Bytes()))
		if !errors.Is(err, backup.ErrNotEmpty) {
			t.Fatalf("restore into a used database: %v", err)
		}
		_, err = backup.Restore(ctx, backup.Options{DatabaseURL: pgtest.NewEmptyURL(t), BlobDir: filepath.Join(dataDir, "documents")}, keys, bytes.NewReader(archive.Bytes()))
		if !errors.Is(err, backup.ErrNotEmpty) {
			t.Fatalf("restore into a used data directory: %v", err)
		}
	})

	t.Run("damaged archives are refused naming the part, nothing written", func(t *testing.T) {
		for _, tc := range []struct {
			name, part string
			data       []byte
		}{
			{"a changed byte in a stored file", "blobs/", damage(t, archive.Bytes(), "blobs/")},
			{"a changed byte in the dump", "db.dump", damage(t, archive.Bytes(), "db.dump")},
			{"cut off in the manifest", "manifest.json", cutInManifest(t, archive.Bytes())},
		} {
			dbURL, dataDir, _, err := restoreInto(nil, tc.data)
			if !errors.Is(err, backup.ErrCorrupt) || !strings.Contains(err.Error(), tc.part) {
				t.Errorf("%s: %v; want ErrCorrupt naming %s", tc.name, err, tc.part)
				continue
			}
			db, err := store.Open(ctx, dbURL)
			if err != nil {
				t.Fatal(err)
			}
			var tables int
			err = db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables)
			db.Close()
			if err != nil || tables != 0 {
				t.Errorf("%s: %d tables written (%v)", tc.name, tables, err)
			}
			if entries, _ := filepath.Glob(filepath.Join(dataDir, "*")); len(entries) != 0 {
				t.Errorf("%s: left %v", tc.name, entries)
			}
		}
	})

	t.Run("sealed archive needs its key", func(t *testing.T) {
		key := make([]byte, 32)
		rand.Read(key)
		sealedOpts := opts
		sealedOpts.Key = key
		var sealed bytes.Buffer
		if _, err := backup.Create(ctx, sealedOpts, &sealed); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed.Bytes(), []byte("manifest.json")) {
			t.Fatal("a sealed archive shows its member names")
		}
		if _, _, _, err := restoreInto(nil, sealed.Bytes()); !errors.Is(err, backup.ErrBadKey) {
			t.Errorf("sealed, no key: %v", err)
		}
		wrong := make([]byte, 32)
		if _, _, _, err := restoreInto(wrong, sealed.Bytes()); !errors.Is(err, backup.ErrCorrupt) {
			t.Errorf("sealed, wrong key: %v", err)
		}
		if _, _, _, err := restoreInto(key, archive.Bytes()); !errors.Is(err, backup.ErrCorrupt) {
			t.Errorf("unsealed archive where a key is configured: %v", err)
		}
		if _, _, rep, err := restoreInto(key, sealed.Bytes()); err != nil || rep.Blobs < 3 {
			t.Errorf("sealed, right key: %+v %v", rep, err)
		}
	})
}

// damage rewrites an archive with one byte changed in the first member
// whose name starts with prefix, keeping its manifest.
// cutInManifest cuts the archive off in the middle of the manifest's bytes
// (a fixed cut from the end lands in the tar padding when the manifest's
// size happens to leave much of its last block empty; the reader then sees
// all of it).
func cutInManifest(t *testing.T, archive []byte) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(archive))
	var size int64 = -1
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "manifest.json" {
			size = h.Size
		}
	}
	if size <= 0 {
		t.Fatal("no manifest.json in the archive")
	}
	pad := (512 - size%512) % 512
	return archive[:int64(len(archive))-1024-pad-size/2] // the end-of-archive blocks are 1024 bytes
}

func damage(t *testing.T, archive []byte, prefix string) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(archive))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	done := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if !done && strings.HasPrefix(h.Name, prefix) && len(data) > 0 {
			data[len(data)/2] ^= 0x40
			done = true
		}
		tw.WriteHeader(h)
		tw.Write(data)
	}
	tw.Close()
	if !done {
		t.Fatalf("no member %s* to damage", prefix)
	}
	return out.Bytes()
}
