package sfu

// The recording's timing: when each frame goes in the file, and which
// packets are missing.

// rtpClock maps a track's RTP timestamps (unwrapped) to ms from the
// recording's start: anchored at its first packet's arrival, then by the
// RTP clock, so frames keep their spacing (the down track keeps the
// timestamps continuous across floor switches, advanced by the wall
// clock between sources). A jump of more than rtpClockSlack from the
// wall clock (a source whose clock jumped) anchors it again.
type rtpClock struct {
	rate      int64
	set       bool
	last      uint32
	ext       int64
	anchorExt int64
	anchorMs  int64
}

const rtpClockSlack = 2000 // ms

func (c *rtpClock) ms(ts uint32, now int64) int64 {
	if !c.set {
		c.set, c.ext = true, int64(ts)
		c.anchorExt, c.anchorMs = c.ext, now
	} else {
		c.ext += int64(int32(ts - c.last))
	}
	c.last = ts
	t := c.anchorMs + (c.ext-c.anchorExt)*1000/c.rate
	if t-now > rtpClockSlack || now-t > rtpClockSlack {
		c.anchorExt, c.anchorMs = c.ext, now
		t = now
	}
	return t
}

// frameArrivals remembers when each frame's first packet reached the SFU
// (nanotime), by RTP timestamp, until its sample builder hands it out.
type frameArrivals struct {
	last int64 // the packet being written: the down track notes it (binding.arrival)
	q    []frameArrival
}

type frameArrival struct {
	ts uint32
	at int64
}

// maxFrameArrivals bounds the queue: more than a sample builder holds.
const maxFrameArrivals = 256

// push notes the packet being written, of the frame at ts.
func (f *frameArrivals) push(ts uint32) {
	if f.last == 0 {
		return // not from a publisher (a sink fed by a test)
	}
	if n := len(f.q); n > 0 && f.q[n-1].ts == ts {
		return // the frame's first packet is noted
	}
	if len(f.q) == maxFrameArrivals {
		f.q = append(f.q[:0], f.q[1:]...)
	}
	f.q = append(f.q, frameArrival{ts: ts, at: f.last})
}

// take returns when the frame at ts arrived and forgets it and the
// frames before it (the builder hands frames out in order; a frame it
// dropped is passed over). False: not noted, and nothing is forgotten.
func (f *frameArrivals) take(ts uint32) (int64, bool) {
	for i, e := range f.q {
		if e.ts == ts {
			f.q = append(f.q[:0], f.q[i+1:]...)
			return e.at, true
		}
	}
	return 0, false
}

// seqTracker finds the gaps in a stream's sequence numbers.
type seqTracker struct {
	set  bool
	high uint16
}

// next notes seq and returns the gap it opened, [from, to), if any.
func (t *seqTracker) next(seq uint16) (from, to uint16, gap bool) {
	if !t.set {
		t.set, t.high = true, seq
		return 0, 0, false
	}
	if !seqLess(t.high, seq) {
		return 0, 0, false // late or repeated
	}
	from, to = t.high+1, seq
	t.high = seq
	return from, to, from != to
}
