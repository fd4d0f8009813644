package meeting

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSnapshotLoadsCoalesce: 200 callers at once cost at most two loads,
// and every caller gets a load that started after it asked (a change it
// committed before asking is in its answer).
func TestSnapshotLoadsCoalesce(t *testing.T) {
	var loads, version atomic.Int64
	gate := make(chan struct{})
	c := newSnapshotLoads(func(ctx context.Context, id ID) (Snapshot, error) {
		n := loads.Add(1)
		v := version.Load() // the state as the load sees it when it starts
		if n == 1 {
			<-gate // the first load is slow: everyone else arrives meanwhile
		}
		return Snapshot{MeetingID: id, Seq: v}, nil
	})
	first := make(chan Snapshot)
	go func() {
		s, _ := c.get(context.Background(), 7)
		first <- s
	}()
	for loads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// A change commits after the first load started; callers asking now
	// must see it.
	version.Store(1)
	const n = 200
	var wg sync.WaitGroup
	got := make([]Snapshot, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := c.get(context.Background(), 7)
			if err != nil {
				t.Error(err)
			}
			got[i] = s
		}()
	}
	// Let every caller queue behind the running load, then release it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		queued := c.loads[7] != nil && c.loads[7].next != nil && c.loads[7].next.waiters == n
		c.mu.Unlock()
		if queued || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()
	if s := <-first; s.Seq != 0 {
		t.Fatalf("first caller got seq %d, want 0", s.Seq)
	}
	for i, s := range got {
		if s.Seq != 1 || s.MeetingID != 7 {
			t.Fatalf("caller %d got %+v: a load that started before it asked", i, s)
		}
	}
	if l := loads.Load(); l != 2 {
		t.Fatalf("%d loads for 201 callers, want 2", l)
	}
	c.mu.Lock()
	left := len(c.loads)
	c.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d meetings left in the map after the burst", left)
	}
	// A cancelled caller leaves without waiting.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.get(ctx, 8); err == nil {
		t.Fatal("cancelled caller got no error")
	}
}
