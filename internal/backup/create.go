package backup

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options name what to back up or restore into.
type Options struct {
	DatabaseURL string
	// BlobDir is the blob store's directory (CAU_DATA_DIR/documents).
	BlobDir string
	// Key, when set (32 bytes), seals the archive; restore needs the same.
	Key []byte
	// Version is the cau binary's version, recorded in the manifest.
	Version string
	// PgDump and PgRestore are the tools' paths ("pg_dump", "pg_restore"
	// from PATH when empty). Their major version must not be older than
	// the server's.
	PgDump, PgRestore string
}

func (o Options) tool(path, name string) string {
	if path != "" {
		return path
	}
	return name
}

// Create writes a backup archive to w and returns its manifest. The rows
// counted and the dump are the same snapshot: a REPEATABLE READ
// transaction exports it and pg_dump runs with --snapshot while it stays
// open. Blobs are copied after the snapshot: a blob is in place before the
// row naming it commits, so every blob the dump names is there (later ones
// are carried along, harmless).
func Create(ctx context.Context, o Options, w io.Writer) (Manifest, error) {
	m := Manifest{Format: Format, CreatedAt: time.Now().UTC(), Version: o.Version, Rows: map[string]int64{}}
	staging, err := os.MkdirTemp("", "cau-backup-*")
	if err != nil {
		return m, err
	}
	defer os.RemoveAll(staging)

	conn, err := pgx.Connect(ctx, o.DatabaseURL)
	if err != nil {
		return m, fmt.Errorf("connect to the database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return m, fmt.Errorf("begin snapshot: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
	var snapshot string
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&snapshot); err != nil {
		return m, fmt.Errorf("export snapshot: %w", err)
	}
	if m.Rows, err = countRows(ctx, tx); err != nil {
		return m, err
	}
	if m.Migrations, err = migrations(ctx, tx); err != nil {
		return m, err
	}
	dump := filepath.Join(staging, dumpName)
	dbURL, env := hidePassword(o.DatabaseURL)
	cmd := exec.CommandContext(ctx, o.tool(o.PgDump, "pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
		"--snapshot="+snapshot, "--file="+dump, "--dbname="+dbURL)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return m, fmt.Errorf("pg_dump: %v: %s", err, strings.TrimSpace(string(out)))
	}

	var out io.Writer = w
	var sealer *sealWriter
	if o.Key != nil {
		if sealer, err = newSealWriter(w, o.Key); err != nil {
			return m, err
		}
		out = sealer
	}
	tw := tar.NewWriter(out)
	if err := addFile(tw, &m, dumpName, dump); err != nil {
		return m, err
	}
	err = filepath.WalkDir(o.BlobDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && path == o.BlobDir {
				return filepath.SkipDir // no document stored yet
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil // temporary files of uploads in progress start with a dot
		}
		rel, err := filepath.Rel(o.BlobDir, path)
		if err != nil {
			return err
		}
		return addFile(tw, &m, blobPrefix+filepath.ToSlash(rel), path)
	})
	if err != nil {
		return m, fmt.Errorf("copy blobs: %w", err)
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o600, Size: int64(len(body)), ModTime: m.CreatedAt}); err != nil {
		return m, err
	}
	if _, err := tw.Write(body); err != nil {
		return m, err
	}
	if err := tw.Close(); err != nil {
		return m, err
	}
	if sealer != nil {
		if err := sealer.Close(); err != nil {
			return m, err
		}
	}
	return m, nil
}

// addFile copies a file into the archive, recording its size and hash.
func addFile(tw *tar.Writer, m *Manifest, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: st.Size(), ModTime: st.ModTime()}); err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tw, h), f)
	if err != nil {
		return fmt.Errorf("archive %s: %w", name, err)
	}
	m.Parts = append(m.Parts, Part{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

// countRows counts every table of the public schema.
func countRows(ctx context.Context, q pgx.Tx) (map[string]int64, error) {
	rows, err := q.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	out := make(map[string]int64, len(tables))
	for _, t := range tables {
		var n int64
		if err := q.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{"public", t}.Sanitize()).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}

func migrations(ctx context.Context, q pgx.Tx) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT format('%s_%s', lpad(version::text, 4, '0'), name) FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// hidePassword moves a password out of the URL into PGPASSWORD, so that it
// does not show in the process list while pg_dump or pg_restore runs.
func hidePassword(dbURL string) (string, []string) {
	env := os.Environ()
	u, err := url.Parse(dbURL)
	if err != nil || u.User == nil {
		return dbURL, env
	}
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
		u.User = url.User(u.User.Username())
	}
	return u.String(), env
}
