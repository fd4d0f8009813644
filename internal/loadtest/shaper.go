package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"

	"github.com/cau-gov/cau/internal/linkshape"
)

// A weak link in user space: a transport.Net (pion's SettingEngine.SetNet)
// over the host network whose UDP sockets shape what the hall receives, as
// a commune hall's 400 kbit/s line would. No root, no tc, no change to the
// machine's network: only the sockets pion opens through this Net are
// shaped, and only on the receiving side (the hall's downlink: media and
// RTCP from the SFU). What the hall sends leaves unshaped.

// LinkProfile describes a constrained downlink, as internal/linkshape
// models it (the same model as the TUN line of `cau linkemu`).
type LinkProfile struct {
	// RateBps is the line's rate in bit/s of UDP payload.
	RateBps int
	// LossPercent of the packets sent on the line are lost on the wire
	// (0 up to 100), independently, after the queue.
	LossPercent float64
	// Delay is added one way to every packet (propagation, the last mile).
	Delay time.Duration
	// MaxQueue bounds the drop-tail queue in front of the line, in time at
	// RateBps: a packet that would wait longer is dropped (0: 250 ms).
	MaxQueue time.Duration
	// Seed makes the loss pattern repeatable (0: a fixed seed).
	Seed uint64
}

// Link shaping defaults.
const (
	defaultMaxQueue = 250 * time.Millisecond
	// shapedBufSize holds any SRTP packet the SFU sends (≤ 1500 on loopback).
	shapedBufSize = 2048
)

// line is p in linkshape's terms, its defaults filled in.
func (p LinkProfile) line() linkshape.Line {
	l := linkshape.Line{Rate: int64(p.RateBps), Queue: p.MaxQueue, Loss: p.LossPercent / 100, Delay: p.Delay}
	if l.Queue == 0 {
		l.Queue = defaultMaxQueue
	}
	return l
}

// LinkStats count what a shaped link did to the packets it received.
type LinkStats struct {
	// Passed packets were delivered; QueueDrops found the queue full;
	// LineLosses went on the line and were lost on the wire.
	Passed, QueueDrops, LineLosses int64
	PassedBytes                    int64
	// QueueMax is the longest wait in the queue (not counting the time on
	// the line nor Delay).
	QueueMax time.Duration
	// Backlog is the queue's wait when Stats was read (a hall's own
	// link; sums leave it out).
	Backlog time.Duration
}

// ShapedNet is the host network with shaped receiving UDP sockets. Every
// socket it opens shares one link (one line, one queue): a hall has one
// line, whatever its peer connections. It only binds loopback addresses,
// so a shaped hall cannot send anything off the machine.
type ShapedNet struct {
	transport.Net
	link *link
}

// NewShapedNet returns a Net whose UDP sockets receive through p.
func NewShapedNet(p LinkProfile) (*ShapedNet, error) {
	l := p.line()
	if err := l.Validate(); err != nil || l.Rate <= 0 {
		return nil, fmt.Errorf("loadtest: link profile %+v: rate must be > 0, loss 0 up to 100%%, delay and queue ≥ 0 (%v)", p, err)
	}
	host, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	seed := p.Seed
	if seed == 0 {
		seed = 0xCA0
	}
	return &ShapedNet{Net: host, link: &link{sh: linkshape.New(l, seed)}}, nil
}

// Stats returns what the link did so far.
func (n *ShapedNet) Stats() LinkStats {
	n.link.mu.Lock()
	defer n.link.mu.Unlock()
	st := n.link.stats
	st.Backlog = n.link.sh.Backlog(time.Now())
	return st
}

// ResetQueueMax starts over the longest queue wait of Stats.
func (n *ShapedNet) ResetQueueMax() {
	n.link.mu.Lock()
	n.link.stats.QueueMax = 0
	n.link.mu.Unlock()
}

// errNotLoopback refuses a bind outside 127.0.0.0/8 and ::1.
var errNotLoopback = errors.New("loadtest: a shaped link binds loopback addresses only")

func loopbackOnly(ip net.IP) error {
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w (asked for %v)", errNotLoopback, ip)
	}
	return nil
}

