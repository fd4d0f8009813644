//go:build !linux

package loadtest

import (
	"net"
	"time"

	"github.com/pion/transport/v5"
)

// arrivalReader is c's plain read stamped with the time of the read (the
// kernel's receive timestamps are read on Linux only).
func arrivalReader(c transport.UDPConn) func(b []byte) (int, net.Addr, time.Time, error) {
	return readNow(c)
}
