package sfu

import (
	"net"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// TestSendSocketWaitsOutFullBuffer: the send socket never blocks its
// thread (it is non-blocking, its sendmmsg a raw system call), and a
// refusal for want of room (EAGAIN) is waited out in poll, not reported:
// every datagram of the batch arrives, as from a blocking write.
func TestSendSocketWaitsOutFullBuffer(t *testing.T) {
	_, ss := ipv4SendSocket(t)
	if fl, err := unix.FcntlInt(uintptr(ss.fd), unix.F_GETFL, 0); err != nil || fl&unix.O_NONBLOCK == 0 {
		t.Fatalf("the send socket's flags %#x (%v); want O_NONBLOCK: its sendmmsg is a raw system call", fl, err)
	}
	refusals := 0
	ss.sendmmsg = func(s *sendSocket, n int) (int, unix.Errno) {
		if refusals < 2 {
			refusals++
			return 0, unix.EAGAIN
		}
		return s.rawSendmmsg(n)
	}
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	const n = 8
	msgs := make([]ipv4.Message, n)
	for i := range msgs {
		msgs[i] = ipv4.Message{Buffers: [][]byte{{byte(i)}}, Addr: peer.LocalAddr()}
	}
	if k, err := ss.WriteBatch(msgs, 0); k != n || err != nil {
		t.Fatalf("sent %d of %d (%v) after %d refusals, want all and no error", k, n, err, refusals)
	}
	if refusals != 2 {
		t.Fatalf("%d refusals seen, want 2", refusals)
	}
	buf := make([]byte, 8)
	for i := range n {
		if k, _, err := peer.ReadFromUDP(buf); err != nil || k != 1 || buf[0] != byte(i) {
			t.Fatalf("datagram %d: % x (%v)", i, buf[:k], err)
		}
	}
}
