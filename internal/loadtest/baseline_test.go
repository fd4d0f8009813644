package loadtest

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestReadProcSelf(t *testing.T) {
	a, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if a.RSSBytes < 1<<20 {
		t.Fatalf("RSS %d bytes, want at least 1 MiB for a Go test binary", a.RSSBytes)
	}
	// Burn some CPU so the second sample moves.
	deadline := time.Now().Add(100 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	b, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if b.CPU <= a.CPU || CPUCores(a, b) <= 0 {
		t.Fatalf("CPU did not advance: %s → %s (x=%d)", a.CPU, b.CPU, x)
	}
}

func TestUDPBaselineCountsPackets(t *testing.T) {
	pps, err := UDPBaseline(context.Background(), 1200, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if pps < 1000 {
		t.Fatalf("loopback carried %.0f packets/s, want at least 1000", pps)
	}
}
