package sfu

import (
	"net"
	"runtime"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

// TestSendSocket: a batch sent on the send socket arrives from the media
// socket's own address, every datagram sent to that address is read on
// the media socket (none taken by the send socket), and a second socket
// without SO_REUSEPORT still cannot bind the port.
func TestSendSocket(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the send socket is Linux's")
	}
	for _, tc := range []struct{ network, ip string }{{"udp4", "127.0.0.1"}, {"udp6", "::1"}} {
		t.Run(tc.network, func(t *testing.T) {
			media, err := net.ListenUDP(tc.network, &net.UDPAddr{IP: net.ParseIP(tc.ip)})
			if err != nil {
				t.Skipf("no %s loopback: %v", tc.network, err)
			}
			defer media.Close()
			ss, err := newSendSocket(media, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			defer ss.Close()
			peer, err := net.ListenUDP(tc.network, &net.UDPAddr{IP: net.ParseIP(tc.ip)})
			if err != nil {
				t.Fatal(err)
			}
			defer peer.Close()
			_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
			_ = media.SetReadDeadline(time.Now().Add(5 * time.Second))

			const n = 40
			msgs := make([]ipv4.Message, n)
			for i := range msgs {
				msgs[i] = ipv4.Message{Buffers: [][]byte{{byte(i), 1, 2, 3}}, Addr: peer.LocalAddr()}
			}
			if k, err := ss.WriteBatch(msgs, 0); k != n || err != nil {
				t.Fatalf("sent %d of %d (%v)", k, n, err)
			}
			buf := make([]byte, 64)
			for i := range n {
				k, from, err := peer.ReadFromUDP(buf)
				if err != nil {
					t.Fatalf("datagram %d: %v", i, err)
				}
				if from.String() != media.LocalAddr().String() || k != 4 || buf[0] != byte(i) {
					t.Fatalf("datagram %d: % x from %v, want %d from the media socket %v", i, buf[:k], from, i, media.LocalAddr())
				}
			}

			for i := range n {
				if _, err := peer.WriteToUDP([]byte{byte(i)}, media.LocalAddr().(*net.UDPAddr)); err != nil {
					t.Fatal(err)
				}
			}
			for i := range n {
				if _, _, err := media.ReadFromUDP(buf); err != nil {
					t.Fatalf("the media socket read %d of the %d datagrams sent to it: %v", i, n, err)
				}
			}

			if c, err := net.ListenUDP(tc.network, media.LocalAddr().(*net.UDPAddr)); err == nil {
				c.Close()
				t.Error("another socket bound the media port; want the address in use")
			}
		})
	}
}

// TestSendSocketRefusesMessage: a message that is not one buffer to a
// UDP address is refused alone; those before it are sent.
func TestSendSocketRefusesMessage(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the send socket is Linux's")
	}
	media, ss := ipv4SendSocket(t)
	to := media.LocalAddr()
	msgs := []ipv4.Message{{Buffers: [][]byte{{1}}, Addr: to}, {Buffers: [][]byte{{2}, {3}}, Addr: to}}
	if k, err := ss.WriteBatch(msgs, 0); k != 1 || err != nil {
		t.Fatalf("sent %d (%v), want the first alone", k, err)
	}
	if k, err := ss.WriteBatch(msgs[1:], 0); k != 0 || err == nil {
		t.Fatalf("sent %d (%v), want the two-buffer message refused", k, err)
	}
}

// ipv4SendSocket is a media socket on 127.0.0.1 and its send socket,
// both closed when t ends.
func ipv4SendSocket(t *testing.T) (*net.UDPConn, *sendSocket) {
	t.Helper()
	media, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { media.Close() })
	ss, err := newSendSocket(media, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	return media, ss
}
