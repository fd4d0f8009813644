package sfu

import (
	"errors"
	"net"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

// TestRawReader: the media socket's raw recvmmsg gives each datagram's
// bytes and its sender in the form x/net's ReadBatch gave (the fast
// paths' routes are keyed by it), waits in the poller when nothing
// waits, reads without allocating, and ends with an error when the
// socket closes.
func TestRawReader(t *testing.T) {
	for _, tc := range []struct{ network, ip string }{{"udp4", "127.0.0.1"}, {"udp6", "::1"}} {
		t.Run(tc.network, func(t *testing.T) {
			c, err := net.ListenUDP(tc.network, &net.UDPAddr{IP: net.ParseIP(tc.ip)})
			if err != nil {
				t.Skipf("no %s loopback: %v", tc.network, err)
			}
			defer c.Close()
			peer, err := net.ListenUDP(tc.network, &net.UDPAddr{IP: net.ParseIP(tc.ip)})
			if err != nil {
				t.Fatal(err)
			}
			defer peer.Close()
			b := newBatchConn(c, tc.network == "udp6")
			if b.raw == nil {
				t.Fatal("no raw reader on Linux")
			}
			want := peer.LocalAddr().(*net.UDPAddr).AddrPort()

			// Nothing waits: the read parks until the datagrams come.
			got := make(chan error, 1)
			go func() {
				n, err := b.readBatch()
				if err == nil && n == 0 {
					err = errors.New("read 0 datagrams")
				}
				got <- err
			}()
			select {
			case err := <-got:
				t.Fatalf("read returned %v with nothing sent", err)
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := peer.WriteToUDP([]byte{0, 1, 2}, c.LocalAddr().(*net.UDPAddr)); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-got:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("read did not return after a datagram came")
			}
			if b.lens[0] != 3 || b.addrs[0] != want {
				t.Fatalf("read %d bytes from %v, want 3 from %v", b.lens[0], b.addrs[0], want)
			}

			// What x/net's ReadBatch reads from the same sender.
			if _, err := peer.WriteToUDP([]byte{9}, c.LocalAddr().(*net.UDPAddr)); err != nil {
				t.Fatal(err)
			}
			msgs := []ipv4.Message{{Buffers: [][]byte{make([]byte, 16)}}}
			if _, err := ipv4.NewPacketConn(c).ReadBatch(msgs, 0); err != nil {
				t.Fatal(err)
			}
			if x := msgs[0].Addr.(*net.UDPAddr).AddrPort(); x != want {
				t.Fatalf("x/net reads the sender as %v, the raw reader as %v", x, want)
			}

			const n = 20
			for i := range n {
				if _, err := peer.WriteToUDP(make([]byte, 10+i), c.LocalAddr().(*net.UDPAddr)); err != nil {
					t.Fatal(err)
				}
			}
			for read := 0; read < n; {
				k, err := b.readBatch()
				if err != nil {
					t.Fatal(err)
				}
				for i := range k {
					if b.lens[i] != 10+read+i || b.addrs[i] != want {
						t.Fatalf("datagram %d: %d bytes from %v, want %d from %v", read+i, b.lens[i], b.addrs[i], 10+read+i, want)
					}
				}
				read += k
			}

			allocs := testing.AllocsPerRun(50, func() {
				if _, err := peer.WriteToUDP([]byte{1}, c.LocalAddr().(*net.UDPAddr)); err != nil {
					t.Fatal(err)
				}
				if _, err := b.readBatch(); err != nil {
					t.Fatal(err)
				}
			})
			if allocs > 0 {
				t.Errorf("%.1f allocations per datagram written and read, want 0", allocs)
			}

			c.Close()
			if _, err := b.readBatch(); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("read on a closed socket: %v, want net.ErrClosed", err)
			}
		})
	}
}
