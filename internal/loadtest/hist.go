package loadtest

import (
	"math"
	"sync"
	"time"
)

// Histogram records durations in log-spaced buckets (about 2% apart, from
// 1 µs to about 100 s) so that millions of packet delays cost a fixed,
// small amount of memory and a percentile is accurate to a bucket's width.
type Histogram struct {
	mu     sync.Mutex
	counts []uint64
	n      uint64
	max    time.Duration
	sum    time.Duration
}

const (
	histMin    = float64(time.Microsecond)
	histGrowth = 1.02
	histSize   = 932 // ceil(log(1e8)/log(1.02)): 1 µs … 100 s
)

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram { return &Histogram{counts: make([]uint64, histSize+1)} }

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
	h.mu.Lock()
	h.counts[bucketOf(d)]++
	h.n++
	h.sum += d
	if d > h.max {
		h.max = d
	}
	h.mu.Unlock()
}

// Merge adds o's observations to h.
func (h *Histogram) Merge(o *Histogram) {
	o.mu.Lock()
	counts := append([]uint64(nil), o.counts...)
	n, sum, max := o.n, o.sum, o.max
	o.mu.Unlock()
	h.mu.Lock()
	for i, c := range counts {
		h.counts[i] += c
	}
	h.n += n
	h.sum += sum
	if max > h.max {
		h.max = max
	}
	h.mu.Unlock()
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
	earlier.mu.Lock()
	defer earlier.mu.Unlock()
	out.max = 0
	for i, c := range earlier.counts {
		out.counts[i] -= min(c, out.counts[i])
		if out.counts[i] > 0 {
			out.max = min(bucketUpper(i), h.Max())
		}
	}
	out.n -= min(earlier.n, out.n)
	out.sum -= min(earlier.sum, out.sum)
	return out
}

// Count is the number of observations.
func (h *Histogram) Count() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// Max is the largest observation.
func (h *Histogram) Max() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.max
}

// Quantile returns the upper bound of the bucket holding quantile q (0–1),
// capped at the maximum seen; 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for b, c := range h.counts {
		seen += c
		if seen >= rank {
			if u := bucketUpper(b); u < h.max {
				return u
			}
			return h.max
		}
	}
	return h.max
}
