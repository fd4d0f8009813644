package sfu

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"golang.org/x/net/ipv4"
)

// Batched writes on the media socket. A fan-out pass (upLayer.forward)
// opens the socket's batch, writes every subscriber's copy of a packet
// through pion (interceptors, SRTP, ICE) as before, and closes it: the
// datagrams pion hands the socket meanwhile are copied into the batch and
// leave in one sendmmsg when the last open pass closes, made by the
// goroutine that did the fan-out. Nothing waits on another goroutine to
// be scheduled: an earlier version queued writes to one flusher goroutine
// and, on a machine short of CPU, that goroutine waited behind hundreds
// of runnable ones (docs/performance.md).
//
// Any goroutine's write lands in the batch while a pass is open (the
// socket cannot tell whose it is): a subscriber writer's, a sender
// report. They leave with the pass, at most maxHold later: a write or a
// closing pass that finds the oldest datagram older than that sends the
// batch, and so does one that fills it.

const (
	// sendBatch is the most datagrams one sendmmsg carries: about 160
	// subscribers' copies fit in three calls.
	sendBatch = 64
	// maxHold bounds how long a datagram may wait in the batch while
	// passes overlap (nanoseconds).
	maxHold = 300_000
)

// outBatch is the send side of a batchConn.
type outBatch struct {
	w interface {
		WriteBatch([]ipv4.Message, int) (int, error)
	}
	v6   bool
	hold int64 // maxHold; tests lengthen it so a slow machine does not flush early
	// direct: w is the send socket (sendsock_linux.go), and a write
	// outside a pass goes through it at once too, in a raw system call.
	// Through the media socket each one (pion's STUN answers, DTLS,
	// RTCP: a few hundred a second at 160 subscribers) was an ordinary
	// system call, which wakes sysmon when it sleeps: sysmon then polls
	// every 20 µs for a millisecond or more, 5–7 % of the server's
	// samples in the fan-out ("Fan-out CPU, session 10").
	direct bool

	open  atomic.Int32 // passes open; changed under mu, read without it
	mu    sync.Mutex
	n     int   // datagrams waiting
	since int64 // nanotime of the oldest
	// flushed is the nanotime after the last batch was sent: what is
	// batched from then on leaves with the next one (fastSender.send's
	// departure for GCC).
	flushed int64
	msgs    [sendBatch]ipv4.Message
	addrs   [sendBatch]net.UDPAddr
	ips     [sendBatch][16]byte
	bufs    [sendBatch][maxDgram]byte
	iov     [sendBatch][1][]byte
}

// begin opens a pass: writes are batched until end.
func (o *outBatch) begin() {
	o.mu.Lock()
	o.open.Add(1)
	o.mu.Unlock()
}

// end closes a pass; the last one sends what waits. open drops to zero
// only after the send, so a write that finds it zero (and goes straight
// to the socket) cannot overtake a batch.
func (o *outBatch) end() {
	o.mu.Lock()
	if o.n > 0 && (o.open.Load() == 1 || nanotime()-o.since > o.hold) {
		o.flushLocked()
	}
	o.open.Add(-1)
	o.mu.Unlock()
}

// write batches p for to if a pass is open, or sends it at once if
// direct (err: the send's); false: write it yourself.
func (o *outBatch) write(p []byte, to netip.AddrPort) (ok bool, err error) {
	if (o.open.Load() == 0 && (!o.direct || to.Addr().Zone() != "")) || len(p) > maxDgram {
		return false, nil // a zone: the media socket's write keeps it, the batch does not
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.open.Load() == 0 {
		if !o.direct || to.Addr().Zone() != "" {
			return false, nil
		}
		// No pass open: the batch is empty (the last pass to end sent
		// it), and its first message carries p alone.
		o.setLocked(0, copy(o.bufs[0][:], p), to)
		_, err := o.w.WriteBatch(o.msgs[:1], 0)
		return true, err
	}
	o.commitLocked(copy(o.bufs[o.n][:], p), to)
	return true, nil
}

// reserve is write for a datagram made in place: if a pass is open it
// locks the batch and returns the next datagram's buffer, which the
// caller fills and passes to commit (or gives back with cancel); false:
// no pass, write it yourself. The fast write path seals each
// subscriber's copy straight into the batch: sealed in the connection's
// own buffer and copied here, each copy crossed the cache twice more,
// from 160 buffers of 2 KiB.
func (o *outBatch) reserve() ([]byte, bool) {
	if o.open.Load() == 0 {
		return nil, false
	}
	o.mu.Lock()
	if o.open.Load() == 0 {
		o.mu.Unlock()
		return nil, false
	}
	return o.bufs[o.n][:], true
}

// commit batches the first n bytes of reserve's buffer for to.
func (o *outBatch) commit(n int, to netip.AddrPort) {
	o.commitLocked(n, to)
	o.mu.Unlock()
}

// cancel gives reserve's buffer back unused.
func (o *outBatch) cancel() { o.mu.Unlock() }

// commitLocked adds the next datagram, the first n bytes of its buffer,
// for to, and sends the batch when it is full or its oldest has waited
// too long.
func (o *outBatch) commitLocked(n int, to netip.AddrPort) {
	if o.n == 0 {
		o.since = nanotime()
	}
	o.setLocked(o.n, n, to)
	o.n++
	if o.n == sendBatch || nanotime()-o.since > o.hold {
		o.flushLocked()
	}
}

// setLocked makes message i the first n bytes of its buffer, for to.
func (o *outBatch) setLocked(i, n int, to netip.AddrPort) {
	m := &o.msgs[i]
	o.iov[i][0] = o.bufs[i][:n]
	m.Buffers = o.iov[i][:]
	a := &o.addrs[i]
	if ip := to.Addr(); ip.Is4() && !o.v6 {
		*(*[4]byte)(o.ips[i][:4]) = ip.As4()
		a.IP = o.ips[i][:4]
	} else {
		o.ips[i] = ip.As16()
		a.IP = o.ips[i][:]
	}
	a.Port, a.Zone = int(to.Port()), ""
	m.Addr = a
}

// flushLocked sends the batch, a datagram the kernel refuses dropped as a
// failed single write would be.
func (o *outBatch) flushLocked() {
	for sent := 0; sent < o.n; {
		k, err := o.w.WriteBatch(o.msgs[sent:o.n], 0)
		if err != nil {
			k = max(k, 0) + 1 // skip the one that failed
		}
		sent += k
	}
	o.n = 0
	o.flushed = nanotime()
}
