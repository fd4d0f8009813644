package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/config"
)

// loginFrom posts a login with an X-Forwarded-For header (ignored unless the
// test trusts loopback as a proxy) and returns status, error code and headers.
func loginFrom(t *testing.T, env *apptest.Env, forwardedFor, user, password string) (int, string, http.Header) {
	t.Helper()
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, user, password)
	req, _ := http.NewRequest("POST", env.URL+"/api/v1/auth/login", bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	resp, err := env.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	code := ""
	if resp.StatusCode != http.StatusOK {
		code = errorCode(t, b)
	}
	return resp.StatusCode, code, resp.Header
}

// TestLoginLimitsOfficeAndGuesser: an office behind one address signs in
// many distinct accounts (more than the address's limit) and every one
// passes; failures from an address are limited after the configured count,
// whichever accounts they try; the per-account lockout is as before.
func TestLoginLimitsOfficeAndGuesser(t *testing.T) {
	const perIP = 5
	b := setupAuth(t, func(c *config.Config) {
		c.Login.PerIPPerMinute = perIP
		c.Login.MaxFailures = 3
		c.HTTP.TrustedProxies = []string{"127.0.0.1/32", "::1/128"}
	})
	env := b.env
	const office = 3 * perIP
	for i := range office {
		env.User(t, b.province, fmt.Sprintf("canbo%d", i), "mật-khẩu-đúng")
	}

	t.Run("distinct successes from one address pass", func(t *testing.T) {
		var wg sync.WaitGroup
		statuses := make([]int, office)
		for i := range office {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i], _, _ = loginFrom(t, env, "203.0.113.10", fmt.Sprintf("canbo%d", i), "mật-khẩu-đúng")
			}()
		}
		wg.Wait()
		for i, s := range statuses {
			if s != http.StatusOK {
				t.Fatalf("canbo%d from the office's address: %d, want 200 (statuses %v)", i, s, statuses)
			}
		}
	})

	t.Run("repeated failures from one address are limited", func(t *testing.T) {
		for i := range perIP {
			if s, code, _ := loginFrom(t, env, "198.51.100.7", fmt.Sprintf("canbo%d", i), "sai"); s != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d %s, want 401", i+1, s, code)
			}
		}
		s, code, h := loginFrom(t, env, "198.51.100.7", "canbo9", "mật-khẩu-đúng")
		if s != http.StatusTooManyRequests || code != "rate_limited" {
			t.Fatalf("after %d failures, even a right password: %d %s, want 429 rate_limited", perIP, s, code)
		}
		if secs, err := strconv.Atoi(h.Get("Retry-After")); err != nil || secs < 1 || secs > 60 {
			t.Fatalf("Retry-After %q", h.Get("Retry-After"))
		}
		// Another client behind the same trusted proxy is not the guesser.
		if s, code, _ := loginFrom(t, env, "203.0.113.11", "canbo9", "mật-khẩu-đúng"); s != http.StatusOK {
			t.Fatalf("another forwarded client: %d %s, want 200", s, code)
		}
		// The guesser cannot pass for someone else by writing the header
		// itself: the proxy appends the real address and that one counts.
		if s, code, _ := loginFrom(t, env, "203.0.113.11, 198.51.100.7", "canbo9", "mật-khẩu-đúng"); s != http.StatusTooManyRequests {
			t.Fatalf("forged left part of X-Forwarded-For: %d %s, want 429", s, code)
		}
	})

	t.Run("per-account lockout unchanged", func(t *testing.T) {
		for i := range 3 {
			if s, _, _ := loginFrom(t, env, fmt.Sprintf("192.0.2.%d", i+1), "canbo14", "sai"); s != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d", i+1, s)
			}
		}
		if s, code, _ := loginFrom(t, env, "192.0.2.99", "canbo14", "mật-khẩu-đúng"); s != http.StatusLocked || code != "account_locked" {
			t.Fatalf("after 3 failures from 3 addresses: %d %s, want 423 account_locked", s, code)
		}
	})
}

// TestLoginBusy holds the only hashing slot and checks that a login waits
// the configured time, then gets 503 busy with Retry-After; once the slot
// is free the same login passes.
func TestLoginBusy(t *testing.T) {
	b := setupAuth(t, func(c *config.Config) {
		c.Login.HashSlots = 1
		c.Login.HashWait = 200 * time.Millisecond
	})
	env := b.env
	release, held := make(chan struct{}), make(chan struct{})
	go func() {
		_ = env.App.Auth.HashPool().Do(context.Background(), func() { close(held); <-release })
	}()
	<-held
	start := time.Now()
	s, code, h := loginFrom(t, env, "", "thuky", "mật-khẩu-đúng")
	if s != http.StatusServiceUnavailable || code != "busy" {
		t.Fatalf("login with every hashing slot taken: %d %s, want 503 busy", s, code)
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Fatalf("answered after %s, before the 200ms wait", took)
	}
	if secs, err := strconv.Atoi(h.Get("Retry-After")); err != nil || secs < 1 {
		t.Fatalf("Retry-After %q, want whole seconds ≥ 1", h.Get("Retry-After"))
	}
	close(release)
	if s, code, _ := loginFrom(t, env, "", "thuky", "mật-khẩu-đúng"); s != http.StatusOK {
		t.Fatalf("after the slot is free: %d %s", s, code)
	}
	if st := env.App.Auth.HashPool().Stats(); st.Busy != 1 || st.Peak != 1 {
		t.Fatalf("pool stats %+v, want one busy answer and never more than one hash at once", st)
	}
}

// TestLoginUpgradesHash: a hash made with other parameters is replaced by
// one with the current parameters at the next successful login, and the
// password still works.
func TestLoginUpgradesHash(t *testing.T) {
	b := setupAuth(t)
	env := b.env
	old, err := auth.HashPassword("mật-khẩu-cũ-64", auth.Argon2Params{Memory: 2048, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := env.App.DB.Pool.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, b.userID, old); err != nil {
		t.Fatal(err)
	}
	env.Login(t, "thuky", "mật-khẩu-cũ-64")
	var now string
	if err := env.App.DB.Pool.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, b.userID).Scan(&now); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("m=%d,t=%d,p=%d", apptest.CheapArgon2.Memory, apptest.CheapArgon2.Time, apptest.CheapArgon2.Threads)
	if now == old || !strings.Contains(now, want) {
		t.Fatalf("hash after login %q, want one with %s", now, want)
	}
	env.Login(t, "thuky", "mật-khẩu-cũ-64")
}
