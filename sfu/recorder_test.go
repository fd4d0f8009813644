package sfu

import "testing"

// TestFrameTick: frames on the 30 fps grid ffmpeg times them on; a frame
// moved to the next tick lands on it, never beyond.
func TestFrameTick(t *testing.T) {
	for _, c := range []struct{ ms, tick int64 }{{0, 0}, {16, 0}, {17, 1}, {33, 1}, {50, 2}, {83, 2}, {84, 3}, {1567, 47}, {1583, 47}, {1584, 48}} {
		if got := frameTick(c.ms); got != c.tick {
			t.Errorf("frameTick(%d) = %d, want %d", c.ms, got, c.tick)
		}
	}
	for k := int64(1); k < 5000; k++ {
		s := tickStart(k)
		if frameTick(s) != k || frameTick(s-1) != k-1 {
			t.Fatalf("tickStart(%d) = %d: ticks %d and, a ms before, %d", k, s, frameTick(s), frameTick(s-1))
		}
	}
	// A 30 fps source's frames, RTP-timed, never share a tick.
	for n := int64(1); n < 10000; n++ {
		if a, b := frameTick((n-1)*3000/90), frameTick(n*3000/90); b <= a {
			t.Fatalf("frames %d and %d of a 30 fps source share tick %d", n-1, n, a)
		}
	}
}
