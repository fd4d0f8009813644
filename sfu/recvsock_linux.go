package sfu

import (
	"net"
	"net/netip"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawReader reads the media socket's batches with recvmmsg made as a raw
// system call, one that does not tell Go's scheduler it is in a system
// call, through the socket's RawConn: the socket is non-blocking (Go's
// own), so the call returns at once, and when nothing waits the
// goroutine parks in the network poller as before.
//
// Why: each time a goroutine enters a system call while sysmon sleeps
// for want of work (the process idle between two incoming packets),
// entersyscall wakes sysmon, and sysmon then wakes every 20 µs until the
// process is idle again. The read loop entered one for every batch it
// read, so each incoming packet's fan-out (1–2 ms of work at 160
// subscribers) ran beside ~50–100 wake-ups of sysmon: 7–10 % of the
// server's CPU in the fan-out's profile (docs/performance.md, "Fan-out
// CPU, session 9"). x/net's ReadBatch also allocated an address per
// datagram; this reads the sockaddr in place.
type rawReader struct {
	rc    syscall.RawConn
	hdrs  [readBatch]mmsghdr
	names [readBatch]unix.RawSockaddrInet6 // or RawSockaddrInet4 at its start
	iovs  [readBatch]unix.Iovec
	// recv is r.recvmmsg as a value made once: a method value made per
	// read would allocate.
	recv  func(fd uintptr) bool
	n     int
	errno unix.Errno
}

// newRawReader reads c into bufs (readBatch buffers, kept for its life).
func newRawReader(c *net.UDPConn, bufs [][]byte) (*rawReader, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &rawReader{rc: rc}
	for i := range r.hdrs {
		r.iovs[i].Base = &bufs[i][0]
		r.iovs[i].SetLen(len(bufs[i]))
		h := &r.hdrs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		h.Iov = &r.iovs[i]
		h.SetIovlen(1)
	}
	r.recv = r.recvmmsg
	return r, nil
}

// read reads what waits (at least one datagram, waiting for it in the
// poller), writing each one's length and sender into lens and from.
func (r *rawReader) read(lens []int, from []netip.AddrPort) (int, error) {
	for i := range r.hdrs {
		r.hdrs[i].hdr.Namelen = unix.SizeofSockaddrInet6
		r.hdrs[i].hdr.Flags = 0
	}
	if err := r.rc.Read(r.recv); err != nil {
		return 0, err
	}
	if r.errno != 0 {
		return 0, os.NewSyscallError("recvmmsg", r.errno)
	}
	for i := range r.n {
		lens[i] = int(r.hdrs[i].len)
		from[i] = sockaddrAddrPort(&r.names[i])
	}
	return r.n, nil
}

// recvmmsg is RawConn.Read's callback: false asks it to wait for the
// socket to be readable and call again.
func (r *rawReader) recvmmsg(fd uintptr) bool {
	for {
		n, _, errno := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(len(r.hdrs)), 0, 0, 0)
		switch errno {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		r.n, r.errno = int(n), errno
		return true
	}
}

// sockaddrAddrPort is the address recvmmsg wrote into sa, in the form
// x/net's ReadBatch gave it (4 bytes for IPv4, 16 and the zone for IPv6),
// which the fast paths' routes are keyed by.
func sockaddrAddrPort(sa *unix.RawSockaddrInet6) netip.AddrPort {
	switch sa.Family {
	case unix.AF_INET:
		s4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(s4.Addr), ntohs(s4.Port))
	case unix.AF_INET6:
		a := netip.AddrFrom16(sa.Addr)
		if sa.Scope_id != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.Scope_id)); err == nil {
				a = a.WithZone(ifi.Name)
			}
		}
		return netip.AddrPortFrom(a, ntohs(sa.Port))
	}
	return netip.AddrPort{}
}

// ntohs turns a port as the kernel stores it (network order) around.
func ntohs(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}
