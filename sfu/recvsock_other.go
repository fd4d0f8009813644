//go:build !linux

package sfu

import (
	"errors"
	"net"
	"net/netip"
)

// rawReader is Linux's (recvsock_linux.go); elsewhere batchConn reads
// through x/net's ReadBatch.
type rawReader struct{}

func newRawReader(*net.UDPConn, [][]byte) (*rawReader, error) {
	return nil, errors.New("raw reader: Linux only")
}

func (*rawReader) read([]int, []netip.AddrPort) (int, error) { return 0, errors.ErrUnsupported }
