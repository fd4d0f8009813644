package linkshape

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// t0 is an arbitrary origin: the shaper only ever compares and adds times.
var t0 = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)

// offered is one packet given to a shaper and what came of it.
type offered struct {
	at   time.Time
	size int
	v    Verdict
}

// offerAll offers n packets from arrivals (gap before each, size) and returns them.
func offerAll(s *Shaper, n int, next func(i int) (time.Duration, int)) []offered {
	out := make([]offered, 0, n)
	now := t0
	for i := range n {
		gap, size := next(i)
		now = now.Add(gap)
		out = append(out, offered{at: now, size: size, v: s.Offer(now, size)})
	}
	return out
}

// poisson returns arrivals at offeredBps on average, exponential gaps and
// sizes from 100 to 1,200 bytes (audio to full video packets).
func poisson(offeredBps float64, seed uint64) func(int) (time.Duration, int) {
	r := rand.New(rand.NewPCG(seed, 1))
	return func(int) (time.Duration, int) {
		size := 100 + r.IntN(1101)
		mean := float64(size*8) / offeredBps // seconds
		return time.Duration(r.ExpFloat64() * mean * float64(time.Second)), size
	}
}

func TestRateHonoured(t *testing.T) {
	for _, tc := range []struct {
		name    string
		line    Line
		offered float64 // bit/s offered, on average
	}{
		{"commune line, twice its rate", Line{Rate: 400_000, Queue: 250 * time.Millisecond}, 800_000},
		{"commune line with 3 % loss, 1.5 times its rate", Line{Rate: 400_000, Queue: 250 * time.Millisecond, Loss: 0.03, Delay: 40 * time.Millisecond}, 600_000},
		{"slow line, three times its rate", Line{Rate: 64_000, Queue: 600 * time.Millisecond}, 192_000},
		{"2 Mbit/s, ten times its rate", Line{Rate: 2_000_000, Queue: 500 * time.Millisecond, Delay: 10 * time.Millisecond}, 20_000_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(tc.line, 1)
			pk := offerAll(s, 20_000, poisson(tc.offered, 2))
			// The line is busy from the first packet's arrival to the last
			// one's end: everything it accepted (delivered or lost on the
			// wire) went through it back to back at Rate.
			var onLine int64
			var drops int
			for _, p := range pk {
				if p.v.Fate == QueueFull {
					drops++
				} else {
					onLine += int64(p.size)
				}
			}
			busy := s.free.Sub(pk[0].at).Seconds()
			got := float64(onLine*8) / busy
			t.Logf("%d packets, %d dropped by the queue, %.0f bit/s on the line over %.1f s", len(pk), drops, got, busy)
			if math.Abs(got-float64(tc.line.Rate)) > 0.01*float64(tc.line.Rate) {
				t.Errorf("the line carried %.0f bit/s, want %d ± 1 %%", got, tc.line.Rate)
			}
			if drops == 0 {
				t.Errorf("offered %.0f bit/s to a %d bit/s line and the queue dropped nothing", tc.offered, tc.line.Rate)
			}
			// Deliveries are in order and never closer than their own serialization.
			var last time.Time
			for i, p := range pk {
				if p.v.Fate != Delivered {
					continue
				}
				if p.v.At.Before(last.Add(s.serialize(p.size))) {
					t.Fatalf("packet %d delivered at %v, %v after the previous: less than its %v on the line", i, p.v.At.Sub(t0), p.v.At.Sub(last), s.serialize(p.size))
				}
				last = p.v.At
			}
		})
	}
	t.Run("under capacity nothing waits long or drops", func(t *testing.T) {
		s := New(Line{Rate: 400_000, Queue: 250 * time.Millisecond}, 1)
		// 1,000 bytes every 25 ms is 320 kbit/s: each packet finds the line idle.
		pk := offerAll(s, 400, func(int) (time.Duration, int) { return 25 * time.Millisecond, 1000 })
		for i, p := range pk {
			if p.v.Fate != Delivered || p.v.Wait != 0 || p.v.At != p.at.Add(20*time.Millisecond) {
				t.Fatalf("packet %d: %+v, want delivered without waiting 20 ms after it came", i, p.v)
			}
		}
	})
}

func TestQueueLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		line  Line
		size  int
		burst int
		want  int // accepted: the one on the line and those that wait ≤ Queue
	}{
		// 1,000 bytes take 20 ms at 400 kbit/s: packets 0–12 start within 240 ms.
		{"commune line", Line{Rate: 400_000, Queue: 250 * time.Millisecond}, 1000, 50, 13},
		// 500 bytes take 10 ms at 400 kbit/s: a wait of exactly 100 ms is allowed.
		{"wait equal to the queue", Line{Rate: 400_000, Queue: 100 * time.Millisecond}, 500, 30, 11},
		{"a queue shorter than one packet", Line{Rate: 400_000, Queue: time.Millisecond}, 1000, 5, 1},
		{"unlimited rate has no queue", Line{Delay: 40 * time.Millisecond}, 1000, 50, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(tc.line, 1)
			pk := offerAll(s, tc.burst, func(int) (time.Duration, int) { return 0, tc.size })
			for i, p := range pk {
				if i < tc.want {
					wantWait := time.Duration(i) * s.serialize(tc.size)
					if p.v.Fate != Delivered || p.v.Wait != wantWait {
						t.Fatalf("packet %d of a burst: %+v, want delivered after waiting %v", i, p.v, wantWait)
					}
				} else if p.v.Fate != QueueFull {
					t.Fatalf("packet %d of a burst: %v, want the queue's tail dropped after %d", i, p.v.Fate, tc.want)
				}
			}
			if tc.line.Rate == 0 {
				return
			}
			// Once the queue has drained to Queue, the line takes packets again.
			later := t0.Add(time.Duration(tc.want) * s.serialize(tc.size)).Add(-tc.line.Queue)
			if v := s.Offer(later, tc.size); v.Fate != Delivered || v.Wait != tc.line.Queue {
				t.Errorf("a packet when the queue holds %v: %+v, want delivered after waiting that long", tc.line.Queue, v)
			}
		})
	}
}

func TestSeededLoss(t *testing.T) {
	const n = 100_000
	every := func(int) (time.Duration, int) { return time.Millisecond, 200 }
	fates := func(l Line, seed uint64) []Fate {
		var f []Fate
		for _, p := range offerAll(New(l, seed), n, every) {
			f = append(f, p.v.Fate)
		}
		return f
	}
	count := func(f []Fate, want Fate) (c int) {
		for _, x := range f {
			if x == want {
				c++
			}
		}
		return c
	}
	for _, loss := range []float64{0, 0.01, 0.03, 0.2} {
		l := Line{Loss: loss, Delay: 40 * time.Millisecond}
		a := fates(l, 7)
		got := float64(count(a, Lost)) / n
		// Three standard deviations of a binomial(100,000, loss), and a floor.
		tol := 3*math.Sqrt(loss*(1-loss)/n) + 1e-9
		if math.Abs(got-loss) > tol {
			t.Errorf("loss %g: lost %.4f of the packets, want %g ± %.4f", loss, got, loss, tol)
		}
		if b := fates(l, 7); !slices.Equal(a, b) {
			t.Errorf("loss %g: the same seed lost other packets", loss)
		}
		if loss > 0 {
			if c := fates(l, 8); slices.Equal(a, c) {
				t.Errorf("loss %g: seeds 7 and 8 lost the same packets", loss)
			}
		}
	}
	// The wire's losses do not depend on the queue: over the same arrivals
	// and seed, a line whose queue overflows loses exactly the packets an
	// unlimited line loses, among those its queue accepts.
	free := fates(Line{Loss: 0.03}, 7)
	tight := fates(Line{Rate: 1_200_000, Queue: 2 * time.Millisecond, Loss: 0.03}, 7) // 200 B/ms offered is 1.6 Mbit/s
	if count(tight, QueueFull) == 0 {
		t.Fatal("the tight queue never overflowed: the comparison shows nothing")
	}
	for i := range tight {
		if tight[i] != QueueFull && (tight[i] == Lost) != (free[i] == Lost) {
			t.Fatalf("packet %d: %v behind a full queue's line, %v on an unlimited one: the wire's loss must not depend on the queue", i, tight[i], free[i])
		}
	}
}

