package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cau-gov/cau/internal/blob"
	"github.com/cau-gov/cau/internal/config"
)

func TestKeysCreatesEveryProductionKeyOnce(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"CAU_ENV":                config.EnvProduction,
		"CAU_DATA_DIR":           filepath.Join(dir, "data"),
		"CAU_ACCESS_KEY_FILE":    filepath.Join(dir, "keys", "access.pem"),
		"CAU_ROOM_KEY_FILE":      filepath.Join(dir, "keys", "room.pem"),
		"CAU_DOCUMENT_KEYS_FILE": filepath.Join(dir, "keys", "documents.keys"),
		"CAU_NODE_KEY_FILE":      filepath.Join(dir, "keys", "node.pem"),
	}
	out, _, err := runCLI(t, env, "keys")
	if err != nil || strings.Count(out, "created ") != 4 {
		t.Fatalf("first cau keys: %q %v; want four files created", out, err)
	}
	doc := env["CAU_DOCUMENT_KEYS_FILE"]
	before, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(doc); st.Mode().Perm() != 0o600 {
		t.Errorf("documents.keys mode %v, want 0600", st.Mode().Perm())
	}
	if _, err := blob.LoadKeyring(doc, false); err != nil {
		t.Fatalf("documents.keys does not load: %v", err)
	}
	// Production's validation now passes: every file it demands exists.
	if _, err := config.FromEnv(); err != nil {
		t.Fatalf("production configuration after cau keys: %v", err)
	}
	out, _, err = runCLI(t, env, "keys")
	if err != nil || strings.Count(out, "kept existing ") != 4 {
		t.Fatalf("second cau keys: %q %v; want four files kept", out, err)
	}
	if after, _ := os.ReadFile(doc); string(after) != string(before) {
		t.Fatal("second cau keys rewrote documents.keys")
	}
}
