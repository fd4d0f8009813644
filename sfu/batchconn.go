package sfu

import (
	"net"
	"net/netip"

	"github.com/pion/webrtc/v4"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batchConn is the media socket with reads batched: one recvmmsg takes
// every datagram waiting (up to readBatch), and the UDP mux's read loop is
// handed them one by one. Every hall's packets arrive on this one socket
// and one goroutine reads it, so under load a system call per datagram
// was a large part of that goroutine's time.
//
// Writes are one system call each, except during a fan-out pass, whose
// datagrams leave together (batchsend.go).
//
// Reads are one goroutine's (the mux's read loop), so the batch is not
// locked.
type batchConn struct {
	*net.UDPConn
	batch interface {
		ReadBatch([]ipv4.Message, int) (int, error)
	}
	// raw reads the batches on Linux (recvsock_linux.go); nil: batch.
	raw   *rawReader
	msgs  []ipv4.Message
	lens  []int
	addrs []netip.AddrPort
	n     int // datagrams in the batch
	next  int // next datagram to hand out

	out *outBatch
	// routes are the down connections whose RTCP is read here
	// (fastrtcp.go), recv the up connections whose RTP is (fastrecv.go).
	routes rtcpRoutes
	recv   recvRoutes
}

const (
	readBatch = 32
	maxDgram  = 2048
)

// newBatchConn wraps c; v6 says the socket is IPv6.
func newBatchConn(c *net.UDPConn, v6 bool) *batchConn {
	b := &batchConn{UDPConn: c, msgs: make([]ipv4.Message, readBatch), lens: make([]int, readBatch),
		addrs: make([]netip.AddrPort, readBatch), out: &outBatch{v6: v6, hold: maxHold}}
	if v6 {
		pc := ipv6.NewPacketConn(c)
		b.batch, b.out.w = pc, pc
	} else {
		pc := ipv4.NewPacketConn(c)
		b.batch, b.out.w = pc, pc
	}
	bufs := make([][]byte, readBatch)
	for i := range b.msgs {
		bufs[i] = make([]byte, maxDgram)
		b.msgs[i].Buffers = [][]byte{bufs[i]}
	}
	b.raw, _ = newRawReader(c, bufs) // on error (not Linux) x/net's ReadBatch reads
	return b
}

// readBatch reads what waits into b.msgs' buffers, their lengths into
// b.lens and their senders into b.addrs.
func (b *batchConn) readBatch() (int, error) {
	if b.raw != nil {
		return b.raw.read(b.lens, b.addrs)
	}
	n, err := b.batch.ReadBatch(b.msgs, 0)
	if err != nil {
		return 0, err
	}
	for i := range n {
		b.lens[i] = b.msgs[i].N
		if a, ok := b.msgs[i].Addr.(*net.UDPAddr); ok {
			b.addrs[i] = a.AddrPort()
		} else {
			b.addrs[i] = netip.AddrPort{}
		}
	}
	return n, nil
}

// ReadFromAddrPort hands out the next datagram of the current batch,
// reading a new batch when it is used up. RTCP from a down connection on
// the fast path (fastrtcp.go) and RTP from an up connection on the fast
// path (fastrecv.go) are handled here instead.
func (b *batchConn) ReadFromAddrPort(p []byte) (int, netip.AddrPort, error) {
	for {
		for b.next >= b.n {
			n, err := b.readBatch()
			if err != nil {
				return 0, netip.AddrPort{}, err
			}
			b.n, b.next = n, 0
		}
		dg := b.msgs[b.next].Buffers[0][:b.lens[b.next]]
		from := b.addrs[b.next]
		b.next++
		if isRTCP(dg) {
			if b.routes.take(from, dg) {
				continue
			}
		} else if isRTP(dg) && b.recv.take(from, dg) {
			continue
		}
		return copy(p, dg), from, nil
	}
}

// ReadFrom is ReadFromAddrPort for callers wanting a net.Addr.
func (b *batchConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, a, err := b.ReadFromAddrPort(p)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(a), nil
}

// WriteToAddrPort writes one datagram, or batches it during a fan-out pass.
func (b *batchConn) WriteToAddrPort(p []byte, to netip.AddrPort) (int, error) {
	if ok, err := b.out.write(p, to); ok {
		if err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return b.UDPConn.WriteToUDPAddrPort(p, to)
}

// beginSend and endSend bracket a fan-out pass (outBatch).
func (b *batchConn) beginSend() { b.out.begin() }
func (b *batchConn) endSend()   { b.out.end() }

// pairSocket is the media socket and remote address of a selected
// candidate pair when it is a host UDP pair on one of our sockets; nil
// otherwise (ICE-TCP, a relay of ours, no batched sockets).
func pairSocket(media []*batchConn, pair *webrtc.ICECandidatePair) (*batchConn, netip.AddrPort) {
	if pair == nil || pair.Local == nil || pair.Remote == nil || pair.Local.Protocol != webrtc.ICEProtocolUDP ||
		pair.Local.Typ != webrtc.ICECandidateTypeHost {
		return nil, netip.AddrPort{}
	}
	ip, err := netip.ParseAddr(pair.Remote.Address)
	if err != nil {
		return nil, netip.AddrPort{}
	}
	to := netip.AddrPortFrom(ip.Unmap(), pair.Remote.Port)
	if c := socketFor(media, pair.Local.Address, ip.Unmap().Is4()); c != nil {
		return c, to
	}
	return nil, netip.AddrPort{}
}

// socketFor is the media socket of the local candidate's address: the one
// socket when there is one (its candidate address may be a NAT 1:1
// rewrite), else the one bound to that address.
func socketFor(media []*batchConn, local string, v4 bool) *batchConn {
	if len(media) == 1 {
		if la, ok := media[0].LocalAddr().(*net.UDPAddr); ok && (la.IP.To4() != nil) == v4 {
			return media[0]
		}
		return nil
	}
	ip, err := netip.ParseAddr(local)
	if err != nil {
		return nil
	}
	for _, b := range media {
		if la, ok := b.LocalAddr().(*net.UDPAddr); ok {
			if a, ok := netip.AddrFromSlice(la.IP); ok && a.Unmap() == ip.Unmap() {
				return b
			}
		}
	}
	return nil
}
