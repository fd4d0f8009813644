package cluster

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Rooms is what the agent reads of the local SFU: its rooms and the
// participants in each.
type Rooms interface {
	RoomLoads() map[string]int
}

// HomeWatcher hears, every heartbeat, the home of each local room: this
// node, or another that the relay (sfu/relay) connects to.
type HomeWatcher interface {
	Homes(self string, homes map[string]string)
}

// Agent keeps this SFU node in the directory and its rooms' leases: every
// heartbeat it renews its record with its load and, for each local room,
// takes or renews the home lease (a room with no home, or whose home died,
// is homed here) and releases the leases of rooms that closed here.
type Agent struct {
	self    Node
	dir     *Directory
	leases  *Leases
	rooms   Rooms
	watch   HomeWatcher
	every   time.Duration
	log     *slog.Logger
	mu      sync.Mutex
	held    map[string]bool // rooms whose lease this node holds
	drained bool
	kick    chan struct{} // a heartbeat wanted now (Kick)
	done    chan struct{}
}

// NewAgent returns the agent of node self; watch may be nil.
func NewAgent(self Node, dir *Directory, leases *Leases, rooms Rooms, watch HomeWatcher, every time.Duration, log *slog.Logger) *Agent {
	return &Agent{self: self, dir: dir, leases: leases, rooms: rooms, watch: watch, every: every, log: log,
		held: map[string]bool{}, kick: make(chan struct{}, 1), done: make(chan struct{})}
}

// Start registers the node (an error if its key is not the cluster's) and
// beats until ctx ends or Leave is called.
func (a *Agent) Start(ctx context.Context) error {
	if err := a.dir.Register(ctx, a.self); err != nil {
		return err
	}
	a.log.Info("node registered", "node", a.self.ID, "url", a.self.URL, "units", a.self.Units)
	go func() {
		defer close(a.done)
		t := time.NewTicker(a.every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				a.Beat(ctx)
			case <-a.kick:
				a.Beat(ctx)
			}
		}
	}()
	return nil
}

// Beat renews the record and the leases now (the ticker calls it; tests
// call it to avoid waiting).
func (a *Agent) Beat(ctx context.Context) {
	loads := a.rooms.RoomLoads()
	a.mu.Lock()
	n := a.self
	drained := a.drained
	a.mu.Unlock()
	n.Rooms, n.Load = len(loads), 0
	for _, l := range loads {
		n.Load += l
	}
	if err := a.dir.Put(ctx, n); err != nil {
		a.log.Warn("node heartbeat", "error", err)
		return
	}
	homes := map[string]string{}
	for room := range loads {
		var home string
		var err error
		if drained {
			home, err = a.leases.Home(ctx, room)
		} else {
			home, err = a.leases.Acquire(ctx, room, n.ID)
		}
		if err != nil {
			a.log.Warn("room lease", "room", room, "error", err)
			continue
		}
		homes[room] = home
	}
	a.mu.Lock()
	for room := range a.held {
		if homes[room] != n.ID {
			delete(a.held, room)
			if _, ok := loads[room]; !ok {
				_ = a.leases.Release(ctx, room, n.ID)
			}
		}
	}
	for room, h := range homes {
		if h == n.ID {
			if !a.held[room] {
				a.log.Info("room homed here", "room", room, "node", n.ID)
			}
			a.held[room] = true
		}
	}
	a.mu.Unlock()
	if a.watch != nil {
		a.watch.Homes(n.ID, homes)
	}
}

// Kick asks for a heartbeat now, from the beating goroutine (a room new
// here: its lease or relay need not wait for the ticker). Kicks made while
// one waits are one.
func (a *Agent) Kick() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// Drain marks the node draining (the join API sends nobody here), gives
// up its leases so the rooms re-home where their participants move, and
// renews the record once so the directory knows at once.
func (a *Agent) Drain(ctx context.Context) {
	a.mu.Lock()
	a.drained = true
	a.self.Draining = true
	held := a.held
	a.held = map[string]bool{}
	self := a.self
	a.mu.Unlock()
	for room := range held {
		_ = a.leases.Release(ctx, room, self.ID)
	}
	if err := a.dir.Put(ctx, self); err != nil {
		a.log.Warn("node drain", "error", err)
	}
	a.log.Info("node draining", "node", self.ID, "rooms", len(held))
}

// Leave takes the node out of the directory (the end of a clean shutdown).
func (a *Agent) Leave(ctx context.Context) {
	a.Drain(ctx)
	if err := a.dir.Remove(ctx, a.self.ID); err != nil {
		a.log.Warn("node leave", "error", err)
	}
}

// Self is the node's record as last set (Load and Rooms not filled).
func (a *Agent) Self() Node {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.self
}
