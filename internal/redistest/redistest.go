// Package redistest hands each test its own Redis database number, flushed
// before use, so that test binaries running at once never share keys.
// REDIS_URL names the server (default redis://127.0.0.1:6379/0); database 0
// holds only the lease keys.
package redistest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// leaseTTL bounds how long a crashed test can keep a database number.
const leaseTTL = 10 * time.Minute

// ServerURL is the Redis server tests use.
func ServerURL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// NewURL leases a free database number (1 to the server's `databases` − 1),
// flushes it, and returns its URL. The lease ends and the database is flushed
// when the test ends. A server started by deploy/local/services.sh has 128
// databases, so many test binaries (or several worktrees) run at once.
func NewURL(t testing.TB) string {
	t.Helper()
	base, err := redis.ParseURL(ServerURL())
	if err != nil {
		t.Fatalf("redistest: REDIS_URL: %v", err)
	}
	base.DB = 0
	ctl := redis.NewClient(base)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	token := strconv.FormatInt(time.Now().UnixNano(), 36)
	dbs := databaseCount(ctx, ctl)
	for {
		for n := 1; n < dbs; n++ {
			key := fmt.Sprintf("cau:redistest:lease:%d", n)
			ok, err := ctl.SetNX(ctx, key, token, leaseTTL).Result()
			if err != nil {
				ctl.Close()
				t.Fatalf("redistest: connect to %s (set REDIS_URL, or run `make services`): %v", ServerURL(), err)
			}
			if !ok {
				continue
			}
			opts := *base
			opts.DB = n
			c := redis.NewClient(&opts)
			if err := c.FlushDB(ctx).Err(); err != nil {
				t.Fatalf("redistest: flush db %d: %v", n, err)
			}
			c.Close()
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				c := redis.NewClient(&opts)
				_ = c.FlushDB(ctx).Err()
				c.Close()
				if v, _ := ctl.Get(ctx, key).Result(); v == token {
					ctl.Del(ctx, key)
				}
				ctl.Close()
			})
			u, _ := url.Parse(ServerURL())
			u.Path = "/" + strconv.Itoa(n)
			return u.String()
		}
		select {
		case <-ctx.Done():
			ctl.Close()
			t.Fatalf("redistest: no free Redis database number in 60s")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// databaseCount is the server's number of databases (16 unless configured;
// 16 when CONFIG is not allowed).
func databaseCount(ctx context.Context, c *redis.Client) int {
	v, err := c.ConfigGet(ctx, "databases").Result()
	if err != nil {
		return 16
	}
	n, err := strconv.Atoi(v["databases"])
	if err != nil || n < 2 {
		return 16
	}
	return n
}
