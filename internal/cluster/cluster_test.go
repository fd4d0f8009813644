package cluster

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cau-gov/cau/internal/redistest"
)

type bundle struct {
	rdb *redis.Client
	key ed25519.PrivateKey
	dir *Directory
}

func setup(t *testing.T) bundle {
	t.Helper()
	opt, err := redis.ParseURL(redistest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	key := newKey(t)
	return bundle{rdb: rdb, key: key, dir: NewDirectory(rdb, key, time.Second)}
}

func newKey(t *testing.T) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestDirectory(t *testing.T) {
	ctx := context.Background()
	t.Run("register, list, expire", func(t *testing.T) {
		b := setup(t)
		if err := b.dir.Register(ctx, Node{ID: "n1", URL: "http://127.0.0.1:1", Units: []int64{10}, Load: 3}); err != nil {
			t.Fatal(err)
		}
		if err := b.dir.Register(ctx, Node{ID: "n2", URL: "http://127.0.0.1:2"}); err != nil {
			t.Fatal(err)
		}
		nodes, forged, err := b.dir.Nodes(ctx)
		if err != nil || len(forged) != 0 || len(nodes) != 2 || nodes[0].ID != "n1" || nodes[0].Load != 3 || nodes[0].Units[0] != 10 {
			t.Fatalf("nodes %+v forged %v err %v, want n1 (load 3, unit 10) and n2", nodes, forged, err)
		}
		// n2 stops beating: its record lapses after the TTL (1 s).
		deadline := time.Now().Add(5 * time.Second)
		for {
			if err := b.dir.Put(ctx, Node{ID: "n1", URL: "http://127.0.0.1:1"}); err != nil {
				t.Fatal(err)
			}
			nodes, _, _ = b.dir.Nodes(ctx)
			if len(nodes) == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("n2 still listed 5 s after its last heartbeat (TTL 1 s): %+v", nodes)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if nodes[0].ID != "n1" {
			t.Fatalf("left %+v, want n1", nodes)
		}
		// A record Redis still holds whose heartbeat is stale (a reader's
		// clock 2 s on, past the 1 s TTL) is not listed: nobody is sent there.
		late := NewDirectory(b.rdb, b.key, time.Minute) // the reader's own TTL does not matter
		late.now = func() time.Time { return time.Now().Add(2 * time.Second) }
		if nodes, _, err := late.Nodes(ctx); err != nil || len(nodes) != 0 {
			t.Fatalf("a stale heartbeat is listed: %+v %v", nodes, err)
		}
		// A reader with a shorter TTL than the writer's lists a fresh one.
		short := NewDirectory(b.rdb, b.key, 10*time.Millisecond)
		time.Sleep(50 * time.Millisecond)
		if nodes, _, err := short.Nodes(ctx); err != nil || len(nodes) != 1 {
			t.Fatalf("a heartbeat 50 ms old of a 1 s TTL is not listed by a reader whose TTL is 10 ms: %+v %v", nodes, err)
		}
		if _, err := b.dir.Get(ctx, "n2"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(n2) = %v, want ErrNotFound", err)
		}
		if n, _ := b.rdb.SIsMember(ctx, nodesKey, "n2").Result(); n {
			t.Fatal("n2 still in the set of nodes")
		}
	})
	t.Run("a forged record or a foreign key is refused", func(t *testing.T) {
		b := setup(t)
		if err := b.dir.Register(ctx, Node{ID: "n1", URL: "http://127.0.0.1:1"}); err != nil {
			t.Fatal(err)
		}
		rogue := NewDirectory(b.rdb, newKey(t), time.Minute)
		err := rogue.Register(ctx, Node{ID: "rogue", URL: "http://127.0.0.1:9"})
		if !errors.Is(err, ErrForeignKey) {
			t.Fatalf("registering with another key: %v, want ErrForeignKey", err)
		}
		// Written past the check (someone with Redis access): readers refuse it.
		if err := rogue.Put(ctx, Node{ID: "rogue", URL: "http://127.0.0.1:9"}); err != nil {
			t.Fatal(err)
		}
		b.rdb.Set(ctx, nodeKeyPrefix+"garbage", "{", time.Minute)
		b.rdb.SAdd(ctx, nodesKey, "garbage")
		nodes, forged, err := b.dir.Nodes(ctx)
		if err != nil || len(nodes) != 1 || nodes[0].ID != "n1" || len(forged) != 2 {
			t.Fatalf("nodes %+v forged %v err %v, want only n1 and two refused", nodes, forged, err)
		}
		if _, err := b.dir.Get(ctx, "rogue"); !errors.Is(err, ErrForged) {
			t.Fatalf("Get(rogue) = %v, want ErrForged", err)
		}
		// A record signed for another ID is refused too.
		raw, _ := b.rdb.Get(ctx, nodeKeyPrefix+"n1").Result()
		b.rdb.Set(ctx, nodeKeyPrefix+"n9", raw, time.Minute)
		if _, err := b.dir.Get(ctx, "n9"); !errors.Is(err, ErrForged) {
			t.Fatalf("n1's record under n9: %v, want ErrForged", err)
		}
	})
}

func TestLeases(t *testing.T) {
	ctx := context.Background()
	b := setup(t)
	l := NewLeases(b.rdb, 500*time.Millisecond)
	if h, err := l.Acquire(ctx, "meeting-1", "a"); err != nil || h != "a" {
		t.Fatalf("a acquires: %q %v", h, err)
	}
	if h, err := l.Acquire(ctx, "meeting-1", "b"); err != nil || h != "a" {
		t.Fatalf("b acquires a held lease: home %q %v, want a", h, err)
	}
	if ok, err := l.Renew(ctx, "meeting-1", "b"); err != nil || ok {
		t.Fatalf("b renews a's lease: %v %v, want false", ok, err)
	}
	if err := l.Release(ctx, "meeting-1", "b"); err != nil {
		t.Fatal(err)
	}
	if h, _ := l.Home(ctx, "meeting-1"); h != "a" {
		t.Fatalf("b released a's lease: home %q", h)
	}
	// a renews for a while past the TTL: still home.
	for range 4 {
		time.Sleep(200 * time.Millisecond)
		if ok, err := l.Renew(ctx, "meeting-1", "a"); err != nil || !ok {
			t.Fatalf("a renews: %v %v", ok, err)
		}
	}
	// a dies: the lease lapses and b takes the room.
	deadline := time.Now().Add(3 * time.Second)
	for {
		h, err := l.Acquire(ctx, "meeting-1", "b")
		if err != nil {
			t.Fatal(err)
		}
		if h == "b" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("home still %q 3 s after a stopped renewing (TTL 500 ms)", h)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := l.Release(ctx, "meeting-1", "b"); err != nil {
		t.Fatal(err)
	}
	if h, _ := l.Home(ctx, "meeting-1"); h != "" {
		t.Fatalf("home %q after release, want none", h)
	}
}

// TestLiveHome: the home a WHIP or WHEP session on another node relays to
// is a live node of the directory, or none; a lease naming a node whose
// record lapsed, or whose heartbeat is stale, is ErrHomeGone.
func TestLiveHome(t *testing.T) {
	ctx := context.Background()
	b := setup(t)
	l := NewLeases(b.rdb, 5*time.Second)
	if n, err := LiveHome(ctx, b.dir, l, "meeting-1"); err != nil || n.ID != "" {
		t.Fatalf("a room without a home: %+v %v, want none", n, err)
	}
	if err := b.dir.Register(ctx, Node{ID: "home", URL: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Acquire(ctx, "meeting-1", "home"); err != nil {
		t.Fatal(err)
	}
	if n, err := LiveHome(ctx, b.dir, l, "meeting-1"); err != nil || n.ID != "home" || n.URL != "http://127.0.0.1:1" {
		t.Fatalf("a live home: %+v %v", n, err)
	}
	// Its heartbeat is older than its TTL (1 s): gone, though Redis still
	// holds the record.
	late := NewDirectory(b.rdb, b.key, time.Second)
	late.now = func() time.Time { return time.Now().Add(2 * time.Second) }
	if _, err := LiveHome(ctx, late, l, "meeting-1"); !errors.Is(err, ErrHomeGone) {
		t.Fatalf("a home with a stale heartbeat: %v, want ErrHomeGone", err)
	}
	// Its record is gone (it died), the lease not yet lapsed.
	if err := b.dir.Remove(ctx, "home"); err != nil {
		t.Fatal(err)
	}
	if _, err := LiveHome(ctx, b.dir, l, "meeting-1"); !errors.Is(err, ErrHomeGone) {
		t.Fatalf("a home no longer in the directory: %v, want ErrHomeGone", err)
	}
}

func TestCommands(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := setup(t)
	c := NewCommands(b.rdb, slog.New(slog.DiscardHandler))
	got := make(chan Command, 4)
	for range 2 { // two nodes listen
		if err := c.Listen(ctx, func(cmd Command) { got <- cmd }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Publish(ctx, Command{Kind: CmdMute, Room: "meeting-1"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("mute without identity: %v, want ErrInvalid", err)
	}
	if _, err := c.Publish(ctx, Command{Kind: "reboot", Room: "meeting-1"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown kind: %v, want ErrInvalid", err)
	}
	b.rdb.Publish(ctx, c.channel, `{"kind":"mute","room":""}`) // refused by listeners
	n, err := c.Publish(ctx, Command{Kind: CmdMute, Room: "meeting-1", Identity: "hall-3", Muted: true})
	if err != nil || n != 2 {
		t.Fatalf("publish: %d listeners, %v; want 2", n, err)
	}
	for range 2 {
		select {
		case cmd := <-got:
			if cmd.Kind != CmdMute || cmd.Identity != "hall-3" || !cmd.Muted {
				t.Fatalf("got %+v", cmd)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a listener heard nothing in 5 s")
		}
	}
	select {
	case cmd := <-got:
		t.Fatalf("a refused command was applied: %+v", cmd)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestPlacerProbe: a node that does not answer /readyz (killed since its
// last heartbeat) is passed over; when none answers, the directory's
// choice stands.
func TestPlacerProbe(t *testing.T) {
	ctx := context.Background()
	b := setup(t)
	for _, n := range []Node{{ID: "a-district", URL: "http://127.0.0.1:1", Units: []int64{10}}, {ID: "b-spare", URL: "http://127.0.0.1:2"}} {
		if err := b.dir.Register(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	p := NewPlacer(b.dir, NewLeases(b.rdb, time.Second))
	down := map[string]bool{}
	asked := 0
	p.probe = func(_ context.Context, n Node) error {
		asked++
		if down[n.ID] {
			return errors.New("connection refused")
		}
		return nil
	}
	if n, err := p.Place(ctx, "meeting-1", []int64{100, 10}); err != nil || n.ID != "a-district" {
		t.Fatalf("placed on %q %v, want a-district", n.ID, err)
	}
	down["a-district"] = true
	p.alive = map[string]time.Time{} // its last answer forgotten: as 2 s later
	if n, err := p.Place(ctx, "meeting-1", []int64{100, 10}); err != nil || n.ID != "b-spare" {
		t.Fatalf("the district node does not answer: placed on %q %v, want b-spare", n.ID, err)
	}
	before := asked
	if n, _ := p.Place(ctx, "meeting-1", []int64{100, 10}); n.ID != "b-spare" || asked != before {
		t.Fatalf("placed on %q with %d more probes: the failure and the answer are remembered", n.ID, asked-before)
	}
	down["b-spare"] = true
	p.alive, p.dead = map[string]time.Time{}, map[string]time.Time{}
	if n, err := p.Place(ctx, "meeting-1", []int64{100, 10}); err != nil || n.ID != "a-district" {
		t.Fatalf("no node answers: placed on %q %v, want the directory's choice a-district", n.ID, err)
	}
}
