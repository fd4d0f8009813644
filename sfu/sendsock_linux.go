package sfu

import (
	"errors"
	"fmt"
	"net"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// The fan-out's datagrams leave through a second socket bound to the
// media socket's address, which Go's network poller does not watch.
//
// Why: the kernel frees each datagram it has sent (on loopback at once,
// on a NIC when the send completes) and then wakes whoever waits for
// room to write on that socket (sock_wfree → sk_write_space). Go's poller
// watches every socket for writability, edge-triggered, so each batch
// sent on the media socket woke the thread parked in epoll_wait, several
// times a batch, for nothing: no goroutine ever waits to write a UDP
// datagram. In the fan-out at 160 players that was a third of the
// server's context switches and epoll calls (perf stat), and in a
// two-process experiment on this machine (64 datagrams per sendmmsg, 3
// batches every 5 ms to another process's sockets) 6.9–8.7 µs of CPU per
// datagram through a polled socket against 5.0–6.3 µs through one the
// poller does not watch, with 2–3× fewer voluntary context switches
// (docs/performance.md, "Fan-out CPU, session 8").
//
// How: the media socket is given SO_REUSEPORT after its bind (so a second
// server on the same port still fails to bind it, as before), the send
// socket binds the same address with SO_REUSEPORT, and a classic BPF
// program on the port's reuseport group gives every incoming datagram to
// the group's first socket, the media socket: the send socket never
// receives. Only a process of the same user can join the group. Writes
// outside a fan-out pass (pion's STUN, DTLS, sender reports: a few hundred
// a second) still go through the media socket.

// The send socket is non-blocking and sendmmsg is made as a raw system
// call, which does not tell Go's scheduler it is in a system call. Why:
// on loopback one call of 64 datagrams takes 100–250 µs (the kernel
// delivers each to its receiver and wakes it inline). Through Syscall6
// the goroutine entered a system call for that long; sysmon, polling every
// 20 µs while any system call is that long, took the processor away and
// handed it off (a thread woken, the caller's exitsyscall then waiting
// for a processor back), and with system calls of that length every few
// milliseconds sysmon itself never slept longer than 20 µs: in the
// fan-out's profile sysmon was 7–9 % of the server's CPU and the
// scheduler's parking and waking 10–14 % (docs/performance.md, "Fan-out
// CPU, session 9"). A raw call on a non-blocking socket cannot block:
// when the socket's buffer is full (EAGAIN, which on loopback does not
// happen: the kernel frees each datagram as it delivers it) the sender
// waits in poll(2) through the ordinary Syscall, so the processor is
// handed off while it waits, as before. The cost of the raw call: its
// processor runs nothing else, and a stop of the world waits, for up to
// the call's length.

// sendSocket sends batches of datagrams with sendmmsg on a socket of its
// own (see above); outBatch's writer, under outBatch.mu.
type sendSocket struct {
	fd int
	// sendmmsg sends s.hdrs[:n] without blocking: s.rawSendmmsg; tests
	// put a refusal in front of it.
	sendmmsg func(s *sendSocket, n int) (int, unix.Errno)
	v6       bool
	hdrs     [sendBatch]mmsghdr
	names    [sendBatch]unix.RawSockaddrInet6 // or RawSockaddrInet4 at its start
	iovs     [sendBatch]unix.Iovec
}

// mmsghdr is struct mmsghdr.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

var errMessage = errors.New("send socket: a message is not one buffer to a UDP address")

// newSendSocket makes media's send socket. On error the media socket is
// as it was, and sends stay on it.
func newSendSocket(media *net.UDPConn, sndbuf int) (*sendSocket, error) {
	la, ok := media.LocalAddr().(*net.UDPAddr)
	if !ok {
		return nil, fmt.Errorf("send socket: media socket address %v", media.LocalAddr())
	}
	raw, err := media.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("send socket: %w", err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	}); err != nil || serr != nil {
		return nil, fmt.Errorf("send socket: SO_REUSEPORT on the media socket: %w", errors.Join(err, serr))
	}
	s := &sendSocket{v6: la.IP.To4() == nil, sendmmsg: (*sendSocket).rawSendmmsg}
	family, sa := unix.AF_INET, unix.Sockaddr(&unix.SockaddrInet4{Port: la.Port})
	if s.v6 {
		family, sa = unix.AF_INET6, &unix.SockaddrInet6{Port: la.Port}
		copy(sa.(*unix.SockaddrInet6).Addr[:], la.IP.To16())
	} else {
		copy(sa.(*unix.SockaddrInet4).Addr[:], la.IP.To4())
	}
	if s.fd, err = unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.IPPROTO_UDP); err != nil {
		s.reuseport(raw, 0)
		return nil, fmt.Errorf("send socket: %w", err)
	}
	steer := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: 0}} // every datagram to the group's first socket
	err = unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	if err == nil && s.v6 {
		err = unix.SetsockoptInt(s.fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
	}
	if err == nil {
		err = unix.Bind(s.fd, sa)
	}
	if err == nil {
		err = unix.SetsockoptSockFprog(s.fd, unix.SOL_SOCKET, unix.SO_ATTACH_REUSEPORT_CBPF,
			&unix.SockFprog{Len: uint16(len(steer)), Filter: &steer[0]})
	}
	if err != nil {
		_ = unix.Close(s.fd)
		s.reuseport(raw, 0)
		return nil, fmt.Errorf("send socket on %v: %w", la, err)
	}
	_ = unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_SNDBUF, sndbuf) // capped by wmem_max, as the media socket's
	_ = unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 0)      // the kernel's least: it never receives
	return s, nil
}

