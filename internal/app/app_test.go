package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/cau-gov/cau/internal/app"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/pgtest"
	"github.com/cau-gov/cau/internal/redistest"
	"github.com/cau-gov/cau/internal/store"
)

func TestServeRefusesOldSchema(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL": pgtest.NewEmptyURL(t),
		"REDIS_URL":    redistest.NewURL(t),
		"CAU_DATA_DIR": t.TempDir(),
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{})
	if !errors.Is(err, store.ErrSchemaOutdated) {
		t.Fatalf("app.New on an empty database = %v, want ErrSchemaOutdated", err)
	}
	if !strings.Contains(err.Error(), "cau migrate up") {
		t.Fatalf("error %q does not say which command fixes it", err)
	}
}
