package sfu

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// blockingWriter never returns from a write until released: a subscriber
// on a stalled ICE-TCP connection.
type blockingWriter struct {
	release chan struct{}
	n       atomic.Int64
}

func (w *blockingWriter) WriteRTP(*rtp.Header, []byte) (int, error) {
	<-w.release
	w.n.Add(1)
	return 0, nil
}
func (w *blockingWriter) Write(b []byte) (int, error) { return w.WriteRTP(nil, b) }

// TestSlowSubscriberNeverStallsPublisher: one subscriber's writes block
// (its connection is ICE-TCP); the publisher's reader keeps going, the
// other subscribers (UDP, written in the reader's pass) get every packet,
// and the stuck one just loses what overflows its queue.
func TestSlowSubscriberNeverStallsPublisher(t *testing.T) {
	l, count, done := benchRoom(t, 3, false, false)
	defer done()
	subs := *l.track.subs.Load()
	stuck := &blockingWriter{release: make(chan struct{})}
	subs[0].bound.Store(&binding{w: stuck, ssrc: 1, pt: 96})
	subs[0].w.direct.Store(false)

	raw := benchPacket(t)
	const total, batch = 3 * writerQueue, writerQueue / 2
	for sent := 0; sent < total; sent += batch {
		// Feeding a batch must never wait on the stuck subscriber.
		fed := make(chan struct{})
		go func() {
			defer close(fed)
			for i := sent; i < sent+batch; i++ {
				p := newPacket()
				p.n = copy(p.buf[:], raw)
				p.buf[2], p.buf[3] = byte(i>>8), byte(i)
				l.ingest(p, l.track.owner.s.metrics)
			}
		}()
		select {
		case <-fed:
		case <-time.After(10 * time.Second):
			t.Fatal("the publisher's reader blocked behind a stuck subscriber")
		}
		// The healthy ones keep up (paced like a real publisher).
		deadline := time.After(10 * time.Second)
		for count.Load() < int64(2*(sent+batch)) {
			select {
			case <-deadline:
				t.Fatalf("healthy subscribers got %d of %d packets", count.Load(), 2*(sent+batch))
			case <-time.After(time.Millisecond):
			}
		}
	}
	if d := subs[0].dropped.Load(); d < total-writerQueue-1 {
		t.Errorf("stuck subscriber dropped %d, want about %d", d, total-writerQueue)
	}
	close(stuck.release)
}