// ListenUDP opens a shaped socket (how pion's ICE gathers host candidates).
func (n *ShapedNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	if laddr == nil {
		return nil, loopbackOnly(nil)
	}
	if err := loopbackOnly(laddr.IP); err != nil {
		return nil, err
	}
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return newShapedConn(c, n.link), nil
}

// ListenPacket opens a shaped UDP socket; other networks are refused.
func (n *ShapedNet) ListenPacket(network, address string) (net.PacketConn, error) {
	addr, err := net.ResolveUDPAddr(network, address)
	if err != nil {
		return nil, fmt.Errorf("loadtest: shaped ListenPacket %s %s: %w", network, address, err)
	}
	return n.ListenUDP(network, addr)
}

// DialUDP opens a shaped connected socket.
func (n *ShapedNet) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	if raddr == nil {
		return nil, loopbackOnly(nil)
	}
	if err := loopbackOnly(raddr.IP); err != nil {
		return nil, err
	}
	c, err := n.Net.DialUDP(network, laddr, raddr)
	if err != nil {
		return nil, err
	}
	return newShapedConn(c, n.link), nil
}

// errUnshaped refuses what the link would not shape.
var errUnshaped = errors.New("loadtest: a shaped link carries UDP only")

// ListenTCP is refused: ICE-TCP would bypass the shaping.
func (n *ShapedNet) ListenTCP(string, *net.TCPAddr) (transport.TCPListener, error) {
	return nil, errUnshaped
}

// DialTCP is refused, as ListenTCP.
func (n *ShapedNet) DialTCP(string, *net.TCPAddr, *net.TCPAddr) (transport.TCPConn, error) {
	return nil, errUnshaped
}

// Dial is refused: its connections would not be shaped.
func (n *ShapedNet) Dial(string, string) (net.Conn, error) { return nil, errUnshaped }

// CreateDialer returns a dialer that refuses, as Dial.
func (n *ShapedNet) CreateDialer(*net.Dialer) transport.Dialer { return refusing{} }

// CreateListenConfig returns a listen config that refuses: use ListenUDP.
func (n *ShapedNet) CreateListenConfig(*net.ListenConfig) transport.ListenConfig { return refusing{} }

type refusing struct{}

func (refusing) Dial(string, string) (net.Conn, error) { return nil, errUnshaped }
func (refusing) Listen(context.Context, string, string) (net.Listener, error) {
	return nil, errUnshaped
}
func (refusing) ListenPacket(context.Context, string, string) (net.PacketConn, error) {
	return nil, errUnshaped
}

// link is the shared bottleneck: one line model for all of a hall's sockets.
type link struct {
	mu    sync.Mutex
	sh    *linkshape.Shaper
	stats LinkStats
}

// admit decides the fate of n bytes arriving at now: when they reach the
// reader, or false if the queue is full or the line loses them.
func (l *link) admit(now time.Time, n int) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v := l.sh.Offer(now, n)
	switch v.Fate {
	case linkshape.QueueFull:
		l.stats.QueueDrops++
		return time.Time{}, false
	case linkshape.Lost:
		l.stats.LineLosses++
	default:
		l.stats.Passed++
		l.stats.PassedBytes += int64(n)
	}
	l.stats.QueueMax = max(l.stats.QueueMax, v.Wait)
	return v.At, v.Fate == linkshape.Delivered
}

// delivery is a packet waiting for its release time.
type delivery struct {
	buf     *[]byte
	n       int
	addr    net.Addr
	release time.Time
}

var shapedBufs = sync.Pool{New: func() any { b := make([]byte, shapedBufSize); return &b }}

// shapedConn reads its socket at once (so the kernel never drops) and
// hands packets to ReadFrom at their release time. Release times of one
// socket never decrease (the link is FIFO, the delay fixed), so the head
// of the queue is always the next one due. Writes pass through.
type shapedConn struct {
	transport.UDPConn // the host socket; its reads are shadowed below
	link              *link

	mu       sync.Mutex
	q        []delivery
	err      error     // the host socket's read error, after the queue drains
	deadline time.Time // read deadline
	wake     chan struct{}
	closed   chan struct{}
	once     sync.Once
}

