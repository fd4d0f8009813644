package loadtest

import (
	"net"
	"sync"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// The forward delay on the wire. The report's delay_ms_* run from a
// publisher's send stamp to the subscriber's read of the packet, which
// comes after the generator's own pion (SRTP, interceptors, a goroutine
// per track) and, on a machine the generator shares with the server, after
// its scheduling: at 160 halls on two cores most of the p99 is the
// generator's. A WireNet's sockets note when each RTP packet reached the
// socket (the kernel's receive time, SO_TIMESTAMPNS, where the platform
// gives it: arrival_linux.go), by SSRC and sequence number (both in the clear in SRTP), and
// the track's reader takes its delay from that: publisher's stamp to the
// datagram's arrival at the hall, the server's part and loopback's.

// wireSlots is how many packets a hall's WireClock remembers: seconds of
// a hall's received packets, so its readers always find theirs.
const wireSlots = 4096

// clockStripes is how many locks share a clock's slots: the send clock
// is written by every hall's publishers at once (sendtime.go).
const clockStripes = 64

// WireClock remembers when RTP packets crossed a socket, by SSRC and
// sequence number: when they reached a hall's sockets, or (a SendClock's)
// when a publisher's socket took them.
type WireClock struct {
	mu    [clockStripes]sync.Mutex
	slots []wireSlot // a power of two of them
}

type wireSlot struct {
	key uint64 // 1<<48 | ssrc<<16 | seq; 0: empty
	at  int64  // Unix nanoseconds
	end int64  // a send's: when its write returned (0: not yet)
}

// NewWireClock returns a clock that remembers the last slots packets or
// so (rounded up to a power of two; colliding packets overwrite each
// other).
func NewWireClock(slots int) *WireClock {
	n := 1
	for n < slots {
		n <<= 1
	}
	return &WireClock{slots: make([]wireSlot, n)}
}

func wireKey(ssrc uint32, seq uint16) uint64 { return 1<<48 | uint64(ssrc)<<16 | uint64(seq) }

func (c *WireClock) index(ssrc uint32, seq uint16) int {
	return int((uint32(seq) + ssrc*2654435761) & uint32(len(c.slots)-1))
}

// rtpID reads the SSRC and sequence number of datagram b, and false if
// it is no RTP packet (STUN, DTLS or RTCP).
func rtpID(b []byte) (ssrc uint32, seq uint16, ok bool) {
	if len(b) < 12 || b[0]>>6 != 2 {
		return 0, 0, false
	}
	if pt := b[1] & 0x7f; pt >= 64 && pt <= 95 { // RTCP (RFC 5761)
		return 0, 0, false
	}
	seq = uint16(b[2])<<8 | uint16(b[3])
	ssrc = uint32(b[8])<<24 | uint32(b[9])<<16 | uint32(b[10])<<8 | uint32(b[11])
	return ssrc, seq, true
}

// note records at as the arrival of datagram b if it is an RTP packet.
func (c *WireClock) note(b []byte, at time.Time) {
	if ssrc, seq, ok := rtpID(b); ok {
		c.set(ssrc, seq, at, false)
	}
}

// set records at for ssrc/seq; keepFirst leaves an earlier time of the
// same packet less than a second old (a retransmission is not the send).
func (c *WireClock) set(ssrc uint32, seq uint16, at time.Time, keepFirst bool) {
	i, key, ns := c.index(ssrc, seq), wireKey(ssrc, seq), at.UnixNano()
	mu := &c.mu[i%clockStripes]
	mu.Lock()
	if s := c.slots[i]; !keepFirst || s.key != key || ns-s.at > int64(time.Second) || ns < s.at {
		c.slots[i] = wireSlot{key: key, at: ns}
	}
	mu.Unlock()
}

// Arrived is when the packet ssrc/seq crossed the socket, and false if
// it is not remembered (never seen, or long overwritten).
func (c *WireClock) Arrived(ssrc uint32, seq uint16) (time.Time, bool) {
	s, ok := c.slot(ssrc, seq)
	return time.Unix(0, s.at), ok
}

// slot is ssrc/seq's slot, and false if it holds another packet.
func (c *WireClock) slot(ssrc uint32, seq uint16) (wireSlot, bool) {
	i := c.index(ssrc, seq)
	mu := &c.mu[i%clockStripes]
	mu.Lock()
	s := c.slots[i]
	mu.Unlock()
	return s, s.key == wireKey(ssrc, seq)
}

// setEnd records end as when the send of ssrc/seq noted at at returned,
// if the slot still holds that send.
func (c *WireClock) setEnd(ssrc uint32, seq uint16, at, end time.Time) {
	i := c.index(ssrc, seq)
	mu := &c.mu[i%clockStripes]
	mu.Lock()
	if s := &c.slots[i]; s.key == wireKey(ssrc, seq) && s.at == at.UnixNano() && s.end == 0 {
		s.end = end.UnixNano()
	}
	mu.Unlock()
}

// WireNet is the host network whose UDP sockets note arrivals in Clock
// and, when Sends is set, what they send in Sends.
type WireNet struct {
	transport.Net
	Clock *WireClock
	Sends *SendClock
}

// NewWireNet returns the host network with timed UDP sockets.
func NewWireNet() (*WireNet, error) {
	host, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return &WireNet{Net: host, Clock: NewWireClock(wireSlots)}, nil
}

// ListenUDP opens a timed socket (how pion's ICE gathers host candidates).
func (n *WireNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return newWireConn(c, n), nil
}

// ListenPacket opens a timed UDP socket.
func (n *WireNet) ListenPacket(network, address string) (net.PacketConn, error) {
	addr, err := net.ResolveUDPAddr(network, address)
	if err != nil {
		return n.Net.ListenPacket(network, address)
	}
	return n.ListenUDP(network, addr)
}

// DialUDP opens a timed connected socket.
func (n *WireNet) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.DialUDP(network, laddr, raddr)
	if err != nil {
		return nil, err
	}
	return newWireConn(c, n), nil
}

