package auth

import (
	"context"
	"sync"
	"time"
)

// HashPool bounds password hashing: at most Size argon2id computations run
// at once, the others wait in line for at most Wait, then give up with
// *BusyError. Each computation holds its parameters' memory (19 MiB at
// DefaultArgon2) for its whole run, so Size bounds the memory hashing can
// take, whatever arrives: unbounded, 200 logins at 64 MiB each took the
// server to 12.5 GiB (issue 17). Waiting in line costs a goroutine and a
// request, not hashing memory.
type HashPool struct {
	slots chan struct{}
	wait  time.Duration

	mu      sync.Mutex
	queued  int           // waiting for a slot
	running int           // holding a slot
	peak    int           // most running at once since start (tests, metrics)
	avg     time.Duration // moving average of one computation, for Retry-After
	waited  time.Duration // total time spent waiting for a slot
	busy    uint64        // requests that gave up waiting
}

// NewHashPool returns a pool of size slots whose waiters give up after wait.
func NewHashPool(size int, wait time.Duration) *HashPool {
	if size < 1 {
		size = 1
	}
	return &HashPool{slots: make(chan struct{}, size), wait: wait, avg: 50 * time.Millisecond}
}

// Size is the number of hashes that may run at once.
func (p *HashPool) Size() int { return cap(p.slots) }

// BusyError is ErrBusy with how long the client should wait before trying
// again (the line ahead of it, at the measured speed of one hash).
type BusyError struct{ RetryAfter time.Duration }

func (e *BusyError) Error() string { return ErrBusy.Error() }

// Unwrap lets errors.Is(err, ErrBusy) hold.
func (e *BusyError) Unwrap() error { return ErrBusy }

// Do runs f in a slot, on a thread of the lowest scheduling priority
// (runLowPriority), waiting for a slot at most the pool's wait (or until
// ctx ends). f must be the hashing and nothing slow besides.
func (p *HashPool) Do(ctx context.Context, f func()) error {
	p.mu.Lock()
	p.queued++
	p.mu.Unlock()
	start := time.Now()
	t := time.NewTimer(p.wait)
	defer t.Stop()
	select {
	case p.slots <- struct{}{}:
	case <-t.C:
		return p.giveUp(start)
	case <-ctx.Done():
		p.mu.Lock()
		p.queued--
		p.mu.Unlock()
		return ctx.Err()
	}
	p.mu.Lock()
	p.queued--
	p.running++
	p.peak = max(p.peak, p.running)
	p.waited += time.Since(start)
	p.mu.Unlock()

	began := time.Now()
	defer func() {
		took := time.Since(began)
		p.mu.Lock()
		p.running--
		p.avg += (took - p.avg) / 8
		p.mu.Unlock()
		<-p.slots
	}()
	runLowPriority(f)
	return nil
}

func (p *HashPool) giveUp(start time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queued--
	p.busy++
	p.waited += time.Since(start)
	// Everyone in line now has to pass before a new attempt would; spread
	// the retries over that time rather than send them back at once.
	ahead := time.Duration(p.queued/cap(p.slots)+1) * p.avg
	return &BusyError{RetryAfter: max(ahead, time.Second)}
}

// HashPoolStats is a snapshot of the pool, for metrics and tests.
type HashPoolStats struct {
	Size, Running, Queued, Peak int
	Busy                        uint64
	WaitTotal                   time.Duration
	AvgHash                     time.Duration
}

// Stats returns the pool's counters now.
func (p *HashPool) Stats() HashPoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return HashPoolStats{Size: cap(p.slots), Running: p.running, Queued: p.queued, Peak: p.peak,
		Busy: p.busy, WaitTotal: p.waited, AvgHash: p.avg}
}