func newShapedConn(c transport.UDPConn, l *link) *shapedConn {
	s := &shapedConn{UDPConn: c, link: l, wake: make(chan struct{}, 1), closed: make(chan struct{})}
	go s.pull()
	return s
}

// pull reads the host socket until it fails, queueing what the link
// admits. A datagram reaches the line when the kernel received it, not
// when this goroutine got to read it: on the shared 2-core machine a
// busy scheduler delayed the reads and handed the line bunches of
// packets at once, which filled its queue where the SFU's sending had not
// (docs/performance.md, "Weak link, session 8").
func (s *shapedConn) pull() {
	read := arrivalReader(s.UDPConn)
	for {
		bp := shapedBufs.Get().(*[]byte)
		n, addr, at, err := read(*bp)
		if err != nil {
			shapedBufs.Put(bp)
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			s.signal()
			return
		}
		release, ok := s.link.admit(at, n)
		if !ok {
			shapedBufs.Put(bp)
			continue
		}
		s.mu.Lock()
		s.q = append(s.q, delivery{buf: bp, n: n, addr: addr, release: release})
		s.mu.Unlock()
		s.signal()
	}
}

func (s *shapedConn) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// ReadFrom returns the next packet once the link releases it.
func (s *shapedConn) ReadFrom(b []byte) (int, net.Addr, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		s.mu.Lock()
		now := time.Now()
		var due time.Time
		if len(s.q) > 0 {
			d := s.q[0]
			if !d.release.After(now) {
				s.q[0] = delivery{}
				s.q = s.q[1:]
				if len(s.q) == 0 {
					s.q = nil // let the backing array go
				}
				s.mu.Unlock()
				n := copy(b, (*d.buf)[:d.n])
				shapedBufs.Put(d.buf)
				return n, d.addr, nil
			}
			due = d.release
		} else if s.err != nil {
			err := s.err
			s.mu.Unlock()
			return 0, nil, err
		}
		if dl := s.deadline; !dl.IsZero() {
			if !dl.After(now) {
				s.mu.Unlock()
				return 0, nil, os.ErrDeadlineExceeded
			}
			if due.IsZero() || dl.Before(due) {
				due = dl
			}
		}
		s.mu.Unlock()
		var tc <-chan time.Time
		if !due.IsZero() {
			if timer == nil {
				timer = time.NewTimer(time.Until(due))
			} else {
				timer.Reset(time.Until(due))
			}
			tc = timer.C
		}
		select {
		case <-s.wake:
		case <-tc:
		case <-s.closed:
			return 0, nil, net.ErrClosed
		}
	}
}

// Read is ReadFrom for a connected socket.
func (s *shapedConn) Read(b []byte) (int, error) {
	n, _, err := s.ReadFrom(b)
	return n, err
}

// ReadFromUDP is ReadFrom with a UDP address.
func (s *shapedConn) ReadFromUDP(b []byte) (int, *net.UDPAddr, error) {
	n, addr, err := s.ReadFrom(b)
	ua, _ := addr.(*net.UDPAddr)
	return n, ua, err
}

// ReadMsgUDP is ReadFromUDP without control messages.
func (s *shapedConn) ReadMsgUDP(b, _ []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	n, addr, err = s.ReadFromUDP(b)
	return n, 0, 0, addr, err
}

// SetReadDeadline applies to the shaped reads; the host socket is read
// without one.
func (s *shapedConn) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	s.deadline = t
	s.mu.Unlock()
	s.signal()
	return nil
}

// SetDeadline sets the read and write deadlines.
func (s *shapedConn) SetDeadline(t time.Time) error {
	_ = s.SetReadDeadline(t)
	return s.UDPConn.SetWriteDeadline(t)
}

// Close closes the host socket and wakes a waiting reader.
func (s *shapedConn) Close() error {
	var err error
	s.once.Do(func() {
		close(s.closed)
		err = s.UDPConn.Close()
	})
	return err
}

// readNow reads c, stamping each datagram with the time of the read.
func readNow(c transport.UDPConn) func(b []byte) (int, net.Addr, time.Time, error) {
	return func(b []byte) (int, net.Addr, time.Time, error) {
		n, addr, err := c.ReadFrom(b)
		return n, addr, time.Now(), err
	}
}
