package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHashPoolBound runs far more hashes than slots and measures, inside
// the hashing function itself, that never more than the pool's size ran at
// once, and that all of them did run.
func TestHashPoolBound(t *testing.T) {
	const size, n = 3, 60
	p := NewHashPool(size, 30*time.Second)
	var now, most, done atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := p.Do(context.Background(), func() {
				c := now.Add(1)
				for {
					m := most.Load()
					if c <= m || most.CompareAndSwap(m, c) {
						break
					}
				}
				// A real (cheap) hash, so the slots are held for a while.
				_, _ = HashPassword("mật khẩu", Argon2Params{Memory: 4096, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
				now.Add(-1)
				done.Add(1)
			})
			if err != nil {
				t.Errorf("Do: %v", err)
			}
		}()
	}
	wg.Wait()
	if most.Load() > size || most.Load() < 2 {
		t.Fatalf("at most %d hashes ran at once, want 2…%d", most.Load(), size)
	}
	if done.Load() != n {
		t.Fatalf("%d of %d hashes ran", done.Load(), n)
	}
	st := p.Stats()
	if st.Peak > size || st.Running != 0 || st.Queued != 0 || st.Busy != 0 {
		t.Fatalf("stats after the run: %+v", st)
	}
}

// TestHashPoolBusy holds every slot and checks that a waiter gives up after
// the pool's wait with ErrBusy and a Retry-After of at least a second, and
// that a cancelled waiter leaves the line.
func TestHashPoolBusy(t *testing.T) {
	p := NewHashPool(1, 100*time.Millisecond)
	release := make(chan struct{})
	held := make(chan struct{})
	go func() { _ = p.Do(context.Background(), func() { close(held); <-release }) }()
	<-held

	start := time.Now()
	err := p.Do(context.Background(), func() { t.Error("ran without a slot") })
	var busy *BusyError
	if !errors.As(err, &busy) || !errors.Is(err, ErrBusy) {
		t.Fatalf("Do with every slot held: %v, want *BusyError", err)
	}
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Fatalf("gave up after %s, want the 100ms wait", waited)
	}
	if busy.RetryAfter < time.Second {
		t.Fatalf("RetryAfter %s, want at least 1s", busy.RetryAfter)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Do(ctx, func() {}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	close(release)
	if err := p.Do(context.Background(), func() {}); err != nil {
		t.Fatalf("after release: %v", err)
	}
	if st := p.Stats(); st.Busy != 1 || st.Queued != 0 || st.Running != 0 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestNeedsRehash(t *testing.T) {
	old, err := HashPassword("x", Argon2Params{Memory: 64 * 1024, Time: 3, Threads: 2, KeyLen: 32, SaltLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	cur, err := HashPassword("x", DefaultArgon2)
	if err != nil {
		t.Fatal(err)
	}
	if !NeedsRehash(old, DefaultArgon2) || NeedsRehash(cur, DefaultArgon2) || !NeedsRehash("garbage", DefaultArgon2) {
		t.Fatal("NeedsRehash: want true for the 64 MiB hash and garbage, false for a current one")
	}
}
