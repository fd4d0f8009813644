package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/fault"
)

// errNoUser is what a store answers for an unknown username.
var errNoUser = fault.New(fault.NotFound, "not_found", "no such user")

// timingStore knows one account; every write is a no-op, so what a login
// costs is the service's own work.
type timingStore struct {
	Store
	acct Account
}

func (s *timingStore) AccountByUsername(_ context.Context, u string) (Account, error) {
	if u == s.acct.Username {
		return s.acct, nil
	}
	return Account{}, errNoUser
}

func (s *timingStore) RecordLoginFailure(context.Context, UserID, int, time.Time, audit.Entry, time.Time) (bool, error) {
	return false, nil
}

func (s *timingStore) Audit(context.Context, audit.Entry, time.Time) error { return nil }

// TestWrongPasswordTiming checks that a wrong password for an existing
// account and any password for an account that does not exist take the same
// time, with the production hashing parameters: both hash once with them.
// The runs alternate so that the machine's load falls on both alike.
func TestWrongPasswordTiming(t *testing.T) {
	hash, err := HashPassword("đúng-mật-khẩu", DefaultArgon2)
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	st := &timingStore{acct: Account{ID: 7, Username: "thuky", PasswordHash: hash, Active: true}}
	svc, err := NewService(st, NewTokens(priv, time.Minute, nil), nil, Policy{MaxFailures: 1000, HashSlots: 1},
		DefaultArgon2, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	login := func(user string) time.Duration {
		start := time.Now()
		_, err := svc.Login(context.Background(), user, "sai-mật-khẩu", "10.0.0.1", "test")
		took := time.Since(start)
		if !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("login %s: %v, want ErrInvalidCredentials", user, err)
		}
		return took
	}
	const rounds = 15
	var known, unknown []time.Duration
	for range rounds {
		known = append(known, login("thuky"))
		unknown = append(unknown, login("khong-ton-tai"))
	}
	slices.Sort(known)
	slices.Sort(unknown)
	mk, mu := known[rounds/2], unknown[rounds/2]
	ratio := float64(mk) / float64(mu)
	t.Logf("median wrong password %s, unknown account %s (ratio %.2f)", mk, mu, ratio)
	// One argon2id hash (~25 ms here) is all either path costs; without the
	// dummy hash the unknown account answered in microseconds.
	if ratio < 0.67 || ratio > 1.5 {
		t.Fatalf("wrong password %s vs unknown account %s: the difference reveals which accounts exist", mk, mu)
	}
	if mu < 5*time.Millisecond {
		t.Fatalf("unknown account answered in %s: no hash was computed", mu)
	}
}
