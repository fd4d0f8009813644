// Package live carries a meeting's session events to the browsers: every
// node publishes committed events on one Redis pub/sub channel and every
// node (itself included) delivers them to its own WebSockets, so a browser
// sees the same events whichever node it is connected to. Events are
// already persisted when published; a browser that misses some (a slow
// socket dropped, a Redis hiccup) reconnects with its last seq and reads
// the gap from PostgreSQL.
package live

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cau-gov/cau/internal/meeting"
)

// ChannelPrefix names the Redis pub/sub channel of session events; the
// database number follows ("cau:live:events:db3"): pub/sub ignores
// database numbers, and two deployments (or test servers) sharing one Redis
// on different databases must not hear each other.
const ChannelPrefix = "cau:live:events:db"

// subBuffer is how many events a socket may lag behind before it is
// dropped; a browser that slow reconnects and catches up from the log.
const subBuffer = 256

// Hub fans events out to this node's subscribers.
type Hub struct {
	rdb     *redis.Client
	log     *slog.Logger
	channel string

	mu   sync.Mutex
	subs map[meeting.ID]map[*Sub]struct{}
	// done closes when Run returns: sockets close with the hub.
	done chan struct{}
}

// New builds a hub; Run must be running for subscribers to get events.
func New(rdb *redis.Client, log *slog.Logger) *Hub {
	return &Hub{rdb: rdb, log: log, channel: fmt.Sprint(ChannelPrefix, rdb.Options().DB),
		subs: map[meeting.ID]map[*Sub]struct{}{}, done: make(chan struct{})}
}

// Channel is the Redis pub/sub channel this hub publishes and listens on.
func (h *Hub) Channel() string { return h.channel }

// Sub is one socket's subscription to a meeting.
type Sub struct {
	// C delivers events in order; it is closed when the subscriber is
	// dropped for lagging (or unsubscribed).
	C         chan meeting.Event
	meeting   meeting.ID
	organizer bool
	closed    bool
}

// Subscribe registers a subscriber to a meeting's events. Organizers also
// receive organizer-only events.
func (h *Hub) Subscribe(id meeting.ID, organizer bool) *Sub {
	s := &Sub{C: make(chan meeting.Event, subBuffer), meeting: id, organizer: organizer}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[id] == nil {
		h.subs[id] = map[*Sub]struct{}{}
	}
	h.subs[id][s] = struct{}{}
	return s
}

// Unsubscribe removes s and closes its channel (idempotent).
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(s)
}

func (h *Hub) removeLocked(s *Sub) {
	if s.closed {
		return
	}
	s.closed = true
	close(s.C)
	delete(h.subs[s.meeting], s)
	if len(h.subs[s.meeting]) == 0 {
		delete(h.subs, s.meeting)
	}
}

// Publish implements meeting.Publisher: it sends committed events to every
// node. A failure is logged: the events are in PostgreSQL, and browsers
// catch up on reconnect.
func (h *Hub) Publish(ctx context.Context, evs []meeting.Event) {
	for _, e := range evs {
		b, err := json.Marshal(e)
		if err != nil {
			h.log.ErrorContext(ctx, "encode event", "error", err)
			continue
		}
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		err = h.rdb.Publish(pctx, h.channel, b).Err()
		cancel()
		if err != nil {
			h.log.WarnContext(ctx, "publish session event", "meeting_id", e.MeetingID, "seq", e.Seq, "error", err)
		}
	}
}

// Run receives events from Redis and delivers them until ctx ends.
func (h *Hub) Run(ctx context.Context) {
	defer close(h.done)
	ps := h.rdb.Subscribe(ctx, h.channel)
	defer ps.Close()
	ch := ps.Channel(redis.WithChannelSize(1024))
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			var e meeting.Event
			if err := json.Unmarshal([]byte(m.Payload), &e); err != nil {
				h.log.Warn("bad session event on Redis", "error", err)
				continue
			}
			h.deliver(e)
		}
	}
}

// Ready waits until the subscription is active (tests and start-up).
func (h *Hub) Ready(ctx context.Context) error {
	// A PUBSUB NUMSUB count above zero means some node listens; for a
	// single node that is this one.
	for {
		n, err := h.rdb.PubSubNumSub(ctx, h.channel).Result()
		if err == nil && n[h.channel] > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// deliver hands e to the meeting's subscribers without blocking: a full
// buffer drops that subscriber. Organizer-only events reach every
// subscriber too, so each sees the seq sequence without gaps; Serve does
// not send them to the others.
func (h *Hub) deliver(e meeting.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[e.MeetingID] {
		select {
		case s.C <- e:
		default:
			h.log.Warn("dropping slow live subscriber", "meeting_id", e.MeetingID)
			h.removeLocked(s)
		}
	}
}
