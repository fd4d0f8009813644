package app

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/cluster"
	"github.com/cau-gov/cau/internal/config"
)

// TestRelayPassesOverUnreachableNode: a node a relay could not reach is
// passed over until a /readyz probe answers; it is not retried at its
// next heartbeat (which closed the working relay round it and dialled the
// dead one every heartbeat), probes wait the node TTL, then twice that
// after each failure, up to a minute, and a probe is only sent once the
// node has heartbeated since the failure.
func TestRelayPassesOverUnreachableNode(t *testing.T) {
	var mu sync.Mutex
	answer := errors.New("connection refused")
	probed := make(chan string, 10)
	m := &relays{
		a:      &App{Config: config.Config{Node: config.Node{TTL: 6 * time.Second}}},
		failed: map[string]*unreachable{},
		probe: func(_ context.Context, n cluster.Node) error {
			mu.Lock()
			defer mu.Unlock()
			probed <- n.ID
			return answer
		},
	}
	t0 := time.Now()
	passOver := func(seen, now time.Time) bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.passOver(cluster.Node{ID: "district", Seen: seen}, now)
	}
	wait := func() {
		t.Helper()
		select {
		case <-probed:
		case <-time.After(5 * time.Second):
			t.Fatal("no probe sent")
		}
		// The probe's answer is recorded under m.mu after it returns.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			m.mu.Lock()
			busy := m.failed["district"].probing
			m.mu.Unlock()
			if !busy {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the probe's answer was not recorded")
			}
		}
	}
	noProbe := func(why string) {
		t.Helper()
		select {
		case <-probed:
			t.Fatalf("a probe was sent %s", why)
		case <-time.After(20 * time.Millisecond):
		}
	}

	if passOver(t0, t0) {
		t.Fatal("a node no relay failed to reach is passed over")
	}
	m.mu.Lock()
	m.markFailed("district", t0)
	m.mu.Unlock()
	if !passOver(t0.Add(time.Second), t0.Add(time.Second)) {
		t.Fatal("a node that heartbeated a second after the failure is used again")
	}
	noProbe("before the TTL")
	if !passOver(t0.Add(-time.Second), t0.Add(7*time.Second)) {
		t.Fatal("passed over no more after the TTL")
	}
	noProbe("to a node that has not heartbeated since the failure")

	// Due: the probe is refused, and the next waits twice as long.
	if !passOver(t0.Add(6500*time.Millisecond), t0.Add(7*time.Second)) {
		t.Fatal("not passed over while its probe is out")
	}
	wait()
	m.mu.Lock()
	u := *m.failed["district"]
	m.mu.Unlock()
	if u.wait != 12*time.Second || u.ready || !u.at.After(t0) {
		t.Fatalf("after a refused probe: %+v, want wait 12s, not ready, failed anew", u)
	}
	for range 8 {
		m.mu.Lock()
		m.markFailed("district", time.Now())
		m.mu.Unlock()
	}
	m.mu.Lock()
	if w := m.failed["district"].wait; w != time.Minute {
		t.Errorf("wait after ten failures %v, want a minute at most", w)
	}
	m.failed["district"].wait = 0
	m.mu.Unlock()

	// The node answers: used again from the next heartbeat.
	mu.Lock()
	answer = nil
	mu.Unlock()
	now := time.Now().Add(time.Second)
	if !passOver(now, now) {
		t.Fatal("not passed over until its probe answers")
	}
	wait()
	if passOver(now, now) {
		t.Fatal("still passed over after its /readyz answered")
	}
	noProbe("to a node that answered")
}
