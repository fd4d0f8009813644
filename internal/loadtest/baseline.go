package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"
)

// UDPBaseline measures how many packets of size bytes one goroutine can
// push through the loopback interface to another in d: the ceiling any
// forwarding on this machine works under, measured in the same run so a
// report can state ratios rather than absolute times that drift.
func UDPBaseline(ctx context.Context, size int, d time.Duration) (pps float64, err error) {
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0, fmt.Errorf("udp baseline: listen: %w", err)
	}
	defer rx.Close()
	_ = rx.SetReadBuffer(4 << 20)
	tx, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
	if err != nil {
		return 0, fmt.Errorf("udp baseline: dial: %w", err)
	}
	defer tx.Close()

	var received atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			if _, err := rx.Read(buf); err != nil {
				return
			}
			received.Add(1)
		}
	}()
	payload := make([]byte, size)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	for ctx.Err() == nil {
		// Write in bursts between context checks; a full socket buffer
		// drops, which the receiver count reflects.
		for i := 0; i < 64; i++ {
			if _, err := tx.Write(payload); err != nil && !errors.Is(err, net.ErrClosed) {
				// ECONNREFUSED and ENOBUFS are transient on loopback; keep going.
				continue
			}
		}
	}
	elapsed := time.Since(start)
	// Give the receiver a moment to drain what is in flight.
	time.Sleep(20 * time.Millisecond)
	rx.Close()
	<-done
	return float64(received.Load()) / elapsed.Seconds(), nil
}
