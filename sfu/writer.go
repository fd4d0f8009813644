package sfu

import "github.com/pion/webrtc/v4"

// writerQueue is the number of packets a subscriber's writer may have
// waiting: about 100 ms of a full room's audio plus the floor video.
// Beyond it packets for that subscriber are dropped (and NACKed back
// later if it matters); the publisher's reader never waits.
const writerQueue = 1024

type jobKind uint8

const (
	jobPacket jobKind = iota
	jobNACK
	jobKick // a target changed: let the track notice a pause at once
	jobPad
)

type job struct {
	kind jobKind
	seq  uint16 // NACKed sequence number, or padding packet count
	d    *downTrack
	l    *upLayer
	p    *packet
}

// writer is a subscriber's one sending goroutine. Writes of different
// subscribers run in parallel, so a packet's fan-out delay does not grow
// with the number of subscribers on one reader.
type writer struct {
	ch   chan job
	done chan struct{}

	// Counts not yet added to the shared metrics: adding per packet from
	// every writer would bounce the counters' cache lines between cores.
	packets, bytes int
	m              *metrics
	sample         uint32 // counts packets for delay sampling
}

// delaySample: one packet in this many has its forward delay observed.
const delaySample = 16

// sent notes a packet written, in the writer's goroutine.
func (w *writer) sent(bytes int, delay int64, m *metrics) {
	w.m = m
	w.packets++
	w.bytes += bytes
	if w.sample++; w.sample%delaySample == 0 {
		m.forwardDelay.Observe(float64(delay) / 1e9)
	}
	if w.packets >= 256 {
		w.flush()
	}
}

func (w *writer) flush() {
	if w.m != nil && w.packets > 0 {
		w.m.packetsOut.Add(float64(w.packets))
		w.m.bytesOut.Add(float64(w.bytes))
	}
	w.packets, w.bytes = 0, 0
}

func newWriter() *writer {
	w := &writer{ch: make(chan job, writerQueue), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *writer) run() {
	for {
		select {
		case j := <-w.ch:
			w.do(j)
			if len(w.ch) == 0 {
				w.flush()
			}
		case <-w.done:
			for {
				select {
				case j := <-w.ch:
					if j.p != nil {
						j.p.release()
					}
				default:
					return
				}
			}
		}
	}
}

func (w *writer) do(j job) {
	switch j.kind {
	case jobPacket:
		j.d.handle(j.l, j.p)
		j.p.release()
	case jobNACK:
		j.d.retransmit(j.seq)
	case jobKick:
		if j.d.target.Load() == nil && j.d.cur.Load() != nil {
			j.d.cur.Store(nil)
			j.d.noteLayer()
		}
	case jobPad:
		j.d.pad(int(j.seq))
	}
}

// enqueue queues p for d without blocking. A full queue drops it, and
// for video the rest of its frame too (as Galène's writer does): the
// subscriber then sees one frame lost whole, which a NACK or a key frame
// repairs, instead of packets missing at random across several frames,
// each of which its decoder would have to discard anyway.
func (d *downTrack) enqueue(l *upLayer, p *packet) {
	video := d.kind == webrtc.RTPCodecTypeVideo
	if video {
		if k := d.frameDrop.Load(); k != 0 {
			if k == dropKey(l, p) {
				if p.info.marker {
					d.frameDrop.CompareAndSwap(k, 0)
				}
				d.drop()
				return
			}
			d.frameDrop.CompareAndSwap(k, 0) // a new frame: try again
		}
	}
	p.hold()
	select {
	case d.w.ch <- job{kind: jobPacket, d: d, l: l, p: p}:
	default:
		p.release()
		if video && !p.info.marker {
			d.frameDrop.Store(dropKey(l, p))
		}
		d.drop()
	}
}

// dropKey names p's frame: its layer and RTP timestamp, never 0.
func dropKey(l *upLayer, p *packet) uint64 {
	return 1<<63 | uint64(uint8(l.index))<<32 | uint64(p.info.ts)
}

func (d *downTrack) drop() {
	d.dropped.Add(1)
	d.sub.s.metrics.dropped.Inc()
}

func (w *writer) kick(d *downTrack) {
	select {
	case w.ch <- job{kind: jobKick, d: d}:
	default:
	}
}

func (w *writer) nack(d *downTrack, seq uint16) {
	select {
	case w.ch <- job{kind: jobNACK, d: d, seq: seq}:
	default:
	}
}

func (w *writer) pad(d *downTrack, n int) {
	select {
	case w.ch <- job{kind: jobPad, d: d, seq: uint16(n)}:
	default:
	}
}

func (w *writer) close() { close(w.done) }
