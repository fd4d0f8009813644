package loadtest

import (
	"context"
	"testing"
	"time"
)

// BenchmarkUDPLoopback reports the raw loopback packet rate of this
// machine (1200-byte packets, one sender goroutine): the baseline that
// forwarding figures are compared against.
func BenchmarkUDPLoopback(b *testing.B) {
	for i := 0; i < b.N; i++ {
		pps, err := UDPBaseline(context.Background(), 1200, time.Second)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(pps, "pkts/s")
	}
}
