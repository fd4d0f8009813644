package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisLimiter is a fixed-window counter in Redis: INCR a key named by the
// window, expire it with the window. Shared by every node, so a client
// cannot multiply its attempts by spreading them over servers.
type RedisLimiter struct {
	rdb    *redis.Client
	prefix string
	now    func() time.Time
}

// NewRedisLimiter returns a limiter whose keys start with "cau:rl:".
func NewRedisLimiter(rdb *redis.Client, now func() time.Time) *RedisLimiter {
	if now == nil {
		now = time.Now
	}
	return &RedisLimiter{rdb: rdb, prefix: "cau:rl:", now: now}
}

// Allow implements Limiter.
func (l *RedisLimiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	now := l.now()
	slot := now.UnixNano() / int64(window)
	k := fmt.Sprintf("%s%s:%d", l.prefix, key, slot)
	pipe := l.rdb.TxPipeline()
	incr := pipe.Incr(ctx, k)
	pipe.Expire(ctx, k, window+time.Second)
	if _, err := pipe.Exec(ctx); err != nil {
		return true, 0, fmt.Errorf("rate limit %s: %w", key, err)
	}
	if incr.Val() > int64(limit) {
		reset := time.Unix(0, (slot+1)*int64(window))
		return false, reset.Sub(now), nil
	}
	return true, 0, nil
}

// Peek implements Limiter.
func (l *RedisLimiter) Peek(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	now := l.now()
	slot := now.UnixNano() / int64(window)
	n, err := l.rdb.Get(ctx, fmt.Sprintf("%s%s:%d", l.prefix, key, slot)).Int64()
	if errors.Is(err, redis.Nil) {
		return true, 0, nil
	}
	if err != nil {
		return true, 0, fmt.Errorf("rate limit %s: %w", key, err)
	}
	if n >= int64(limit) {
		reset := time.Unix(0, (slot+1)*int64(window))
		return false, reset.Sub(now), nil
	}
	return true, 0, nil
}
