// Package pgtest gives each test its own freshly migrated PostgreSQL
// database, cloned from a template so that a test pays milliseconds, not a
// full migration. DATABASE_URL names the server (default: local trust auth);
// the databases it creates are dropped in t.Cleanup.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/store"
)

// templateLockKey serialises template creation across test binaries.
const templateLockKey int64 = 0x63617574706c

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// ServerURL is the PostgreSQL server tests use: CAU_PG_SERVER_URL (set by
// deploy/local/services.sh), else DATABASE_URL, else the local default.
func ServerURL() string {
	if u := os.Getenv("CAU_PG_SERVER_URL"); u != "" {
		return u
	}
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// withDatabase returns base with its database name replaced.
func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	return u.String()
}

// New returns a store on a new database holding every migration.
func New(t testing.TB) *store.DB {
	t.Helper()
	url := NewURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatalf("pgtest: open test database: %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

// NewURL creates a migrated database and returns its URL; it is dropped
// when the test ends (after cleanups registered later, such as pool closes).
func NewURL(t testing.TB) string {
	t.Helper()
	tmpl := template(t)
	name := "cau_test_" + randomSuffix()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin := adminConn(ctx, t)
	defer admin.Close(ctx)
	// CREATE DATABASE … TEMPLATE fails while another session is connected to
	// the template; template connections are short, so retry briefly.
	var err error
	for i := 0; i < 50; i++ {
		_, err = admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", pgx.Identifier{name}.Sanitize(), pgx.Identifier{tmpl}.Sanitize()))
		if err == nil || !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() { drop(name) })
	return withDatabase(ServerURL(), name)
}

// NewEmptyURL creates an empty database (no migrations) and returns its URL.
func NewEmptyURL(t testing.TB) string {
	t.Helper()
	name := "cau_test_" + randomSuffix()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := adminConn(ctx, t)
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() { drop(name) })
	return withDatabase(ServerURL(), name)
}

func drop(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

func adminConn(ctx context.Context, t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		t.Fatalf("pgtest: connect to %s (set DATABASE_URL, or run `make services`): %v", redact(ServerURL()), err)
	}
	return conn
}

// template returns the name of a database holding every migration, named by
// a hash of the migrations so that a changed migration gets a new template.
func template(t testing.TB) string {
	t.Helper()
	templateOnce.Do(func() { templateName, templateErr = makeTemplate() })
	if templateErr != nil {
		t.Fatalf("pgtest: %v", templateErr)
	}
	return templateName
}

func makeTemplate() (string, error) {
	ms, err := store.Migrations()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		fmt.Fprintf(h, "%d %s\n%s\n", m.Version, m.Name, m.SQL)
	}
	name := "cau_tmpl_" + hex.EncodeToString(h.Sum(nil))[:16]

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return "", fmt.Errorf("connect to %s (set DATABASE_URL, or run `make services`): %w", redact(ServerURL()), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", templateLockKey); err != nil {
		return "", fmt.Errorf("lock template: %w", err)
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", templateLockKey) //nolint:errcheck

	var ready bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", name).Scan(&ready)
	if err != nil {
		return "", fmt.Errorf("look for template: %w", err)
	}
	if ready {
		return name, nil
	}
	// Templates of older migration sets are dead weight: in CI, drop the
	// ones no session is using. Not on a developer's machine, where several
	// working trees with different migrations may be testing at once.
	if os.Getenv("CI") == "" {
		return finishTemplate(ctx, conn, name)
	}
	if rows, err := conn.Query(ctx, `SELECT datname FROM pg_database d WHERE datname LIKE 'cau\_tmpl\_%' AND datname <> $1
		AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`, name); err == nil {
		stale, _ := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, db := range stale {
			_, _ = conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{db}.Sanitize()+" WITH is_template false")
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize())
		}
	}
	return finishTemplate(ctx, conn, name)
}

// finishTemplate creates and migrates the template database name.
func finishTemplate(ctx context.Context, conn *pgx.Conn, name string) (string, error) {
	// A template left half-made by a killed run is rebuilt.
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return "", fmt.Errorf("drop stale template: %w", err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	db, err := store.Open(ctx, withDatabase(ServerURL(), name))
	if err != nil {
		return "", err
	}
	_, err = db.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)))
	db.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH is_template true"); err != nil {
		return "", fmt.Errorf("mark template: %w", err)
	}
	return name, nil
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "DATABASE_URL"
	}
	return u.Redacted()
}
