//go:build !linux

package loadtest

import (
	"net"
	"time"
)

// kernelTimestamps: elsewhere the arrival is taken at the read.
func kernelTimestamps(*net.UDPConn) bool { return false }

func kernelTime([]byte) (time.Time, bool) { return time.Time{}, false }
