// Package backup writes and restores one archive of a Cầu installation:
// a consistent pg_dump of the database, the encrypted blob store (document
// files and approved minutes, still encrypted under the document keys),
// and a manifest with the SHA-256 of every part and the row count of
// every table at the dump's snapshot. With a backup key the whole archive
// is sealed (AES-256-GCM in chunks, seal.go). Keys are never inside it:
// the document keys and the backup key live with the operators.
//
// Restore refuses a non-empty target, unpacks into a staging directory and
// checks every part against the manifest before it writes anything, then
// restores the database (pg_restore in one transaction), moves the blobs
// into place and verifies what it restored: row counts, the audit chain,
// and that every stored file decrypts and matches its recorded hash.
package backup

import (
	"encoding/json"
	"fmt"
	"time"
)

// Format is the archive layout version written in the manifest.
const Format = 1

// Archive member names.
const (
	manifestName = "manifest.json"
	dumpName     = "db.dump"
	blobPrefix   = "blobs/"
)

// Manifest describes an archive; it is its last member.
type Manifest struct {
	Format     int              `json:"format"`
	CreatedAt  time.Time        `json:"created_at"`
	Version    string           `json:"version"`    // the cau binary that wrote it
	Migrations []string         `json:"migrations"` // applied at the snapshot
	Rows       map[string]int64 `json:"rows"`       // table → rows at the snapshot
	Parts      []Part           `json:"parts"`
}

// Part is one member of the archive with its size and SHA-256 (hex).
type Part struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func parseManifest(b []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("%w: %s: %v", ErrCorrupt, manifestName, err)
	}
	if m.Format != Format {
		return Manifest{}, fmt.Errorf("%w: %s: format %d, this binary reads %d", ErrCorrupt, manifestName, m.Format, Format)
	}
	return m, nil
}
