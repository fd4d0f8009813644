package sfu

import (
	"encoding/binary"
	"net"
	"testing"
	"time"
)

// During a pass datagrams wait in the batch and leave together, whole, in
// order, to their own destinations; outside a pass a write goes at once.
func TestBatchedWritesLeaveWithThePass(t *testing.T) {
	for _, network := range []struct{ name, addr string }{{"udp4", "127.0.0.1:0"}, {"udp6", "[::1]:0"}} {
		t.Run(network.name, func(t *testing.T) {
			la, _ := net.ResolveUDPAddr(network.name, network.addr)
			sc, err := net.ListenUDP(network.name, la)
			if err != nil {
				t.Skipf("%s: %v", network.name, err)
			}
			b := newBatchConn(sc, network.name == "udp6")
			defer b.Close()
			// Writing 74 datagrams takes longer than maxHold on a loaded
			// machine (load 22: 12 of 74 had left early); the hold is
			// not what this test is about.
			b.out.hold = int64(time.Minute)
			var rcv [2]*net.UDPConn
			for i := range rcv {
				if rcv[i], err = net.ListenUDP(network.name, la); err != nil {
					t.Fatal(err)
				}
				defer rcv[i].Close()
			}
			read := func(c *net.UDPConn, wait time.Duration) (uint32, int, bool) {
				buf := make([]byte, 2048)
				_ = c.SetReadDeadline(time.Now().Add(wait))
				n, err := c.Read(buf)
				if err != nil {
					return 0, 0, false
				}
				return binary.BigEndian.Uint32(buf), n, true
			}
			const n = sendBatch + 10 // one full batch sent by the write that fills it, the rest at the end
			b.beginSend()
			for i := range n {
				p := make([]byte, 100+i)
				binary.BigEndian.PutUint32(p, uint32(i))
				if _, err := b.WriteToAddrPort(p, rcv[i%2].LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
					t.Fatal(err)
				}
			}
			// The tail of the pass waits for its end.
			if b.out.n != n-sendBatch {
				t.Fatalf("%d datagrams wait in the batch, want %d", b.out.n, n-sendBatch)
			}
			b.endSend()
			for i := range n {
				seq, size, ok := read(rcv[i%2], 2*time.Second)
				if !ok || seq != uint32(i) || size != 100+i {
					t.Fatalf("datagram %d: got #%d of %d bytes (ok %v)", i, seq, size, ok)
				}
			}
			// Outside a pass: at once.
			p := []byte{0, 0, 0, 7}
			if _, err := b.WriteToAddrPort(p, rcv[0].LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
				t.Fatal(err)
			}
			if b.out.n != 0 {
				t.Fatalf("%d datagrams batched outside a pass", b.out.n)
			}
			if seq, _, ok := read(rcv[0], 2*time.Second); !ok || seq != 7 {
				t.Fatalf("direct write: got #%d (ok %v)", seq, ok)
			}
		})
	}
}
