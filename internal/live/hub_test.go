package live_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cau-gov/cau/internal/live"
	"github.com/cau-gov/cau/internal/meeting"
	"github.com/cau-gov/cau/internal/redistest"
)

// node is a hub with its own Redis client, as on another server.
func node(t *testing.T, url string) *live.Hub {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	h := live.New(rdb, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go h.Run(ctx)
	return h
}

func recv(t *testing.T, s *live.Sub) (meeting.Event, bool) {
	t.Helper()
	select {
	case e, ok := <-s.C:
		return e, ok
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return meeting.Event{}, false
}

// TestFanOutAcrossNodes: an event published on one node reaches the
// subscribers of that meeting on both nodes, and other meetings' subscribers get nothing.
func TestFanOutAcrossNodes(t *testing.T) {
	url := redistest.NewURL(t)
	a, b := node(t, url), node(t, url)
	// Both hubs use one channel: wait until both subscriptions are active.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	opt, _ := redis.ParseURL(url)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	for {
		n, err := rdb.PubSubNumSub(ctx, a.Channel()).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n[a.Channel()] >= 2 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("hubs did not subscribe")
		case <-time.After(10 * time.Millisecond):
		}
	}
	onB := b.Subscribe(7, false)
	chairOnB := b.Subscribe(7, true)
	onA := a.Subscribe(7, false)
	other := b.Subscribe(8, true)
	a.Publish(ctx, []meeting.Event{
		{MeetingID: 7, Seq: 1, Type: meeting.EventVoteTally, Data: json.RawMessage(`{"vote_id":1}`)},
		{MeetingID: 7, Seq: 2, Type: meeting.EventItemStarted, Data: json.RawMessage(`{"item_id":3}`)},
	})
	// Everyone's channel carries every seq (Serve withholds the tally from non-organizers).
	for _, s := range []*live.Sub{onB, onA} {
		if e, _ := recv(t, s); e.Seq != 1 {
			t.Fatalf("got seq %d first, want 1", e.Seq)
		}
		if e, _ := recv(t, s); e.Seq != 2 {
			t.Fatalf("got seq %d second, want 2", e.Seq)
		}
	}
	if e, _ := recv(t, chairOnB); e.Seq != 1 || e.Type != meeting.EventVoteTally {
		t.Fatalf("chair got %+v", e)
	}
	if e, _ := recv(t, chairOnB); e.Seq != 2 {
		t.Fatalf("chair got %+v", e)
	}
	select {
	case e := <-other.C:
		t.Fatalf("another meeting's subscriber got %+v", e)
	default:
	}
}

// TestSlowSubscriberDropped: a subscriber that does not read is dropped
// (its channel closed) instead of blocking delivery to the others.
func TestSlowSubscriberDropped(t *testing.T) {
	h := node(t, redistest.NewURL(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	slow := h.Subscribe(1, false)
	fast := h.Subscribe(1, false)
	const n = 300 // more than a subscriber's buffer
	evs := make([]meeting.Event, n)
	for i := range evs {
		evs[i] = meeting.Event{MeetingID: 1, Seq: int64(i + 1), Type: meeting.EventHallMuted, Data: json.RawMessage(`{}`)}
	}
	go h.Publish(ctx, evs)
	for i := 1; i <= n; i++ {
		e, ok := recv(t, fast)
		if !ok || e.Seq != int64(i) {
			t.Fatalf("fast subscriber: event %d: %+v %v", i, e, ok)
		}
	}
	got := 0
	for range slow.C {
		got++
	}
	if got >= n {
		t.Fatalf("slow subscriber got all %d events; want it dropped", got)
	}
	h.Unsubscribe(slow) // idempotent after the drop
}
