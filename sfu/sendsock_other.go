//go:build !linux

package sfu

import (
	"errors"
	"net"

	"golang.org/x/net/ipv4"
)

// sendSocket is Linux's (sendsock_linux.go); elsewhere the fan-out sends
// on the media socket.
type sendSocket struct{}

func newSendSocket(*net.UDPConn, int) (*sendSocket, error) {
	return nil, errors.New("send socket: Linux only")
}

func (*sendSocket) WriteBatch([]ipv4.Message, int) (int, error) { return 0, errors.ErrUnsupported }

func (*sendSocket) Close() error { return nil }
