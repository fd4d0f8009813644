package notify

import "sync"

// Bell tells a person's open notification streams that their notices
// changed (a new one, one read), so the header's bell re-reads the unread
// count at once instead of polling. Rings come from PostgreSQL: a trigger on
// notifications NOTIFYs at commit (migration 0010) and one listener per node
// (store.ListenNotifications) calls Ring, so every writer of notices (the
// meeting, document, minutes and task paths) rings without knowing of it and
// a rolled-back notice rings nothing.
type Bell struct {
	mu     sync.Mutex
	subs   map[int64]map[chan struct{}]struct{}
	closed bool
}

// NewBell returns a bell without listeners.
func NewBell() *Bell { return &Bell{subs: map[int64]map[chan struct{}]struct{}{}} }

// Subscribe returns a channel that receives a value when user's notices
// change (rings while one is pending fold into it) and is closed when the
// bell closes; cancel unsubscribes.
func (b *Bell) Subscribe(user int64) (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(c)
		return c, func() {}
	}
	if b.subs[user] == nil {
		b.subs[user] = map[chan struct{}]struct{}{}
	}
	b.subs[user][c] = struct{}{}
	return c, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.subs[user][c]; ok {
			delete(b.subs[user], c)
			if len(b.subs[user]) == 0 {
				delete(b.subs, user)
			}
			close(c)
		}
	}
}

// Ring wakes user's streams; it never blocks.
func (b *Bell) Ring(user int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.subs[user] {
		select {
		case c <- struct{}{}:
		default: // a ring is already pending
		}
	}
}

// RingAll wakes every stream: after the listener reconnected, rings sent
// while it was away are lost, so everyone re-reads.
func (b *Bell) RingAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, cs := range b.subs {
		for c := range cs {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	}
}

// Close ends every stream (the server is shutting down) and refuses new ones.
func (b *Bell) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	for u, cs := range b.subs {
		for c := range cs {
			close(c)
		}
		delete(b.subs, u)
	}
}
