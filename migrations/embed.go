// Package migrations embeds Cầu's numbered SQL migrations. Files are named
// NNNN_name.up.sql; a merged migration is never edited, only followed by a
// new one. The runner lives in internal/store.
package migrations

import "embed"

// FS holds every *.sql file of this directory.
//
//go:embed *.sql
var FS embed.FS
