package backup

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/blob"
	"github.com/cau-gov/cau/internal/store"
)

// Report is what a restore restored and verified.
type Report struct {
	Manifest  Manifest
	Tables    int   // tables whose row counts matched the manifest
	Rows      int64 // rows in all
	Blobs     int   // stored files checked (decrypted, hash compared where recorded)
	AuditRows int64 // audit rows whose chain verified
}

// hashedBlobs lists the stored files with the SHA-256 of their plaintext
// recorded in the database (NULL where only decryption can be checked).
// A new table naming blobs belongs here.
const hashedBlobs = `
SELECT blob_id, sha256 FROM document_versions
UNION ALL SELECT pdf_blob_id, NULL FROM document_versions WHERE pdf_blob_id IS NOT NULL
UNION ALL SELECT blob_id, sha256 FROM minutes_files`

var blobMember = regexp.MustCompile(`^blobs/[0-9a-f]{2}/[0-9a-f]{32}$`)

// Restore restores the archive read from r into an empty database and an
// empty (or missing) blob directory, then verifies the result. keys are
// the document keys (CAU_DOCUMENT_KEYS_FILE) the blobs were written under.
// Nothing is written when the target is not empty or any part of the
// archive fails its check; the error names the part.
func Restore(ctx context.Context, o Options, keys *blob.Keyring, r io.Reader) (Report, error) {
	var rep Report
	db, err := store.Open(ctx, o.DatabaseURL)
	if err != nil {
		return rep, err
	}
	defer db.Close()
	if err := checkEmpty(ctx, db, o.BlobDir); err != nil {
		return rep, err
	}
	if err := os.MkdirAll(filepath.Dir(o.BlobDir), 0o700); err != nil {
		return rep, err
	}
	// Staging beside the blob directory, so moving the blobs is a rename.
	staging, err := os.MkdirTemp(filepath.Dir(o.BlobDir), ".restore-*")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(staging)

	m, err := unpack(r, o.Key, staging)
	if err != nil {
		return rep, err
	}
	rep.Manifest = m
	if err := checkMigrations(m); err != nil {
		return rep, err
	}

	dbURL, env := hidePassword(o.DatabaseURL)
	cmd := exec.CommandContext(ctx, o.tool(o.PgRestore, "pg_restore"), "--single-transaction", "--exit-on-error",
		"--no-owner", "--no-privileges", "--dbname="+dbURL, filepath.Join(staging, dumpName))
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return rep, fmt.Errorf("pg_restore: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if err := os.Remove(o.BlobDir); err != nil && !os.IsNotExist(err) {
		return rep, fmt.Errorf("replace the empty blob directory: %w", err)
	}
	src := filepath.Join(staging, "blobs")
	if _, err := os.Stat(src); os.IsNotExist(err) {
		err = os.MkdirAll(o.BlobDir, 0o700)
		if err != nil {
			return rep, err
		}
	} else if err := os.Rename(src, o.BlobDir); err != nil {
		return rep, fmt.Errorf("move blobs into place: %w", err)
	}
	return verify(ctx, db, keys, o.BlobDir, rep)
}

// checkEmpty refuses a database with any table in public or a blob
// directory holding anything.
func checkEmpty(ctx context.Context, db *store.DB, blobDir string) error {
	var tables int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
		return fmt.Errorf("inspect the target database: %w", err)
	}
	if tables > 0 {
		return fmt.Errorf("%w: the database already has %d tables; restore into a new, empty database", ErrNotEmpty, tables)
	}
	entries, err := os.ReadDir(blobDir)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("inspect %s: %w", blobDir, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("%w: %s already holds %d entries; restore into a new data directory", ErrNotEmpty, blobDir, len(entries))
	}
	return nil
}

