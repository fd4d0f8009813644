package loadtest

import (
	"net"
	"runtime"
	"testing"
	"time"
)

// TestWireClock: a timed socket notes the arrival of each RTP datagram
// by SSRC and sequence number, before the reader gets it, and nothing
// for RTCP, STUN or DTLS.
func TestWireClock(t *testing.T) {
	n, err := NewWireNet()
	if err != nil {
		t.Fatal(err)
	}
	c, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := net.DialUDP("udp4", nil, c.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	rtp := func(pt byte, seq uint16, ssrc uint32) []byte {
		b := make([]byte, 40)
		b[0], b[1] = 0x80, pt
		b[2], b[3] = byte(seq>>8), byte(seq)
		b[8], b[9], b[10], b[11] = byte(ssrc>>24), byte(ssrc>>16), byte(ssrc>>8), byte(ssrc)
		return b
	}
	sent := []struct {
		b    []byte
		ssrc uint32
		seq  uint16
		rtp  bool
	}{
		{rtp(96, 7, 0xCAFE0001), 0xCAFE0001, 7, true},
		{rtp(0x80|111, 65535, 42), 42, 65535, true},              // marker bit set
		{rtp(200, 9, 0xCAFE0002), 0xCAFE0002, 9, false},          // a sender report
		{append([]byte{0, 1}, make([]byte, 18)...), 0, 1, false}, // STUN binding request
		{append([]byte{22, 0xfe, 0xfd}, make([]byte, 20)...), 0xfe, 0xfd, false},
	}
	before := time.Now()
	buf := make([]byte, 1500)
	kernel := 0 // RTP datagrams stamped before their read: the kernel's time
	for _, s := range sent {
		if _, err := out.Write(s.b); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // arrives well before it is read
		if _, _, err := c.ReadFrom(buf); err != nil {
			t.Fatal(err)
		}
		read := time.Now()
		at, ok := n.Clock.Arrived(s.ssrc, s.seq)
		switch {
		case ok != s.rtp:
			t.Errorf("datagram % x: noted %v, want %v", s.b[:4], ok, s.rtp)
		case ok && (at.Before(before) || at.After(read)):
			t.Errorf("seq %d arrived at %v, not between the send (%v) and the read (%v)", s.seq, at, before, read)
		case ok && read.Sub(at) >= 15*time.Millisecond:
			kernel++
		}
	}
	// The first socket on a machine to ask for stamps gets them only once
	// the kernel has turned them on (arrival_linux_test.go), so one of the
	// two may be stamped at its read.
	if runtime.GOOS == "linux" && kernel == 0 {
		t.Errorf("no RTP datagram was stamped before its read: the read's time, not the kernel's")
	}
	if _, ok := n.Clock.Arrived(0xCAFE0001, 8); ok {
		t.Errorf("a packet never sent is remembered")
	}
}
