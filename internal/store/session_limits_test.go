package store_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/pgtest"
	"github.com/cau-gov/cau/internal/store"
)

// fakeClock is the injected time of the sign-in tests: an hour passes in
// a call to advance, not in a sleep.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

type sessionBundle struct {
	db    *store.DB
	clock *fakeClock
	svc   *auth.Service
}

// setupSessions is the real auth service on a real database, with a
// 30-minute idle timeout, a 12-hour maximum age and the clock in hand.
func setupSessions(t *testing.T, limits auth.SessionLimits) *sessionBundle {
	t.Helper()
	db := pgtest.New(t)
	unit := seedUnit(t, db)
	params := auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
	hash, err := auth.HashPassword("mật-khẩu-đúng", params)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db.Pool, `INSERT INTO users (unit_id, username, full_name, password_hash) VALUES ($1, 'vanthu', 'Lê Thị Văn Thư', $2)`, unit, hash)
	_, priv, _ := ed25519.GenerateKey(nil)
	clock := &fakeClock{now: time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC)}
	svc, err := auth.NewService(db, auth.NewTokens(priv, 15*time.Minute, clock.Now), nil, auth.Policy{
		MaxFailures: 5, LockDuration: time.Minute, RefreshTTL: 30 * 24 * time.Hour, Session: limits,
	}, params, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return &sessionBundle{db: db, clock: clock, svc: svc}
}

func (b *sessionBundle) login(t *testing.T) auth.SignIn {
	t.Helper()
	s, err := b.svc.Login(context.Background(), "vanthu", "mật-khẩu-đúng", "127.0.0.1", "test")
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	return s
}

// liveTokens counts the user's refresh tokens neither used nor revoked.
func (b *sessionBundle) liveTokens(t *testing.T) int {
	t.Helper()
	var n int
	if err := b.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM refresh_tokens WHERE used_at IS NULL AND revoked_at IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSignInIdleAndAbsoluteExpiry: a sign-in refreshed at least every 30
// minutes lives until 12 hours after its login and no longer; one left 30
// minutes without a refresh ends; either end is refused with its own code,
// revokes the family, and a later refresh of it is plainly invalid.
func TestSignInIdleAndAbsoluteExpiry(t *testing.T) {
	ctx := context.Background()
	limits := auth.SessionLimits{Idle: 30 * time.Minute, MaxAge: 12 * time.Hour}

	t.Run("active every 29 minutes: alive until the maximum age, then session_expired", func(t *testing.T) {
		b := setupSessions(t, limits)
		start := b.clock.Now()
		s := b.login(t)
		if s.IdleTimeout != 30*time.Minute || !s.SessionEnds.Equal(start.Add(12*time.Hour)) {
			t.Fatalf("login: idle %s, ends %s; want 30m and %s", s.IdleTimeout, s.SessionEnds, start.Add(12*time.Hour))
		}
		refreshes := 0
		for {
			b.clock.advance(29 * time.Minute)
			next, err := b.svc.Refresh(ctx, s.RefreshToken, "127.0.0.1", "test")
			if err != nil {
				elapsed := b.clock.Now().Sub(start)
				if !errors.Is(err, auth.ErrSessionExpired) || elapsed < 12*time.Hour || elapsed >= 12*time.Hour+29*time.Minute {
					t.Fatalf("refresh %d at +%s: %v; want session_expired only once past 12h", refreshes+1, elapsed, err)
				}
				break
			}
			refreshes++
			// The end never moves with activity; the cookie lives until it.
			if !next.SessionEnds.Equal(start.Add(12*time.Hour)) || next.RefreshExpiresIn != start.Add(12*time.Hour).Sub(b.clock.Now()) {
				t.Fatalf("refresh %d: ends %s, refresh token lives %s", refreshes, next.SessionEnds, next.RefreshExpiresIn)
			}
			s = next
		}
		if refreshes != 24 { // 24 × 29 min = 11 h 36 min; the 25th, at 12 h 05 min, is refused
			t.Fatalf("%d refreshes succeeded, want 24", refreshes)
		}
		if _, err := b.svc.Refresh(ctx, s.RefreshToken, "127.0.0.1", "test"); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("the ended sign-in refreshed again: %v, want invalid_token", err)
		}
		if n := b.liveTokens(t); n != 0 {
			t.Fatalf("%d live refresh tokens after the end, want 0", n)
		}
		// A new login starts a new day.
		if _, err := b.svc.Refresh(ctx, b.login(t).RefreshToken, "127.0.0.1", "test"); err != nil {
			t.Fatalf("refresh after a new login: %v", err)
		}
	})

	t.Run("idle 30 minutes: session_idle; 29:59 is still active", func(t *testing.T) {
		b := setupSessions(t, limits)
		s := b.login(t)
		b.clock.advance(30*time.Minute - time.Second)
		s, err := b.svc.Refresh(ctx, s.RefreshToken, "127.0.0.1", "test")
		if err != nil {
			t.Fatalf("refresh after 29:59: %v", err)
		}
		// The idle clock restarts at each refresh, not at the login.
		b.clock.advance(30*time.Minute - time.Second)
		if s, err = b.svc.Refresh(ctx, s.RefreshToken, "127.0.0.1", "test"); err != nil {
			t.Fatalf("second refresh after 29:59: %v", err)
		}
		b.clock.advance(30 * time.Minute)
		if _, err := b.svc.Refresh(ctx, s.RefreshToken, "127.0.0.1", "test"); !errors.Is(err, auth.ErrSessionIdle) {
			t.Fatalf("refresh after 30 idle minutes: %v, want session_idle", err)
		}
		if _, err := b.svc.Refresh(ctx, s.RefreshToken, "127.0.0.1", "test"); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("second try after the idle end: %v, want invalid_token", err)
		}
		if n := b.liveTokens(t); n != 0 {
			t.Fatalf("%d live refresh tokens after the idle end, want 0", n)
		}
	})

	t.Run("limits off: only the token's own TTL", func(t *testing.T) {
		b := setupSessions(t, auth.SessionLimits{})
		s := b.login(t)
		if s.IdleTimeout != 0 || !s.SessionEnds.IsZero() {
			t.Fatalf("login without limits: idle %s, ends %s", s.IdleTimeout, s.SessionEnds)
		}
		b.clock.advance(72 * time.Hour)
		if _, err := b.svc.Refresh(ctx, s.RefreshToken, "127.0.0.1", "test"); err != nil {
			t.Fatalf("refresh after 3 days without limits: %v", err)
		}
	})
}