func TestDelay(t *testing.T) {
	for _, tc := range []struct {
		name string
		line Line
		size int
		want time.Duration // from arrival to delivery on an idle line
	}{
		{"unlimited, no delay", Line{}, 1200, 0},
		{"unlimited, 40 ms", Line{Delay: 40 * time.Millisecond}, 1200, 40 * time.Millisecond},
		{"400 kbit/s, 40 ms: 24 ms on the line", Line{Rate: 400_000, Queue: 250 * time.Millisecond, Delay: 40 * time.Millisecond}, 1200, 64 * time.Millisecond},
		{"2 Mbit/s, a minute", Line{Rate: 2_000_000, Queue: time.Second, Delay: time.Minute}, 100, time.Minute + 400*time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(tc.line, 1)
			for i := range 3 { // each on an idle line
				now := t0.Add(time.Duration(i) * time.Second)
				if v := s.Offer(now, tc.size); v.Fate != Delivered || v.At.Sub(now) != tc.want {
					t.Fatalf("packet %d: %+v, want delivered %v after it came", i, v, tc.want)
				}
			}
		})
	}
	t.Run("a clock that steps back does not reorder", func(t *testing.T) {
		s := New(Line{Delay: 40 * time.Millisecond}, 1)
		a := s.Offer(t0, 100)
		b := s.Offer(t0.Add(-time.Microsecond), 100)
		if b.Fate != Delivered || b.At.Before(a.At) {
			t.Fatalf("second packet %+v, first at %v: delivery went back", b, a.At)
		}
	})
}

func TestProblems(t *testing.T) {
	good := Line{Rate: 400_000, Queue: 250 * time.Millisecond, Loss: 0.03, Delay: 40 * time.Millisecond}
	if err := good.Validate(); err != nil {
		t.Fatalf("a commune line refused: %v", err)
	}
	if err := (Line{}).Validate(); err != nil {
		t.Fatalf("an ideal line refused: %v", err)
	}
	for _, tc := range []struct {
		edit func(*Line)
		want string
	}{
		{func(l *Line) { l.Rate = -1 }, "rate"},
		{func(l *Line) { l.Queue = 0 }, "queue"},
		{func(l *Line) { l.Queue = -time.Millisecond }, "queue"},
		{func(l *Line) { l.Loss = 1 }, "loss"},
		{func(l *Line) { l.Loss = -0.1 }, "loss"},
		{func(l *Line) { l.Loss = math.NaN() }, "loss"},
		{func(l *Line) { l.Delay = -time.Millisecond }, "delay"},
		{func(l *Line) { l.Delay = MaxDelay + 1 }, "delay"},
	} {
		l := good
		tc.edit(&l)
		bad := l.Problems()
		if len(bad) != 1 || !strings.HasPrefix(bad[0], tc.want+":") {
			t.Errorf("%+v: problems %q, want one about %s", l, bad, tc.want)
		}
	}
}

func TestBacklog(t *testing.T) {
	s := New(Line{Rate: 400_000, Queue: 250 * time.Millisecond}, 1)
	if b := s.Backlog(t0); b != 0 {
		t.Fatalf("an idle line's backlog %v, want 0", b)
	}
	// Five 1,000-byte packets at once: 20 ms each on the line.
	for range 5 {
		s.Offer(t0, 1000)
	}
	for _, tc := range []struct {
		at   time.Duration
		want time.Duration
	}{{0, 100 * time.Millisecond}, {30 * time.Millisecond, 70 * time.Millisecond}, {100 * time.Millisecond, 0}, {time.Second, 0}} {
		if b := s.Backlog(t0.Add(tc.at)); b != tc.want {
			t.Errorf("backlog %v after the burst: %v, want %v", tc.at, b, tc.want)
		}
	}
}
