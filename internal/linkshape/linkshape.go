// Package linkshape models a commune hall's line: a rate, a drop-tail
// queue in front of it, random loss on the wire and a fixed one-way delay.
// It is the one model behind both weak links we test with: the loadtest's
// shaped sockets (cau loadtest --weak-share) and the TUN line a browser
// sits behind (cau linkemu, web/e2e/tests/communeline.test.js).
//
// A Shaper is pure state: no clock, no goroutine, no I/O. Its caller says
// when a packet of how many bytes arrived, and it says whether the packet
// is dropped and, if not, when it reaches the far end; moving the bytes
// at that time is the caller's job. So the same model runs under real
// sockets and under table tests with made-up times.
package linkshape

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Line is one direction of a line.
type Line struct {
	// Rate is the line's rate in bit/s, counted on the sizes the caller
	// gives (whole IP packets for a TUN device, UDP payloads for a
	// socket); 0 is unlimited: no serialization time and no queue.
	Rate int64
	// Queue is the drop-tail queue in front of the line, as time at Rate
	// (250 ms at 400 kbit/s holds 12,500 bytes): a packet that would wait
	// longer than Queue before its first bit goes on the line is dropped.
	Queue time.Duration
	// Loss is the share of the packets sent on the line that the line
	// loses at random, each independently (0 up to, not including, 1).
	Loss float64
	// Delay is the fixed one-way delay after the line (propagation, the
	// last mile).
	Delay time.Duration
}

// MaxDelay bounds Line.Delay: more is a mistake, not a line.
const MaxDelay = time.Minute

// Problems lists what is wrong with l, one phrase a field; none if it is a line.
func (l Line) Problems() []string {
	var bad []string
	if l.Rate < 0 {
		bad = append(bad, "rate: not negative")
	}
	if l.Queue < 0 || (l.Rate > 0 && l.Queue == 0) {
		bad = append(bad, "queue: not negative, and above zero when the rate is limited")
	}
	if !(l.Loss >= 0 && l.Loss < 1) { // also refuses NaN
		bad = append(bad, "loss: from 0 up to (not including) 1")
	}
	if l.Delay < 0 || l.Delay > MaxDelay {
		bad = append(bad, "delay: not negative, at most a minute")
	}
	return bad
}

// Validate returns an error listing Problems, or nil.
func (l Line) Validate() error {
	if bad := l.Problems(); len(bad) > 0 {
		return fmt.Errorf("linkshape: line %+v: %s", l, strings.Join(bad, "; "))
	}
	return nil
}

// Fate is what the line does with one packet.
type Fate int

const (
	// Delivered packets reach the far end at Verdict.At.
	Delivered Fate = iota
	// QueueFull packets found the queue full and never went on the line.
	QueueFull
	// Lost packets went on the line (they used its time) and were lost on
	// the wire.
	Lost
)

func (f Fate) String() string {
	switch f {
	case Delivered:
		return "delivered"
	case QueueFull:
		return "queue full"
	case Lost:
		return "lost"
	}
	return fmt.Sprintf("Fate(%d)", int(f))
}

// Verdict is the fate of one packet.
type Verdict struct {
	Fate Fate
	// At is when a delivered packet has fully reached the far end: the
	// end of its serialization plus Delay. Zero unless Delivered.
	At time.Time
	// Wait is how long the packet waited in the queue before its first bit
	// went on the line (zero for QueueFull).
	Wait time.Duration
}

// Shaper decides the fate of each packet offered to one line, in the
// order offered. It is not safe for concurrent use: a line shared by
// several sockets needs its caller's lock.
//
// The model, and where loss sits: a real commune line loses packets at
// random on the radio or the copper, whatever its queue holds, and a
// packet lost there has already taken its time on the line; the router in
// front of the line drops what it cannot queue, a separate count. So a
// packet first faces the queue (QueueFull if it would wait longer than
// Queue), then is serialized at Rate, then is lost with probability Loss
// (Lost), else delivered Delay after its last bit left. The random draw
// is made for every packet offered, queued or not, so a seed gives the
// same pattern of line losses over the arrivals whatever the queue does.
type Shaper struct {
	line Line
	rnd  *rand.Rand
	// free is when the line has finished sending what it has accepted:
	// the queue holds free − now of work. Delivery times never go down
	// (the line is FIFO and the delay fixed), even if a caller's clocks
	// step back a little between concurrent arrivals.
	free time.Time
}

// New returns a shaper for l whose losses follow seed. l must be valid
// (Validate); New panics otherwise, as a programming error.
func New(l Line, seed uint64) *Shaper {
	if err := l.Validate(); err != nil {
		panic(err)
	}
	return &Shaper{line: l, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Line returns the line s models.
func (s *Shaper) Line() Line { return s.line }

// Offer takes a packet of size bytes arriving at now and says its fate.
func (s *Shaper) Offer(now time.Time, size int) Verdict {
	lost := s.line.Loss > 0 && s.rnd.Float64() < s.line.Loss
	start := s.free
	if start.Before(now) {
		start = now
	}
	wait := start.Sub(now)
	if s.line.Rate > 0 && wait > s.line.Queue {
		return Verdict{Fate: QueueFull}
	}
	s.free = start.Add(s.serialize(size))
	if lost {
		return Verdict{Fate: Lost, Wait: wait}
	}
	return Verdict{Fate: Delivered, At: s.free.Add(s.line.Delay), Wait: wait}
}

// Backlog is the work the line holds at now: how long a packet arriving
// then would wait before its first bit goes on the line (0 when idle).
func (s *Shaper) Backlog(now time.Time) time.Duration {
	return max(s.free.Sub(now), 0)
}

// serialize is how long size bytes take on the line, to the nanosecond
// (no rounding error builds up: 1,200 bytes at 400 kbit/s is 24 ms exactly).
func (s *Shaper) serialize(size int) time.Duration {
	if s.line.Rate <= 0 {
		return 0
	}
	return time.Duration(int64(size) * 8 * int64(time.Second) / s.line.Rate)
}
