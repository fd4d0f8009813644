package linkemu

import (
	"math/rand/v2"
	"time"
)

// Shape is one direction of the line.
type Shape struct {
	// Rate is the line's rate in bits per second, counted on whole IP
	// packets; 0 is unlimited (no serialization delay, no queue).
	Rate int64
	// Queue is the drop-tail queue in front of the line, as time at Rate
	// (250 ms at 400 kbit/s holds 12,500 bytes): a packet that would wait
	// longer than Queue for the line is dropped.
	Queue time.Duration
	// Loss is the share of packets dropped at random (0 to 1), before the queue.
	Loss float64
	// Delay is the fixed one-way delay added after the line.
	Delay time.Duration
}

// Counters are what one direction did.
type Counters struct {
	Packets   int64 `json:"packets"`    // read from the sending side
	Bytes     int64 `json:"bytes"`      // of Packets
	Lost      int64 `json:"lost"`       // dropped by Loss
	QueueDrop int64 `json:"queue_drop"` // dropped by a full queue
	Delivered int64 `json:"delivered"`  // written to the receiving side
}

// verdict is what the line does with one packet.
type verdict int

const (
	deliver verdict = iota
	lose
	queueFull
)

// shaper decides each packet's fate and delivery time. It is pure state
// (no clock, no I/O) so the pipe and tests drive it with their own times.
type shaper struct {
	s    Shape
	rnd  *rand.Rand
	free time.Time // when the line finishes sending what it holds
}

func newShaper(s Shape, seed uint64) *shaper {
	return &shaper{s: s, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// admit takes a packet of size bytes arriving at now and returns whether
// it is delivered and when it reaches the other side.
func (sh *shaper) admit(now time.Time, size int) (verdict, time.Time) {
	// Drawn for every packet, so a seed gives the same pattern whatever the queue does.
	if sh.rnd.Float64() < sh.s.Loss {
		return lose, time.Time{}
	}
	if sh.s.Rate <= 0 {
		return deliver, now.Add(sh.s.Delay)
	}
	start := sh.free
	if start.Before(now) {
		start = now
	}
	if start.Sub(now) > sh.s.Queue {
		return queueFull, time.Time{}
	}
	sh.free = start.Add(time.Duration(int64(size) * 8 * int64(time.Second) / sh.s.Rate))
	return deliver, sh.free.Add(sh.s.Delay)
}
