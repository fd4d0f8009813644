package linkemu

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cau-gov/cau/internal/linkshape"
)

// pipe moves packets one way: a reader offers each packet to the line's
// model as it arrives and a writer hands it on at its delivery time. Delivery times
// never go down (the line is FIFO), so one queue in order suffices.
type pipe struct {
	from io.Reader
	to   io.Writer
	sh   *linkshape.Shaper
	q    chan packet

	packets, bytes, lost, queueDrop, delivered atomic.Int64
}

type packet struct {
	at   time.Time
	data []byte
}

// maxQueued bounds the packets in flight one way: a 250 ms queue and a
// 40 ms delay at 400 kbit/s hold ~60 full-size packets, an unlimited line
// what its delay holds.
const maxQueued = 8192

var bufs = sync.Pool{New: func() any { b := make([]byte, 65536); return &b }}

func newPipe(from io.Reader, to io.Writer, s Shape, seed uint64) *pipe {
	return &pipe{from: from, to: to, sh: linkshape.New(s, seed), q: make(chan packet, maxQueued)}
}

// run returns when reading fails (the device closed) or ctx ends.
func (p *pipe) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.write(ctx)
	}()
	defer wg.Wait()
	defer close(p.q)
	for {
		bp := bufs.Get().(*[]byte)
		n, err := p.from.Read(*bp)
		if err != nil {
			bufs.Put(bp)
			return
		}
		p.packets.Add(1)
		p.bytes.Add(int64(n))
		v := p.sh.Offer(time.Now(), n)
		switch v.Fate {
		case linkshape.Lost:
			p.lost.Add(1)
		case linkshape.QueueFull:
			p.queueDrop.Add(1)
		default:
			select {
			case p.q <- packet{at: v.At, data: (*bp)[:n]}:
				continue // the writer returns the buffer
			default:
				p.queueDrop.Add(1)
			}
		}
		bufs.Put(bp)
	}
}

func (p *pipe) write(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for pk := range p.q {
		if d := time.Until(pk.at); d > 0 {
			t.Reset(d)
			select {
			case <-t.C:
			case <-ctx.Done():
			}
		}
		if ctx.Err() == nil {
			if _, err := p.to.Write(pk.data); err == nil {
				p.delivered.Add(1)
			}
		}
		b := pk.data[:cap(pk.data)]
		bufs.Put(&b)
	}
}

func (p *pipe) counters() Counters {
	return Counters{
		Packets: p.packets.Load(), Bytes: p.bytes.Load(), Lost: p.lost.Load(),
		QueueDrop: p.queueDrop.Load(), Delivered: p.delivered.Load(),
	}
}