// wireConn notes the arrival of what ReadFrom returns, at the kernel's
// receive time where the socket gives it (arrivalReader, as the shaper's
// lines read), and the time each RTP datagram written was handed to the
// kernel (the call of the write: sendtime.go). pion's ICE reads each candidate's socket from one
// goroutine, and the reader's control buffer is the conn's own; it writes
// with WriteTo (wireConn does not offer ice's AddrPortReaderWriter, so
// ice takes no path around these two).
type wireConn struct {
	transport.UDPConn
	read  func(b []byte) (int, net.Addr, time.Time, error)
	clock *WireClock
	sends *SendClock
}

func newWireConn(c transport.UDPConn, n *WireNet) transport.UDPConn {
	return &wireConn{UDPConn: c, read: arrivalReader(c), clock: n.Clock, sends: n.Sends}
}

func (c *wireConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, at, err := c.read(b)
	if err != nil {
		return n, addr, err
	}
	c.clock.note(b[:n], at)
	return n, addr, nil
}

func (c *wireConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.sends == nil {
		return c.UDPConn.WriteTo(b, addr)
	}
	before := time.Now()
	ssrc, seq, rtp := c.sends.noteSend(b, before)
	n, err := c.UDPConn.WriteTo(b, addr)
	if rtp && err == nil {
		c.sends.wrote(ssrc, seq, before, time.Now())
	}
	return n, err
}

func (c *wireConn) Write(b []byte) (int, error) {
	if c.sends == nil {
		return c.UDPConn.Write(b)
	}
	before := time.Now()
	ssrc, seq, rtp := c.sends.noteSend(b, before)
	n, err := c.UDPConn.Write(b)
	if rtp && err == nil {
		c.sends.wrote(ssrc, seq, before, time.Now())
	}
	return n, err
}
