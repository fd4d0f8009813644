package loadtest

import (
	"net"
	"testing"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
)

// rtpDatagram is a bare RTP packet (no SRTP: the header is all the
// sockets read) with payload after its 12-byte header.
func rtpDatagram(ssrc uint32, seq uint16, payload []byte) []byte {
	b := make([]byte, 12, 12+len(payload))
	b[0], b[1] = 0x80, 111
	b[2], b[3] = byte(seq>>8), byte(seq)
	b[8], b[9], b[10], b[11] = byte(ssrc>>24), byte(ssrc>>16), byte(ssrc>>8), byte(ssrc)
	return append(b, payload...)
}

// TestOutsideDelayStartsAtTheSocket: a publisher that takes 30 ms between
// stamping a packet and writing it (its pion, its waits for a core), a
// forwarder that holds it 10 ms and sends it on under another SSRC and
// sequence number (as the SFU does), a hall that reads it: the delay from
// outside is the forwarder's 10 ms, found through the stamp's name of the
// packet as sent; the wire delay, from the stamp, also holds the 30 ms.
func TestOutsideDelayStartsAtTheSocket(t *testing.T) {
	const pionDelay, hold = 30 * time.Millisecond, 10 * time.Millisecond
	sends := NewSendClock()
	pubNet, err := NewWireNet()
	if err != nil {
		t.Fatal(err)
	}
	pubNet.Sends = sends
	hallNet, err := NewWireNet()
	if err != nil {
		t.Fatal(err)
	}
	loop := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	pub, err := pubNet.ListenUDP("udp4", loop)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	hall, err := hallNet.ListenUDP("udp4", loop)
	if err != nil {
		t.Fatal(err)
	}
	defer hall.Close()
	fwd, err := net.ListenUDP("udp4", loop)
	if err != nil {
		t.Fatal(err)
	}
	defer fwd.Close()

	s := NewRecvStats(webrtc.RTPCodecTypeAudio)
	s.Wire, s.Sends = hallNet.Clock, sends
	buf := make([]byte, 1500)
	for i := range 3 {
		seq := uint16(65534 + i) // across the wrap
		st := Stamp{Sent: time.Now(), From: true, SSRC: 0xA0000001, Seq: seq}
		time.Sleep(pionDelay)
		if _, err := pub.WriteTo(rtpDatagram(st.SSRC, seq, OpusPayloadStamped(60, st)), fwd.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		n, err := fwd.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(hold)
		out := rtpDatagram(0xB0000002, uint16(i+100), buf[12:n]) // the SFU's SSRC and sequence
		if _, err := fwd.WriteTo(out, hall.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		if n, _, err = hall.ReadFrom(buf); err != nil {
			t.Fatal(err)
		}
		s.recordWire(0xB0000002, uint16(i+100), OpusStamp(buf[12:n]))
	}
	if n := s.OutsideDelay.Count(); n != 3 {
		t.Fatalf("%d of 3 packets matched to their send", n)
	}
	// The forwarder's hold, a loaded machine's scheduling at most
	// besides; never the publisher's 30 ms.
	if p50 := s.OutsideDelay.Quantile(0.5); p50 < hold-time.Millisecond || p50 >= hold+pionDelay-5*time.Millisecond {
		t.Errorf("delay from outside p50 %v, want the forwarder's %v", p50, hold)
	}
	// From the write's return: no more than from its call, and still the
	// forwarder's hold.
	if lo, hi := s.OutsideDelayLow.Quantile(0.5), s.OutsideDelay.Quantile(0.5); lo > hi || lo < hold-time.Millisecond || s.OutsideDelayLow.Count() != 3 {
		t.Errorf("delay from the write's return p50 %v (%d), from its call %v", lo, s.OutsideDelayLow.Count(), hi)
	}
	if w, o := s.WireDelay.Quantile(0), s.OutsideDelay.Quantile(0); w < o+pionDelay-time.Millisecond {
		t.Errorf("wire delay %v, from outside %v: the wire delay should hold the publisher's %v besides", w, o, pionDelay)
	}
	if sends.Writes.Count() != 3 || sends.Writes.Max() > pionDelay {
		t.Errorf("%d writes timed, the longest %v", sends.Writes.Count(), sends.Writes.Max())
	}
}

// TestSendClockNotesRTPOnly: the send clock notes RTP datagrams written
// with WriteTo or Write, keeps a retransmission's first send, and
// notes nothing for RTCP, STUN or DTLS.
func TestSendClockNotesRTPOnly(t *testing.T) {
	n, err := NewWireNet()
	if err != nil {
		t.Fatal(err)
	}
	n.Sends = NewSendClock()
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	c, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d, err := n.DialUDP("udp4", nil, sink.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	write := func(conn transport.UDPConn, b []byte) {
		t.Helper()
		var err error
		if conn == d {
			_, err = d.Write(b)
		} else {
			_, err = conn.WriteTo(b, sink.LocalAddr())
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	before := time.Now()
	write(c, rtpDatagram(7, 1, nil))
	first, returned, ok := n.Sends.Sent(7, 1)
	if !ok || first.Before(before) || returned.Before(first) || returned.After(time.Now()) {
		t.Fatalf("sent from %v to %v (%v), want from after %v to before now", first, returned, ok, before)
	}
	time.Sleep(5 * time.Millisecond)
	write(c, rtpDatagram(7, 1, nil)) // a NACK's answer
	if again, end, _ := n.Sends.Sent(7, 1); !again.Equal(first) || !end.Equal(returned) {
		t.Errorf("a retransmission moved the send from %v to %v", first, again)
	}
	write(d, rtpDatagram(7, 2, nil))
	if _, _, ok := n.Sends.Sent(7, 2); !ok {
		t.Errorf("a connected socket's Write was not noted")
	}
	rtcp := rtpDatagram(9, 3, nil)
	rtcp[1] = 200 // a sender report
	for _, b := range [][]byte{rtcp, append([]byte{0, 1}, make([]byte, 18)...), append([]byte{22, 0xfe, 0xfd}, make([]byte, 20)...)} {
		write(c, b)
	}
	if _, _, ok := n.Sends.Sent(9, 3); ok {
		t.Errorf("RTCP noted as a sent RTP packet")
	}
	if got := n.Sends.Writes.Count(); got != 3 {
		t.Errorf("%d writes timed, want the 3 RTP ones", got)
	}
}