// unpack reads the archive into dir, checking every member against the
// manifest (the last member). It returns the manifest.
func unpack(r io.Reader, key []byte, dir string) (Manifest, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, _ := br.Peek(len(sealMagic))
	sealed := string(head) == sealMagic
	var in io.Reader = br
	switch {
	case sealed && key == nil:
		return Manifest{}, fmt.Errorf("%w: the archive is sealed; set CAU_BACKUP_KEY_FILE to the key it was made with", ErrBadKey)
	case !sealed && key != nil:
		return Manifest{}, fmt.Errorf("%w: a backup key is configured but the archive is not sealed with one", ErrCorrupt)
	case sealed:
		or, err := newOpenReader(br, key)
		if err != nil {
			return Manifest{}, err
		}
		in = or
	}
	tr := tar.NewReader(in)
	got := map[string]Part{}
	var manifest []byte
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Manifest{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if manifest != nil {
			return Manifest{}, fmt.Errorf("%w: %s after the manifest", ErrCorrupt, h.Name)
		}
		if h.Typeflag != tar.TypeReg {
			return Manifest{}, fmt.Errorf("%w: %s is not a regular file", ErrCorrupt, h.Name)
		}
		switch {
		case h.Name == manifestName:
			if manifest, err = io.ReadAll(io.LimitReader(tr, 64<<20)); err != nil {
				return Manifest{}, fmt.Errorf("%w: %s: %v", ErrCorrupt, h.Name, err)
			}
			continue
		case h.Name == dumpName, blobMember.MatchString(h.Name):
		default:
			return Manifest{}, fmt.Errorf("%w: unexpected member %q", ErrCorrupt, h.Name)
		}
		if _, dup := got[h.Name]; dup {
			return Manifest{}, fmt.Errorf("%w: %s appears twice", ErrCorrupt, h.Name)
		}
		p, err := extract(tr, filepath.Join(dir, filepath.FromSlash(h.Name)))
		if err != nil {
			return Manifest{}, fmt.Errorf("%w: %s: %v", ErrCorrupt, h.Name, err)
		}
		p.Name = h.Name
		got[h.Name] = p
	}
	if manifest == nil {
		return Manifest{}, fmt.Errorf("%w: no %s (the archive is cut off)", ErrCorrupt, manifestName)
	}
	m, err := parseManifest(manifest)
	if err != nil {
		return Manifest{}, err
	}
	for _, want := range m.Parts {
		p, ok := got[want.Name]
		switch {
		case !ok:
			return Manifest{}, fmt.Errorf("%w: %s is missing", ErrCorrupt, want.Name)
		case p.Size != want.Size || p.SHA256 != want.SHA256:
			return Manifest{}, fmt.Errorf("%w: %s does not match the manifest (%d bytes, SHA-256 %s; manifest: %d bytes, %s)",
				ErrCorrupt, want.Name, p.Size, p.SHA256, want.Size, want.SHA256)
		}
		delete(got, want.Name)
	}
	for name := range got {
		return Manifest{}, fmt.Errorf("%w: %s is not in the manifest", ErrCorrupt, name)
	}
	return m, nil
}

func extract(r io.Reader, path string) (Part, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Part{}, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return Part{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return Part{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, err
}

// checkMigrations refuses an archive made by a newer schema than this
// binary knows: restore it with that binary.
func checkMigrations(m Manifest) error {
	known, err := store.Migrations()
	if err != nil {
		return err
	}
	names := map[string]bool{}
	for _, k := range known {
		names[fmt.Sprintf("%04d_%s", k.Version, k.Name)] = true
	}
	for _, v := range m.Migrations {
		if !names[v] {
			return fmt.Errorf("%w: the archive's schema has migration %s that this binary does not know; restore with the version that wrote it (%s)", ErrCorrupt, v, m.Version)
		}
	}
	return nil
}

// verify checks the restored database and blobs against the manifest.
func verify(ctx context.Context, db *store.DB, keys *blob.Keyring, blobDir string, rep Report) (Report, error) {
	tx, err := db.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return rep, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
	rows, err := countRows(ctx, tx)
	if err != nil {
		return rep, err
	}
	for table, want := range rep.Manifest.Rows {
		if rows[table] != want {
			return rep, fmt.Errorf("%w: table %s has %d rows, the manifest says %d", ErrVerify, table, rows[table], want)
		}
		rep.Tables++
		rep.Rows += want
	}
	if len(rows) != len(rep.Manifest.Rows) {
		return rep, fmt.Errorf("%w: %d tables restored, the manifest names %d", ErrVerify, len(rows), len(rep.Manifest.Rows))
	}
	n, breach, err := db.VerifyAudit(ctx)
	if err != nil {
		return rep, fmt.Errorf("verify the audit chain: %w", err)
	}
	if breach != nil {
		return rep, fmt.Errorf("%w: audit chain broken at row %d: %s", ErrVerify, breach.ID, breach.Reason)
	}
	rep.AuditRows = n

	blobs, err := blob.New(blobDir, keys)
	if err != nil {
		return rep, err
	}
	q, err := tx.Query(ctx, hashedBlobs)
	if err != nil {
		return rep, fmt.Errorf("list stored files: %w", err)
	}
	type stored struct {
		id  string
		sum []byte
	}
	list, err := pgx.CollectRows(q, func(r pgx.CollectableRow) (stored, error) {
		var s stored
		return s, r.Scan(&s.id, &s.sum)
	})
	if err != nil {
		return rep, fmt.Errorf("list stored files: %w", err)
	}
	for _, s := range list {
		if err := checkBlob(blobs, s.id, s.sum); err != nil {
			return rep, err
		}
		rep.Blobs++
	}
	return rep, nil
}

func checkBlob(blobs *blob.Store, id string, want []byte) error {
	rc, err := blobs.Open(id)
	if err != nil {
		return fmt.Errorf("%w: stored file %s: %v", ErrVerify, id, err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return fmt.Errorf("%w: stored file %s does not decrypt: %v", ErrVerify, id, err)
	}
	if want != nil && !bytes.Equal(h.Sum(nil), want) {
		return fmt.Errorf("%w: stored file %s decrypts to other bytes than its recorded SHA-256", ErrVerify, id)
	}
	return nil
}
