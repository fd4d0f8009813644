package loadtest

import "time"

// The forward delay from outside. The wire delay (wiretime.go) still
// starts at the publisher's stamp, taken before the generator's pion
// adds its extensions, runs its interceptors, encrypts and writes: on a
// machine the generator shares with the server, its waits for a core are
// in it. A SendClock starts the delay at the publisher's socket instead:
// each hall's timed sockets note when every RTP datagram they wrote was
// handed to the kernel (the write's call), by SSRC and sequence number
// (in the clear under SRTP), and the payload's stamp names the packet as
// its publisher sent it (Stamp.From), so a subscriber finds it whatever
// SSRC and sequence number the SFU forwarded it under. Hall socket's
// kernel receive time − publisher socket's write: the SFU and the
// kernel's loopback, none of the generator's pion on either side.
//
// The stamp is taken as the write is called, not when it returns: on
// loopback the kernel delivers the datagram to the receiving socket
// (its receive time stamped) inside the sender's system call, so a
// stamp at the return comes after the arrival it is measured to. Taken
// at the call it is early by at most the write's duration (Writes, in
// the report: the syscall and any wait for a core around it), so the
// delay from outside errs long, never short; from the write's return it
// would err short, never long, and the report gives both (the true
// delay lies between). (The kernel's own transmit
// stamp, SO_TIMESTAMPING, would be exact, but is read from the socket's
// error queue: a system call more per packet sent, and a wakeup of
// pion's reader of that socket.)

// sendSlots is how many sent packets a SendClock remembers: every hall's
// publishers share it, about 40,000 RTP packets a second at 160 halls,
// so a slot lasts seconds on average, and a packet is overwritten by
// a colliding one before its subscribers look it up for about one in
// 650 at 10 ms of delay (at 1 s, one in 7).
const sendSlots = 1 << 18

// SendClock remembers when publishers' sockets took their RTP packets.
type SendClock struct {
	clock *WireClock
	// Writes is how long each RTP datagram's write took, from before the
	// call to its return: the datagram reached the kernel within that
	// much after its send time (the call), so it bounds the stamp's
	// error, whatever the write waited for (the system call, a preempted
	// thread).
	Writes *Histogram
}

// NewSendClock returns an empty send clock.
func NewSendClock() *SendClock {
	return &SendClock{clock: NewWireClock(sendSlots), Writes: NewHistogram()}
}

// noteSend records datagram b, about to be written at before, if it is
// RTP, and reports which packet it noted: before the write, since on
// loopback the packet may be forwarded and read before the write
// returns. A retransmission (the same SSRC and sequence number within a
// second) keeps the first send's time: a subscriber's copy is the first.
func (c *SendClock) noteSend(b []byte, before time.Time) (ssrc uint32, seq uint16, ok bool) {
	ssrc, seq, ok = rtpID(b)
	if ok {
		c.clock.set(ssrc, seq, before, true)
	}
	return ssrc, seq, ok
}

// wrote records that the write of ssrc/seq called at before returned at
// after.
func (c *SendClock) wrote(ssrc uint32, seq uint16, before, after time.Time) {
	c.clock.setEnd(ssrc, seq, before, after)
	c.Writes.Record(after.Sub(before))
}

// Sent is when a publisher's socket was called to send packet ssrc/seq
// (the SSRC and sequence number it was sent with) and when that write
// returned (zero if it has not yet), and false if it is not remembered.
// The kernel took the packet between the two.
func (c *SendClock) Sent(ssrc uint32, seq uint16) (called, returned time.Time, ok bool) {
	s, ok := c.clock.slot(ssrc, seq)
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	if s.end != 0 {
		returned = time.Unix(0, s.end)
	}
	return time.Unix(0, s.at), returned, true
}
