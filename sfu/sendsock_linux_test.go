package sfu

import (
	"net"
	"net/netip"
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

// TestWritesOutsideAPassTakeTheSendSocket: with the send socket, a write
// outside a fan-out pass (pion's STUN, DTLS, RTCP) leaves at once through
// it, in its raw sendmmsg, from the media socket's address; one in a pass
// waits for the pass; the kernel's refusal is the write's error.
func TestWritesOutsideAPassTakeTheSendSocket(t *testing.T) {
	media, ss := ipv4SendSocket(t)
	calls := 0
	ss.sendmmsg = func(s *sendSocket, n int) (int, unix.Errno) {
		calls++
		return s.rawSendmmsg(n)
	}
	b := newBatchConn(media, false)
	b.out.w, b.out.direct = ss, true
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	to := peer.LocalAddr().(*net.UDPAddr).AddrPort()
	buf := make([]byte, 16)
	read := func(want byte) {
		t.Helper()
		k, from, err := peer.ReadFromUDP(buf)
		if err != nil || k != 1 || buf[0] != want || from.String() != media.LocalAddr().String() {
			t.Fatalf("read % x from %v (%v); want %d from the media socket %v", buf[:k], from, err, want, media.LocalAddr())
		}
	}

	if n, err := b.WriteToAddrPort([]byte{1}, to); n != 1 || err != nil {
		t.Fatalf("wrote %d (%v)", n, err)
	}
	if calls != 1 || b.out.n != 0 {
		t.Fatalf("%d raw sendmmsg calls, %d datagrams left in the batch; want 1 and 0", calls, b.out.n)
	}
	read(1)

	b.beginSend()
	if _, err := b.WriteToAddrPort([]byte{2}, to); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || b.out.n != 1 {
		t.Fatalf("in a pass: %d raw sendmmsg calls, %d datagrams in the batch; want 1 and 1", calls, b.out.n)
	}
	b.endSend()
	if calls != 2 {
		t.Fatalf("%d raw sendmmsg calls after the pass, want 2", calls)
	}
	read(2)

	if _, err := b.WriteToAddrPort([]byte{3}, netip.MustParseAddrPort("127.0.0.1:0")); err == nil {
		t.Fatal("a datagram to port 0 written without an error")
	}
}
