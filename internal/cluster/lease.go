package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// homeKey is the Redis key of a room's home lease; its value is the
// home node's ID.
func homeKey(room string) string { return "cau:room:" + room + ":home" }

// renewScript renews the lease only if node still holds it.
var renewScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)

// releaseScript deletes the lease only if node holds it.
var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// Leases are the rooms' home leases: the node holding a room's lease is
// its home, the one authority on its floor, speakers and mutes while it
// renews the lease; when it stops (it died), the lease lapses after the
// TTL and another node of the room takes it.
type Leases struct {
	rdb *redis.Client
	ttl time.Duration
}

// NewLeases returns the leases in rdb, each lasting ttl unless renewed.
func NewLeases(rdb *redis.Client, ttl time.Duration) *Leases {
	return &Leases{rdb: rdb, ttl: ttl}
}

// Acquire makes node the room's home if it has none, or renews the lease
// if node holds it; it returns the home after the call.
func (l *Leases) Acquire(ctx context.Context, room, node string) (home string, err error) {
	ok, err := l.rdb.SetNX(ctx, homeKey(room), node, l.ttl).Result()
	if err != nil {
		return "", fmt.Errorf("lease of %s: %w", room, err)
	}
	if ok {
		return node, nil
	}
	home, err = l.Home(ctx, room)
	if err != nil {
		return "", err
	}
	if home == node {
		if _, err := l.Renew(ctx, room, node); err != nil {
			return "", err
		}
	}
	if home == "" { // lapsed between the two calls
		return l.Acquire(ctx, room, node)
	}
	return home, nil
}

// Renew extends node's lease of the room; false when node does not hold it.
func (l *Leases) Renew(ctx context.Context, room, node string) (bool, error) {
	n, err := renewScript.Run(ctx, l.rdb, []string{homeKey(room)}, node, l.ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("renew lease of %s: %w", room, err)
	}
	return n == 1, nil
}

// Release gives the lease up if node holds it (the room closed there, or
// the node drains).
func (l *Leases) Release(ctx context.Context, room, node string) error {
	if err := releaseScript.Run(ctx, l.rdb, []string{homeKey(room)}, node).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("release lease of %s: %w", room, err)
	}
	return nil
}

// Home returns the room's home node, "" when it has none.
func (l *Leases) Home(ctx context.Context, room string) (string, error) {
	h, err := l.rdb.Get(ctx, homeKey(room)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("home of %s: %w", room, err)
	}
	return h, nil
}

// LiveHome returns the room's home node as the directory knows it: ""
// when the room has no home, ErrHomeGone when its lease names a node
// whose record lapsed or whose heartbeat is stale (it died and the lease
// has not lapsed yet), ErrForged for a record not signed with the
// cluster's key.
func LiveHome(ctx context.Context, dir *Directory, l *Leases, room string) (Node, error) {
	home, err := l.Home(ctx, room)
	if err != nil || home == "" {
		return Node{}, err
	}
	n, err := dir.Get(ctx, home)
	if errors.Is(err, ErrNotFound) {
		return Node{}, fmt.Errorf("%w: %s (room %s)", ErrHomeGone, home, room)
	}
	if err != nil {
		return Node{}, err
	}
	if n.stale(dir) {
		return Node{}, fmt.Errorf("%w: %s (room %s; last heartbeat %s)", ErrHomeGone, home, room, n.Seen.Format(time.RFC3339))
	}
	return n, nil
}