// reuseport sets the media socket's SO_REUSEPORT back.
func (s *sendSocket) reuseport(raw interface{ Control(func(uintptr)) error }, v int) {
	_ = raw.Control(func(fd uintptr) { _ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, v) })
}

// WriteBatch sends ms (each one buffer to a *net.UDPAddr) in one
// sendmmsg, blocking while the socket's buffer is full, as a write on the
// media socket waits for room. It returns how many were sent; an error
// means ms[n] was refused.
func (s *sendSocket) WriteBatch(ms []ipv4.Message, _ int) (int, error) {
	n := min(len(ms), len(s.hdrs))
	for i := range n {
		a, ok := ms[i].Addr.(*net.UDPAddr)
		if !ok || len(ms[i].Buffers) != 1 || len(ms[i].Buffers[0]) == 0 {
			if i == 0 {
				return 0, errMessage
			}
			n = i // send those before it; the caller skips it next
			break
		}
		h := &s.hdrs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&s.names[i]))
		h.Namelen = s.sockaddr(&s.names[i], a)
		b := ms[i].Buffers[0]
		s.iovs[i].Base = &b[0]
		s.iovs[i].SetLen(len(b))
		h.Iov = &s.iovs[i]
		h.SetIovlen(1)
	}
	for {
		k, errno := s.sendmmsg(s, n)
		switch errno {
		case 0:
			return k, nil
		case unix.EINTR:
		case unix.EAGAIN:
			if err := s.waitWritable(); err != nil {
				return 0, err
			}
		default:
			return 0, errno
		}
	}
}

// rawSendmmsg sends s.hdrs[:n] in one sendmmsg made as a raw system call
// (see above): the socket is non-blocking, so it cannot block.
func (s *sendSocket) rawSendmmsg(n int) (int, unix.Errno) {
	r, _, errno := unix.RawSyscall6(unix.SYS_SENDMMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&s.hdrs[0])), uintptr(n), 0, 0, 0)
	return int(r), errno
}

// waitWritable waits until the socket has room, as a blocking write
// would, in an ordinary system call: the scheduler hands the processor
// off while it waits.
func (s *sendSocket) waitWritable() error {
	fds := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLOUT}}
	for {
		_, err := unix.Poll(fds, -1)
		if err != unix.EINTR {
			return err
		}
	}
}

// sockaddr writes a as a struct sockaddr_in (or _in6 on an IPv6 socket)
// into sa and returns its length.
func (s *sendSocket) sockaddr(sa *unix.RawSockaddrInet6, a *net.UDPAddr) uint32 {
	port := uint16(a.Port>>8) | uint16(a.Port&0xff)<<8 // network order
	if !s.v6 {
		s4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		*s4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Port: port}
		copy(s4.Addr[:], a.IP.To4())
		return unix.SizeofSockaddrInet4
	}
	*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Port: port}
	copy(sa.Addr[:], a.IP.To16())
	if a.Zone != "" {
		if ifi, err := net.InterfaceByName(a.Zone); err == nil {
			sa.Scope_id = uint32(ifi.Index)
		}
	}
	return unix.SizeofSockaddrInet6
}

// Close closes the send socket.
func (s *sendSocket) Close() error { return unix.Close(s.fd) }
