//go:build linux

package loadtest

import (
	"encoding/binary"
	"net"
	"syscall"
	"time"

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
// it: the wall clock stepped).
func kernelArrival(oob []byte, now time.Time) time.Time {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return now
	}
	for _, m := range msgs {
		if m.Header.Level != syscall.SOL_SOCKET || m.Header.Type != unix.SCM_TIMESTAMPNS {
			continue
		}
		var sec, nsec int64
		switch len(m.Data) {
		case 16: // 64-bit
			sec, nsec = int64(binary.NativeEndian.Uint64(m.Data)), int64(binary.NativeEndian.Uint64(m.Data[8:]))
		case 8:
			sec, nsec = int64(int32(binary.NativeEndian.Uint32(m.Data))), int64(int32(binary.NativeEndian.Uint32(m.Data[4:])))
		default:
			continue
		}
		ago := now.Sub(time.Unix(sec, nsec))
		if ago < 0 || ago > time.Second {
			return now
		}
		return now.Add(-ago)
	}
	return now
}
