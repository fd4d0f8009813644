package loadtest

import (
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	h := NewHistogram()
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond * 10) // 10 µs … 10 ms, uniform
	}
	check := func(q float64, want time.Duration) {
		t.Helper()
		got := h.Quantile(q)
		if got < want || float64(got) > float64(want)*1.03 {
			t.Errorf("q%.2f = %s, want %s within +3%%", q, got, want)
		}
	}
	check(0.5, 5*time.Millisecond)
	check(0.99, 9900*time.Microsecond)
	if h.Max() != 10*time.Millisecond || h.Quantile(1) != 10*time.Millisecond {
		t.Errorf("max %s, q1 %s, want 10ms", h.Max(), h.Quantile(1))
	}
	if NewHistogram().Quantile(0.5) != 0 {
		t.Error("empty histogram quantile != 0")
	}
	o := NewHistogram()
	o.Record(time.Second)
	h.Merge(o)
	if h.Count() != 1001 || h.Max() != time.Second {
		t.Errorf("after merge count %d max %s", h.Count(), h.Max())
	}
}
