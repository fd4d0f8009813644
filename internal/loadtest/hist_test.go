package loadtest

import (
	"sync"
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

func TestHistogramSince(t *testing.T) {
	h := NewHistogram()
	for range 100 {
		h.Record(300 * time.Millisecond) // the start of a run, before it settles
	}
	before := h.Clone()
	for i := 1; i <= 100; i++ {
		h.Record(time.Duration(i) * 100 * time.Microsecond) // 0.1 … 10 ms
	}
	w := h.Since(before)
	if w.Count() != 100 {
		t.Fatalf("window count %d, want 100", w.Count())
	}
	if q := w.Quantile(0.99); q < 9900*time.Microsecond || q > 10300*time.Microsecond {
		t.Errorf("window p99 %s, want about 9.9 ms (the earlier 300 ms left out)", q)
	}
	if m := w.Max(); m < 10*time.Millisecond || m > 10300*time.Microsecond {
		t.Errorf("window max %s, want about 10 ms", m)
	}
	if h.Count() != 200 || h.Since(nil).Count() != 200 {
		t.Errorf("the histogram itself changed: %d", h.Count())
	}
}

// TestHistogramConcurrentRecords: records from many goroutines at once
// are all counted (Record takes no lock).
func TestHistogramConcurrentRecords(t *testing.T) {
	h := NewHistogram()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				h.Record(time.Duration(g*1000+i) * time.Microsecond)
			}
		}()
	}
	wg.Wait()
	if h.Count() != 8000 || h.Max() != 7999*time.Microsecond {
		t.Errorf("count %d max %s, want 8000 and 7.999ms", h.Count(), h.Max())
	}
}

func BenchmarkHistogramRecordParallel(b *testing.B) {
	h := NewHistogram()
	b.RunParallel(func(pb *testing.PB) {
		d := 300 * time.Microsecond
		for pb.Next() {
			h.Record(d)
			d += time.Microsecond
		}
	})
}
