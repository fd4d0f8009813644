//go:build linux

package loadtest

import (
	"encoding/binary"
	"net"
	"syscall"
	"time"
	"unsafe"

	"github.com/pion/transport/v5"
	"golang.org/x/sys/unix"
)

// arrivalReader returns a read of c that also says when the kernel
// received each datagram (SO_TIMESTAMPNS), or c's plain read stamped with
// the time of the read where the socket cannot say.
func arrivalReader(c transport.UDPConn) func(b []byte) (int, net.Addr, time.Time, error) {
	u, ok := c.(*net.UDPConn)
	if !ok || !timestampArrivals(u) {
		return readNow(c)
	}
	oob := make([]byte, unix.CmsgSpace(16)) // a struct timespec
	return func(b []byte) (int, net.Addr, time.Time, error) {
		n, oobn, _, addr, err := u.ReadMsgUDP(b, oob)
		now := time.Now()
		if err != nil {
			return 0, nil, now, err
		}
		return n, addr, kernelArrival(oob[:oobn], now), nil
	}
}

// timestampArrivals asks the kernel to stamp each datagram c receives.
func timestampArrivals(c *net.UDPConn) bool {
	raw, err := c.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		return false
	}
	return true
}

// kernelArrival is the kernel's receive time in oob, as a time with now's
// monotonic reading (the shaper compares it with time.Now()); now when
// oob holds none, or one that is no arrival (after now, or a second before
// it: the wall clock stepped). The control messages are walked by hand:
// unix.ParseSocketControlMessage allocates a slice per datagram, one
// allocation per packet every timed socket reads (session 9's reader
// parsed by hand for that reason; session 10's shared reader did not).
func kernelArrival(oob []byte, now time.Time) time.Time {
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		if uint64(h.Len) < unix.SizeofCmsghdr || uint64(h.Len) > uint64(len(oob)) {
			return now
		}
		data := oob[unix.SizeofCmsghdr:h.Len]
		if h.Level == syscall.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS {
			var sec, nsec int64
			switch len(data) {
			case 16: // 64-bit
				sec, nsec = int64(binary.NativeEndian.Uint64(data)), int64(binary.NativeEndian.Uint64(data[8:]))
			case 8:
				sec, nsec = int64(int32(binary.NativeEndian.Uint32(data))), int64(int32(binary.NativeEndian.Uint32(data[4:])))
			default:
				return now
			}
			ago := now.Sub(time.Unix(sec, nsec))
			if ago < 0 || ago > time.Second {
				return now
			}
			return now.Add(-ago)
		}
		next := unix.CmsgSpace(int(h.Len) - unix.SizeofCmsghdr)
		if next <= 0 || next > len(oob) {
			return now
		}
		oob = oob[next:]
	}
	return now
}
