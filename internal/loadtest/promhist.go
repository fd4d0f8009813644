package loadtest

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// promHist is a Prometheus histogram read from /metrics: its cumulative
// bucket counts by upper bound (+Inf included). The SFU's own forward
// delay (cau_sfu_forward_delay_seconds, from reading a publisher's packet
// to writing a subscriber's copy) is one: the report gives it beside the
// delay the generator measures, which also holds the generator's own
// scheduling (on a shared machine, most of it).
type promHist map[float64]float64

// add reads one sample line of name's histogram ("name_bucket{le="…"} v");
// false: not one of its buckets.
func (h promHist) add(name, series string, v float64) bool {
	rest, ok := strings.CutPrefix(series, name+"_bucket{")
	if !ok {
		return false
	}
	_, le, ok := strings.Cut(rest, `le="`)
	if !ok {
		return false
	}
	le, _, _ = strings.Cut(le, `"`)
	bound, err := strconv.ParseFloat(le, 64) // "+Inf" parses as +Inf
	if err != nil {
		return false
	}
	h[bound] += v
	return true
}

// since is what h counted after earlier: bucket by bucket, h − earlier.
func (h promHist) since(earlier promHist) promHist {
	d := make(promHist, len(h))
	for b, v := range h {
		d[b] = v - earlier[b]
	}
	return d
}

// quantile estimates the q-quantile as Prometheus's histogram_quantile
// does: linear within the bucket it falls in, the lowest bucket starting
// at 0, and the highest finite bound when it falls in +Inf. NaN with no
// observations.
func (h promHist) quantile(q float64) float64 {
	bounds := make([]float64, 0, len(h))
	for b := range h {
		bounds = append(bounds, b)
	}
	slices.Sort(bounds)
	if len(bounds) == 0 {
		return math.NaN()
	}
	total := h[bounds[len(bounds)-1]]
	if total <= 0 {
		return math.NaN()
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for i, b := range bounds {
		n := h[b]
		if n >= rank {
			if math.IsInf(b, 1) {
				if i == 0 {
					return math.NaN()
				}
				return bounds[i-1]
			}
			if n == below {
				return b
			}
			return lower + (b-lower)*(rank-below)/(n-below)
		}
		lower, below = b, n
	}
	return bounds[len(bounds)-1]
}

// quantileMs is h's q-quantile in milliseconds, 0 with no observations
// (JSON has no NaN).
func quantileMs(h promHist, q float64) float64 {
	v := h.quantile(q)
	if math.IsNaN(v) {
		return 0
	}
	return v * 1000
}
