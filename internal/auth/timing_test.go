package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"log/slog"
	"slices"
	"syscall"
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
	// The work each answer costs is compared as the CPU the process spent,
	// not wall time: the hash runs at nice 19 (lowprio.go), so on a busy
	// machine its wall time measures the other processes (a CI run at load
	// 12 took 164 against 97 ms). Equal work answers in equal time on the
	// idle server an attacker would time.
	login := func(user string) (cpu, wall time.Duration) {
		c0, start := processCPU(t), time.Now()
		_, err := svc.Login(context.Background(), user, "sai-mật-khẩu", "10.0.0.1", "test")
		cpu, wall = processCPU(t)-c0, time.Since(start)
		if !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("login %s: %v, want ErrInvalidCredentials", user, err)
		}
		return cpu, wall
	}
	const rounds = 15
	var known, unknown, knownWall, unknownWall []time.Duration
	for range rounds {
		c, w := login("thuky")
		known, knownWall = append(known, c), append(knownWall, w)
		c, w = login("khong-ton-tai")
		unknown, unknownWall = append(unknown, c), append(unknownWall, w)
	}
	median := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
	mk, mu := median(known), median(unknown)
	ratio := float64(mk) / float64(mu)
	t.Logf("median CPU: wrong password %s, unknown account %s (ratio %.2f); wall %s, %s", mk, mu, ratio, median(knownWall), median(unknownWall))
	// One argon2id hash (~25 ms here) is all either path costs; without the
	// dummy hash the unknown account cost microseconds.
	if ratio < 0.67 || ratio > 1.5 {
		t.Fatalf("wrong password %s vs unknown account %s of CPU: the difference reveals which accounts exist", mk, mu)
	}
	if mu < 5*time.Millisecond {
		t.Fatalf("unknown account cost %s of CPU: no hash was computed", mu)
	}
}

// processCPU is the user and system CPU time this process has used.
func processCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
