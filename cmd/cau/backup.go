package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cau-gov/cau/internal/backup"
	"github.com/cau-gov/cau/internal/blob"
	"github.com/cau-gov/cau/internal/store"
)

func backupOptions(dataDir, databaseURL, keyFile string) (backup.Options, error) {
	o := backup.Options{DatabaseURL: databaseURL, BlobDir: filepath.Join(dataDir, "documents"), Version: version}
	if keyFile != "" {
		key, err := backup.LoadKey(keyFile)
		if err != nil {
			return o, err
		}
		o.Key = key
	}
	return o, nil
}

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", "Write one archive of this installation: a consistent pg_dump of the database, the\nencrypted blob store and a manifest with the SHA-256 of every part and the row count of\nevery table. Sealed with CAU_BACKUP_KEY_FILE when set. Keys are never inside it.", stderr)
	out := fs.String("out", "", "the archive to write (refused if it exists)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		return usageError{"backup: say --out FILE"}
	}
	cfg, _, err := loadConfig(stderr)
	if err != nil {
		return err
	}
	o, err := backupOptions(cfg.DataDir, cfg.DatabaseURL, cfg.BackupKeyFile)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	err = db.CheckSchema(ctx)
	db.Close()
	if err != nil {
		return err
	}
	// Written beside the target and renamed at the end: a cut-off run
	// never leaves a file that looks like a finished archive.
	f, err := os.OpenFile(*out+".partial", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	m, err := backup.Create(ctx, o, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if _, serr := os.Stat(*out); serr == nil {
			err = fmt.Errorf("%s exists", *out)
		} else {
			err = os.Rename(*out+".partial", *out)
		}
	}
	if err != nil {
		os.Remove(*out + ".partial")
		return fmt.Errorf("backup: %w", err)
	}
	var rows int64
	for _, n := range m.Rows {
		rows += n
	}
	sealed := "not sealed"
	if o.Key != nil {
		sealed = "sealed"
	}
	fmt.Fprintf(stdout, "backup written to %s (%s): %d parts, %d tables, %d rows, schema %d migrations\n",
		*out, sealed, len(m.Parts), len(m.Rows), rows, len(m.Migrations))
	return nil
}

func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("restore", "Restore an archive of `cau backup` into an empty database (DATABASE_URL) and an empty\ndata directory (CAU_DATA_DIR), then verify it: row counts against the manifest, the\naudit chain, and that every stored file decrypts (CAU_DOCUMENT_KEYS_FILE) and matches\nits recorded hash. A damaged archive is refused, naming the part, before anything is written.", stderr)
	in := fs.String("in", "", "the archive to restore")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || fs.NArg() != 0 {
		return usageError{"restore: say --in FILE"}
	}
	cfg, _, err := loadConfig(stderr)
	if err != nil {
		return err
	}
	o, err := backupOptions(cfg.DataDir, cfg.DatabaseURL, cfg.BackupKeyFile)
	if err != nil {
		return err
	}
	keys, err := blob.LoadKeyring(cfg.Documents.KeysFile, false)
	if err != nil {
		return fmt.Errorf("restore: the document keys (CAU_DOCUMENT_KEYS_FILE) the blobs were written under: %w", err)
	}
	f, err := os.Open(*in)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	rep, err := backup.Restore(ctx, o, keys, f)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "restored %s (written %s by cau %s): %d tables and %d rows match the manifest, %d audit rows verified, %d stored files decrypt and match\n",
		*in, rep.Manifest.CreatedAt.Format("2006-01-02 15:04 MST"), rep.Manifest.Version, rep.Tables, rep.Rows, rep.AuditRows, rep.Blobs)
	return nil
}
