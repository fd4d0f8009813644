package loadtest

import (
	"context"
	"math"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// TestForwardDelayScrape reads the SFU's forward delay histogram from a
// real /metrics page as the Prometheus client writes it, and takes the
// window's quantiles from two scrapes as histogram_quantile would.
func TestForwardDelayScrape(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "cau", Subsystem: "sfu", Name: "forward_delay_seconds",
		Buckets: []float64{50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3}})
	reg.MustRegister(h)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	ctx := context.Background()

	// Before the window: 1,000 slow writes, which the window must leave out.
	for range 1000 {
		h.Observe(0.040)
	}
	m0, err := scrapeSFU(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	// The window: 900 writes at 80 µs (50–100 µs bucket), 90 at 3 ms
	// (2.5–5 ms) and 10 at 200 ms (past the last bound).
	for range 900 {
		h.Observe(80e-6)
	}
	for range 90 {
		h.Observe(3e-3)
	}
	for range 10 {
		h.Observe(0.2)
	}
	m1, err := scrapeSFU(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	d := m1.forwardDelay.since(m0.forwardDelay)
	for _, c := range []struct {
		q, want float64 // ms
	}{
		{0.5, 0.05 + 0.05*500/900}, // rank 500 of the 900 in 50–100 µs
		{0.9, 0.1},                 // exactly the 900th: that bucket's top
		{0.95, 2.5 + 2.5*50/90},    // rank 950: 50 of the 90 in 2.5–5 ms
		{0.999, 50},                // in +Inf: the highest finite bound
	} {
		if got := quantileMs(d, c.q); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("q%.3f = %.6f ms, want %.6f", c.q, got, c.want)
		}
	}
	if got := quantileMs(m0.forwardDelay.since(m0.forwardDelay), 0.99); got != 0 {
		t.Errorf("an empty window's p99 = %v, want 0", got)
	}
	if _, ok := m1.forwardDelay[math.Inf(1)]; !ok || len(m1.forwardDelay) != 11 {
		t.Errorf("buckets read: %v, want the 10 bounds and +Inf", m1.forwardDelay)
	}
}
