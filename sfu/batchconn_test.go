package sfu

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// Datagrams written from many goroutines arrive through batchConn whole,
// each once, from the right address.
func TestBatchConnReadsEveryDatagram(t *testing.T) {
	for _, network := range []struct{ name, addr string }{{"udp4", "127.0.0.1:0"}, {"udp6", "[::1]:0"}} {
		t.Run(network.name, func(t *testing.T) {
			la, _ := net.ResolveUDPAddr(network.name, network.addr)
			rc, err := net.ListenUDP(network.name, la)
			if err != nil {
				t.Skipf("%s: %v", network.name, err)
			}
			_ = rc.SetReadBuffer(8 << 20)
			b := newBatchConn(rc, network.name == "udp6")
			defer b.Close()
			sc, err := net.ListenUDP(network.name, la)
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			to := b.LocalAddr().(*net.UDPAddr).AddrPort()
			const writers, each = 8, 500
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					buf := make([]byte, 1200)
					for i := range each {
						binary.BigEndian.PutUint32(buf, uint32(w*each+i))
						buf[len(buf)-1] = byte(i)
						if _, err := sc.WriteToUDPAddrPort(buf, to); err != nil {
							t.Error(err)
							return
						}
						if i%50 == 0 {
							time.Sleep(time.Millisecond) // let the reader keep up
						}
					}
				}()
			}
			seen := make(map[uint32]bool, writers*each)
			from := sc.LocalAddr().(*net.UDPAddr).AddrPort()
			buf := make([]byte, 2048)
			_ = b.SetReadDeadline(time.Now().Add(10 * time.Second))
			for len(seen) < writers*each {
				n, src, err := b.ReadFromAddrPort(buf)
				if err != nil {
					t.Fatalf("after %d datagrams: %v", len(seen), err)
				}
				id := binary.BigEndian.Uint32(buf)
				if n != 1200 || buf[n-1] != byte(id%each) {
					t.Fatalf("datagram of %d bytes, damaged", n)
				}
				if netip.AddrPortFrom(src.Addr().Unmap(), src.Port()) != netip.AddrPortFrom(from.Addr().Unmap(), from.Port()) {
					t.Fatalf("from %v, want %v", src, from)
				}
				if seen[id] {
					t.Fatalf("datagram %d twice", id)
				}
				seen[id] = true
			}
			wg.Wait()
		})
	}
}

// Closing the socket ends a blocked read with an error.
func TestBatchConnClose(t *testing.T) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	b := newBatchConn(c, false)
	done := make(chan error, 1)
	go func() {
		_, _, err := b.ReadFromAddrPort(make([]byte, 100))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Error("read after close returned no error")
	}
}
