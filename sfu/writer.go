package sfu

import (
	"sync"
	"sync/atomic"

	"github.com/pion/webrtc/v4"
)

// writerQueue is the number of packets a subscriber's writer may have
// waiting: about 100 ms of a full room's audio plus the floor video.
// Beyond it packets for that subscriber are dropped (and NACKed back
// later if it matters); the publisher's reader never waits.
const writerQueue = 1024

type jobKind uint8

const (
	jobPacket jobKind = iota
	jobNACK
	jobKick // a target changed, or the connection came up: act on it at once
	jobPad
)

type job struct {
	kind jobKind
	seq  uint16 // NACKed sequence number, or padding packet count
	d    *downTrack
	l    *upLayer
	p    *packet
}

// writer is a subscriber's sending goroutine, for what cannot be written
// at once. A publisher's reader writes each packet to every subscriber in
// one pass (send), on its own goroutine, when that subscriber has nothing
// queued and no write in progress; otherwise the packet goes to the
// subscriber's queue, so a slow or busy subscriber never stalls the
// publisher. NACK answers and padding always go through the queue.
//
// mu is held by whoever writes for the subscriber (its goroutine or a
// reader's pass): the rewriting state of its down tracks has one owner at
// a time. pending counts jobs queued and not yet done: a pass writes
// only when it is zero, so a packet never overtakes one queued before it.
type writer struct {
	ch      chan job
	done    chan struct{}
	mu      sync.Mutex
	pending atomic.Int32
	media   []*batchConn // the sockets whose writes the goroutine batches
	// direct: the subscriber's down connection runs over UDP, whose
	// writes never wait on the subscriber. Over ICE-TCP a write can block
	// on a stalled connection, so only the writer's goroutine makes it.
	direct atomic.Bool

	// fast is the down connection's fast write path (nil: pion's), and
	// twcc the connection's next transport-wide sequence number, which
	// the down tracks write under mu (downTrack.transportSeq).
	fast        *fastSender
	twcc        uint16
	fastFlushed uint64 // fast.fast when last added to the metrics
	// now is the clock reading (nanotime) of the writes being made under
	// mu, taken once for them by whoever took mu: a fan-out pass, once
	// per incoming packet for all its subscribers (whose datagrams leave
	// together in a few sendmmsg), or the goroutine, once per queued job.
	// The down tracks' timestamp rewriting, GCC's departure, the stats
	// and the sender reports all use it; before, each forwarded packet
	// read the clock three times. Not once per drain of the queue: a
	// backlog drained under one reading would rewrite a layer switch's
	// timestamps as if no time had passed (seqMap.start).
	now       int64
	flushedAt int64 // nanotime the counts were last added
	// redBuf holds a RED payload renumbered for a subscriber, under mu
	// (downTrack.redPayload).
	redBuf []byte

	// Counts not yet added to the shared metrics: adding per packet from
	// every writer would bounce the counters' cache lines between cores.
	packets, bytes int
	m              *metrics
	sample         uint32 // counts packets for delay sampling
}

// delaySample: one packet in this many has its forward delay observed.
const delaySample = 16

// sent notes a packet written at now (nanotime) that arrived at
// arrival, by whoever holds mu. The counts reach the metrics every 256
// packets or every second.
func (w *writer) sent(bytes int, now, arrival int64, m *metrics) {
	w.m = m
	w.packets++
	w.bytes += bytes
	if arrival != 0 { // 0: a copy from the cache, whose wait is not the forward's
		if w.sample++; w.sample%delaySample == 0 {
			m.forwardDelay.Observe(float64(now-arrival) / 1e9)
		}
	}
	if w.packets >= 256 || now-w.flushedAt > 1e9 {
		w.flushedAt = now
		w.flush()
	}
}

func (w *writer) flush() {
	if w.m != nil && w.packets > 0 {
		w.m.packetsOut.Add(float64(w.packets))
		w.m.bytesOut.Add(float64(w.bytes))
		if w.fast != nil {
			n := w.fast.fast.Load()
			w.m.fastOut.Add(float64(n - w.fastFlushed))
			w.fastFlushed = n
		}
	}
	w.packets, w.bytes = 0, 0
}

func newWriter(media []*batchConn) *writer {
	w := &writer{ch: make(chan job, writerQueue), done: make(chan struct{}), media: media}
	go w.run()
	return w
}

// run does the queued jobs: all that wait, in one batch of writes.
func (w *writer) run() {
	for {
		select {
		case j := <-w.ch:
			w.mu.Lock()
			beginSend(w.media)
			w.now = nanotime()
			w.do(j)
			w.pending.Add(-1)
			for more := true; more; {
				select {
				case j := <-w.ch:
					w.now = nanotime()
					w.do(j)
					w.pending.Add(-1)
				default:
					more = false
				}
			}
			endSend(w.media)
			w.flush()
			w.mu.Unlock()
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
		j.d.startFromCache()
	case jobPad:
		j.d.pad(int(j.seq))
	}
}

// send writes p to d at once if d's writer is idle, else queues it; now
// is the pass's clock reading (writer.now).
func (d *downTrack) send(l *upLayer, p *packet, now int64) {
	w := d.w
	if d.dropping(l, p) {
		return
	}
	if w.direct.Load() && w.pending.Load() == 0 && !d.sub.s.cfg.QueuedWrites && w.mu.TryLock() {
		if w.pending.Load() == 0 {
			w.now = now
			d.handle(l, p)
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
	}
	d.enqueue(l, p)
}

// dropping says whether p belongs to a video frame whose start d's full
// queue dropped (see enqueue), and counts it dropped if so.
func (d *downTrack) dropping(l *upLayer, p *packet) bool {
	k := d.frameDrop.Load()
	if k == 0 {
		return false
	}
	if k != dropKey(l, p) {
		d.frameDrop.CompareAndSwap(k, 0) // a new frame: try again
		return false
	}
	if p.info.marker {
		d.frameDrop.CompareAndSwap(k, 0)
	}
	d.drop()
	return true
}

// enqueue queues p for d without blocking. A full queue drops it, and
// for video the rest of its frame too (as Galène's writer does): the
// subscriber then sees one frame lost whole, which a NACK or a key frame
// repairs, instead of packets missing at random across several frames,
// each of which its decoder would have to discard anyway.
func (d *downTrack) enqueue(l *upLayer, p *packet) {
	p.hold()
	d.w.pending.Add(1)
	select {
	case d.w.ch <- job{kind: jobPacket, d: d, l: l, p: p}:
	default:
		d.w.pending.Add(-1)
		p.release()
		if d.kind == webrtc.RTPCodecTypeVideo && !p.info.marker {
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

func (w *writer) kick(d *downTrack) { w.queue(job{kind: jobKick, d: d}) }

func (w *writer) nack(d *downTrack, seq uint16) { w.queue(job{kind: jobNACK, d: d, seq: seq}) }

func (w *writer) pad(d *downTrack, n int) { w.queue(job{kind: jobPad, d: d, seq: uint16(n)}) }

// queue adds j without blocking; a full queue drops it.
func (w *writer) queue(j job) {
	w.pending.Add(1)
	select {
	case w.ch <- j:
	default:
		w.pending.Add(-1)
	}
}

// beginSend and endSend bracket a pass of writes on the media sockets
// (batchsend.go); without batched sockets (vnet) they do nothing.
func beginSend(media []*batchConn) {
	for _, b := range media {
		b.beginSend()
	}
}

func endSend(media []*batchConn) {
	for _, b := range media {
		b.endSend()
	}
}

func (w *writer) close() { close(w.done) }
