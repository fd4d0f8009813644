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

// wireSlots is how many packets a WireClock remembers: seconds of a
// hall's received packets, so its readers always find theirs.
const wireSlots = 4096

// WireClock remembers when a hall's RTP packets reached its sockets.
type WireClock struct {
	mu    sync.Mutex
	slots [wireSlots]wireSlot
}

type wireSlot struct {
	key uint64 // 1<<48 | ssrc<<16 | seq; 0: empty
	at  int64  // Unix nanoseconds
}

func wireKey(ssrc uint32, seq uint16) uint64 { return 1<<48 | uint64(ssrc)<<16 | uint64(seq) }

func wireIndex(ssrc uint32, seq uint16) int { return int((uint32(seq) + ssrc*2654435761) % wireSlots) }

// note records at as the arrival of datagram b if it is an RTP packet
// (not STUN, DTLS or RTCP).
func (c *WireClock) note(b []byte, at time.Time) {
	if len(b) < 12 || b[0]>>6 != 2 {
		return
	}
	if pt := b[1] & 0x7f; pt >= 64 && pt <= 95 { // RTCP (RFC 5761)
		return
	}
	seq := uint16(b[2])<<8 | uint16(b[3])
	ssrc := uint32(b[8])<<24 | uint32(b[9])<<16 | uint32(b[10])<<8 | uint32(b[11])
	c.mu.Lock()
	c.slots[wireIndex(ssrc, seq)] = wireSlot{key: wireKey(ssrc, seq), at: at.UnixNano()}
	c.mu.Unlock()
}

// Arrived is when the packet ssrc/seq reached the hall's socket, and
// false if it is not remembered (never seen, or long overwritten).
func (c *WireClock) Arrived(ssrc uint32, seq uint16) (time.Time, bool) {
	c.mu.Lock()
	s := c.slots[wireIndex(ssrc, seq)]
	c.mu.Unlock()
	if s.key != wireKey(ssrc, seq) {
		return time.Time{}, false
	}
	return time.Unix(0, s.at), true
}

// WireNet is the host network whose UDP sockets note arrivals in Clock.
type WireNet struct {
	transport.Net
	Clock *WireClock
}

// NewWireNet returns the host network with timed UDP sockets.
func NewWireNet() (*WireNet, error) {
	host, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return &WireNet{Net: host, Clock: &WireClock{}}, nil
}

// ListenUDP opens a timed socket (how pion's ICE gathers host candidates).
func (n *WireNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return newWireConn(c, n.Clock), nil
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
	return newWireConn(c, n.Clock), nil
}

// wireConn notes the arrival of what ReadFrom returns, at the kernel's
// receive time where the socket gives it (arrivalReader, as the shaper's
// lines read). pion's ICE reads each candidate's socket from one
// goroutine, and the reader's control buffer is the conn's own.
type wireConn struct {
	transport.UDPConn
	read  func(b []byte) (int, net.Addr, time.Time, error)
	clock *WireClock
}

func newWireConn(c transport.UDPConn, clock *WireClock) transport.UDPConn {
	return &wireConn{UDPConn: c, read: arrivalReader(c), clock: clock}
}

func (c *wireConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, at, err := c.read(b)
	if err != nil {
		return n, addr, err
	}
	c.clock.note(b[:n], at)
	return n, addr, nil
}
