package meeting

import (
	"context"
	"sync"
	"time"
)

// snapshotLoads coalesces reads of a meeting's session state. At a
// session's start 200 browsers open the live socket and read GET /session
// in the same seconds; each read is a repeatable-read transaction of six
// queries, and 400 of them at once queued on the PostgreSQL pool for 0.7 s
// each (docs/performance.md "Sign-in storm"). The state is the same for all
// of them (what each may see is filtered afterwards), so one load serves
// everyone who asked while it was not yet running.
//
// Freshness is kept: a caller never gets a load that started before it
// asked. Callers arriving while a load runs wait for the next one, which
// starts when the running one ends and serves all of them; so a burst costs
// two loads, whatever its size, and a caller that committed a change just
// before asking sees it.
type snapshotLoads struct {
	load func(context.Context, ID) (Snapshot, error)

	mu    sync.Mutex
	loads map[ID]*snapshotLoad
}

type snapshotLoad struct {
	running *snapshotFlight
	next    *snapshotFlight // asked for while running was already running
}

type snapshotFlight struct {
	done    chan struct{}
	waiters int // callers served by this load
	snap    Snapshot
	err     error
}

// snapshotLoadTimeout bounds a shared load, which no single caller's
// context may cancel.
const snapshotLoadTimeout = 30 * time.Second

func newSnapshotLoads(load func(context.Context, ID) (Snapshot, error)) *snapshotLoads {
	return &snapshotLoads{load: load, loads: map[ID]*snapshotLoad{}}
}

// get returns the state of meeting id from a load that started after the
// call. The snapshot is shared: callers must not change it (copy first).
func (c *snapshotLoads) get(ctx context.Context, id ID) (Snapshot, error) {
	c.mu.Lock()
	l := c.loads[id]
	if l == nil {
		l = &snapshotLoad{}
		c.loads[id] = l
	}
	var f *snapshotFlight
	if l.running == nil {
		f = &snapshotFlight{done: make(chan struct{})}
		l.running = f
		go c.run(id, l, f)
	} else {
		if l.next == nil {
			l.next = &snapshotFlight{done: make(chan struct{})}
		}
		f = l.next
	}
	f.waiters++
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.snap, f.err
	case <-ctx.Done():
		return Snapshot{}, ctx.Err()
	}
}

func (c *snapshotLoads) run(id ID, l *snapshotLoad, f *snapshotFlight) {
	for f != nil {
		ctx, cancel := context.WithTimeout(context.Background(), snapshotLoadTimeout)
		f.snap, f.err = c.load(ctx, id)
		cancel()
		close(f.done)
		c.mu.Lock()
		f, l.next = l.next, nil
		l.running = f
		if f == nil {
			delete(c.loads, id)
		}
		c.mu.Unlock()
	}
}
