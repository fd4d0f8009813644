package sfu

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batchConn is the media socket with reads batched: one recvmmsg takes
// every datagram waiting (up to readBatch), and the UDP mux's read loop is
// handed them one by one. Every hall's packets arrive on this one socket
// and one goroutine reads it, so under load a system call per datagram
// was a large part of that goroutine's time.
//
// Writes stay one system call each, made by the goroutine that writes. A
// version that queued them for one goroutine to send with sendmmsg cut
// the system calls but, on a machine short of CPU, put that goroutine
// behind hundreds of runnable ones: the forward delay p50 went from a few
// to about 50 ms (docs/performance.md).
//
// Reads are one goroutine's (the mux's read loop), so the batch is not
// locked.
type batchConn struct {
	*net.UDPConn
	batch interface {
		ReadBatch([]ipv4.Message, int) (int, error)
	}
	msgs  []ipv4.Message
	addrs []netip.AddrPort
	n     int // datagrams in the batch
	next  int // next datagram to hand out
}

const (
	readBatch = 32
	maxDgram  = 2048
)

// newBatchConn wraps c; v6 says the socket is IPv6.
func newBatchConn(c *net.UDPConn, v6 bool) *batchConn {
	b := &batchConn{UDPConn: c, msgs: make([]ipv4.Message, readBatch), addrs: make([]netip.AddrPort, readBatch)}
	if v6 {
		b.batch = ipv6.NewPacketConn(c)
	} else {
		b.batch = ipv4.NewPacketConn(c)
	}
	for i := range b.msgs {
		b.msgs[i].Buffers = [][]byte{make([]byte, maxDgram)}
	}
	return b
}

// ReadFromAddrPort hands out the next datagram of the current batch,
// reading a new batch when it is used up.
func (b *batchConn) ReadFromAddrPort(p []byte) (int, netip.AddrPort, error) {
	for b.next >= b.n {
		n, err := b.batch.ReadBatch(b.msgs, 0)
		if err != nil {
			return 0, netip.AddrPort{}, err
		}
		for i := range n {
			if a, ok := b.msgs[i].Addr.(*net.UDPAddr); ok {
				b.addrs[i] = a.AddrPort()
			} else {
				b.addrs[i] = netip.AddrPort{}
			}
		}
		b.n, b.next = n, 0
	}
	m := &b.msgs[b.next]
	from := b.addrs[b.next]
	b.next++
	return copy(p, m.Buffers[0][:m.N]), from, nil
}

// ReadFrom is ReadFromAddrPort for callers wanting a net.Addr.
func (b *batchConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, a, err := b.ReadFromAddrPort(p)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(a), nil
}

// WriteToAddrPort writes one datagram.
func (b *batchConn) WriteToAddrPort(p []byte, to netip.AddrPort) (int, error) {
	return b.UDPConn.WriteToUDPAddrPort(p, to)
}
