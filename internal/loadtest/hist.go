package loadtest

import (
	"math"
	"sync/atomic"
	"time"
)

// Histogram records durations in log-spaced buckets (about 2% apart, from
// 1 µs to about 100 s) so that millions of packet delays cost a fixed,
// small amount of memory and a percentile is accurate to a bucket's width.
// Record takes no lock: every publisher's socket writes record into one
// histogram (SendClock.Writes), about 25,000 times a second at 160 halls
// from goroutines on both cores, and a mutex there was handed between
// them. A reading taken while others record may be off by the records in
// flight (a count without its bucket, say), which a window's figures never
// notice.
type Histogram struct {
	counts []atomic.Uint64
	n      atomic.Uint64
	max    atomic.Int64 // time.Duration
}

const (
	histMin    = float64(time.Microsecond)
	histGrowth = 1.02
	histSize   = 932 // ceil(log(1e8)/log(1.02)): 1 µs … 100 s
)

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram { return &Histogram{counts: make([]atomic.Uint64, histSize+1)} }

func bucketOf(d time.Duration) int {
	if float64(d) <= histMin {
		return 0
	}
	b := int(math.Log(float64(d)/histMin)/math.Log(histGrowth)) + 1
	if b > histSize {
		b = histSize
	}
	return b
}

func bucketUpper(b int) time.Duration {
	return time.Duration(histMin * math.Pow(histGrowth, float64(b)))
}

// Record adds one observation; negative values (clock skew) count as zero.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(d)].Add(1)
	h.n.Add(1)
	h.raiseMax(d)
}

// raiseMax makes h's maximum at least d.
func (h *Histogram) raiseMax(d time.Duration) {
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// Merge adds o's observations to h.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c > 0 {
			h.counts[i].Add(c)
		}
	}
	h.n.Add(o.n.Load())
	h.raiseMax(time.Duration(o.max.Load()))
}

// Clone returns a copy of h, to subtract later (Since).
func (h *Histogram) Clone() *Histogram {
	c := NewHistogram()
	c.Merge(h)
	return c
}

// Since returns the observations h gained after earlier, a Clone of h
// taken then (nil: all of h). The maximum is the largest of them to a
// bucket's width.
func (h *Histogram) Since(earlier *Histogram) *Histogram {
	out := h.Clone()
	if earlier == nil {
		return out
	}
	var max time.Duration
	for i := range earlier.counts {
		c, have := earlier.counts[i].Load(), out.counts[i].Load()
		left := have - min(c, have)
		out.counts[i].Store(left)
		if left > 0 {
			max = min(bucketUpper(i), h.Max())
		}
	}
	out.max.Store(int64(max))
	n, en := out.n.Load(), earlier.n.Load()
	out.n.Store(n - min(en, n))
	return out
}

// Count is the number of observations.
func (h *Histogram) Count() uint64 { return h.n.Load() }

// Max is the largest observation.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Quantile returns the upper bound of the bucket holding quantile q (0–1),
// capped at the maximum seen; 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	n, max := h.n.Load(), h.Max()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for b := range h.counts {
		seen += h.counts[b].Load()
		if seen >= rank {
			if u := bucketUpper(b); u < max {
				return u
			}
			return max
		}
	}
	return max
}
