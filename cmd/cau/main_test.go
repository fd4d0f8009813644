package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/keys"
	"github.com/cau-gov/cau/internal/pgtest"
	"github.com/cau-gov/cau/internal/redistest"
	"github.com/cau-gov/cau/internal/roomtoken"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestHelpListsEveryCommand(t *testing.T) {
	out, _, err := runCLI(t, nil, "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands() {
		if !strings.Contains(out, c.name) {
			t.Errorf("help does not mention %s", c.name)
		}
	}
	if _, _, err := runCLI(t, nil, "frobnicate"); exitCode(err) != 2 {
		t.Fatalf("unknown command: exit %d, want 2", exitCode(err))
	}
}

func TestMigrateSeedAuditAndToken(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{
		"DATABASE_URL":      pgtest.NewEmptyURL(t),
		"REDIS_URL":         redistest.NewURL(t),
		"CAU_DATA_DIR":      dir,
		"CAU_DEMO_PASSWORD": "mật-khẩu-thử",
		"CAU_PG_SERVER_URL": pgtest.ServerURL(),
	}
	if _, _, err := runCLI(t, env, "seed", "--demo"); err == nil {
		t.Fatal("seed before migrate succeeded; want the schema error")
	}
	out, _, err := runCLI(t, env, "migrate", "up")
	if err != nil || !strings.Contains(out, "applied") {
		t.Fatalf("migrate up: %q %v", out, err)
	}
	out, _, err = runCLI(t, env, "migrate", "status")
	if err != nil || strings.Contains(out, "pending") {
		t.Fatalf("migrate status: %q %v", out, err)
	}
	out, _, err = runCLI(t, env, "seed", "--demo")
	if err != nil || !strings.Contains(out, "180 units, 180 halls, 203 users") || !strings.Contains(out, "thuky") {
		t.Fatalf("seed: %q %v", out, err)
	}
	out, _, err = runCLI(t, env, "audit", "verify")
	if err != nil || !strings.Contains(out, "intact") {
		t.Fatalf("audit verify: %q %v", out, err)
	}

	out, _, err = runCLI(t, env, "token", "--room", "meeting-7", "--identity", "hall-3", "--name", "Điểm cầu xã Tà Nung", "--perms", "publish,subscribe", "--ttl", "10m")
	if err != nil {
		t.Fatal(err)
	}
	priv, err := keys.LoadEd25519(dir+"/keys/room.pem", false)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := roomtoken.NewVerifier(priv.Public().(ed25519.PublicKey)).Verify(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("token does not verify with the configured key: %v", err)
	}
	if claims.Room != "meeting-7" || claims.Identity != "hall-3" || !claims.Has("publish") || claims.Has("moderate") {
		t.Fatalf("claims %+v", claims)
	}
	if time.Until(claims.ExpiresAt.Time) > 11*time.Minute {
		t.Fatalf("ttl not applied: expires %v", claims.ExpiresAt)
	}
	if _, _, err := runCLI(t, env, "token", "--room", "r"); exitCode(err) != 2 {
		t.Fatal("token without identity must be a usage error")
	}
	if _, _, err := runCLI(t, env, "token", "--room", "r", "--identity", "i", "--perms", "fly"); err == nil {
		t.Fatal("unknown permission accepted")
	}
}
