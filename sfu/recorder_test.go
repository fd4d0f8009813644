package sfu

import (
	"testing"
	"time"
)

// TestFrameTick: frames on the 30 fps grid ffmpeg times them on, each put
// at the centre of its tick.
func TestFrameTick(t *testing.T) {
	for _, c := range []struct{ ms, tick int64 }{{0, 0}, {16, 0}, {17, 1}, {33, 1}, {50, 2}, {83, 2}, {84, 3}, {1567, 47}, {1583, 47}, {1584, 48}} {
		if got := frameTick(c.ms); got != c.tick {
			t.Errorf("frameTick(%d) = %d, want %d", c.ms, got, c.tick)
		}
	}
	for k := int64(0); k < 5000; k++ {
		c := tickCenter(k)
		// As far from the ticks' edges as whole ms allow: ffmpeg's
		// floating point decides a frame on an edge either way.
		if frameTick(c) != k || (6*c+100)%200 < 90 || (6*c+100)%200 > 110 {
			t.Fatalf("tickCenter(%d) = %d ms = tick %.3f", k, c, float64(c)*0.03)
		}
	}
	// A 30 fps source's frames, RTP-timed, never share a tick.
	for n := int64(1); n < 10000; n++ {
		if a, b := frameTick((n-1)*3000/90), frameTick(n*3000/90); b <= a {
			t.Fatalf("frames %d and %d of a 30 fps source share tick %d", n-1, n, a)
		}
	}
}

// TestFlowingLayer: the recorder takes the floor's best layer that sends,
// passes over one silent for a second, and takes it again when it sends.
func TestFlowingLayer(t *testing.T) {
	tr := &upTrack{}
	for i := range tr.layers {
		tr.layers[i] = &upLayer{track: tr, index: i}
	}
	r := &Recording{}
	t0 := time.Unix(1000, 0)
	send := func(idx ...int) {
		for _, i := range idx {
			tr.layers[i].stats.packets.Add(1)
		}
	}
	for _, c := range []struct {
		at    time.Duration
		sends []int
		want  int
	}{
		{0, nil, 2}, // nothing sent yet: the best layer
		{250 * time.Millisecond, []int{0, 1, 2}, 2},
		{500 * time.Millisecond, []int{0, 1}, 2}, // the top layer paused, not yet for a second
		{1200 * time.Millisecond, []int{0, 1}, 2},
		{1300 * time.Millisecond, []int{0, 1}, 1}, // a second without: the next down
		{1500 * time.Millisecond, []int{0}, 1},
		{2600 * time.Millisecond, []int{0}, 0},
		{2800 * time.Millisecond, []int{0, 2}, 2}, // the top layer is back
	} {
		send(c.sends...)
		if got := r.flowingLayer(tr, t0.Add(c.at)); got.index != c.want {
			t.Errorf("at %v: layer %d, want %d", c.at, got.index, c.want)
		}
	}
}

// TestRecordingClockByArrival: the recording's clock goes by when frames
// reached the SFU, not by when the recorder got to them. Here the
// recorder's goroutine runs 400 ms late; the frames still land where
// they arrived, 33 ms apart, and a frame its sample builder dropped is
// passed over.
func TestRecordingClockByArrival(t *testing.T) {
	start := nanotime() - int64(time.Second) // the recording began a second ago
	c := &recorder{rec: &Recording{started: time.Now().Add(-time.Second), startedNano: start}, vclock: rtpClock{rate: 90000}}
	ms := int64(time.Millisecond)
	arrive := func(ts uint32, at int64, packets int) {
		for range packets {
			c.vtimes.last = start + at*ms // what the down track's write notes
			c.vtimes.push(ts)
		}
	}
	// Four frames of a 30 fps camera, the first at 600 ms; a late
	// retransmission of the first frame's packet comes among them.
	arrive(0, 600, 5)
	arrive(3000, 633, 2)
	arrive(0, 640, 1)
	arrive(6000, 666, 2)
	arrive(9000, 700, 2)
	for _, f := range []struct {
		ts   uint32
		want int64
	}{{0, 600}, {3000, 633}, {9000, 700}} { // 6000 dropped by the builder
		if got := c.vclock.ms(f.ts, c.arrivedMs(&c.vtimes, f.ts)); got != f.want {
			t.Errorf("frame at RTP %d: %d ms, want %d (by its arrival)", f.ts, got, f.want)
		}
	}
	if len(c.vtimes.q) != 0 {
		t.Errorf("%d arrivals left after the last frame was taken", len(c.vtimes.q))
	}
	// Not noted (a sink fed without arrivals): now, and nothing forgotten.
	arrive(12000, 733, 1)
	if got := c.arrivedMs(&c.vtimes, 99); got < 1000 {
		t.Errorf("an unknown frame: %d ms, want now (≥ 1000 ms)", got)
	}
	if got := c.arrivedMs(&c.vtimes, 12000); got != 733 {
		t.Errorf("the frame after an unknown one: %d ms, want 733", got)
	}
	// A frame that arrived before the recording began is at its start.
	c.vtimes.last = start - 50*ms
	c.vtimes.push(15000)
	if got := c.arrivedMs(&c.vtimes, 15000); got != 0 {
		t.Errorf("a frame from before the start: %d ms, want 0", got)
	}
}
