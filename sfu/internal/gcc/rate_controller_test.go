// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package gcc

import (
	"testing"
	"time"
)

func TestRateControllerRun(t *testing.T) {
	cases := []struct {
		name           string
		initialBitrate int
		usage          []usage
		expected       []DelayStats
	}{
		{
			name:           "empty",
			initialBitrate: 100_000,
			usage:          []usage{},
			expected:       []DelayStats{},
		},
		{
			name:           "increasesMultiplicativelyBy8000",
			initialBitrate: 100_000,
			usage:          []usage{usageNormal, usageNormal},
			expected: []DelayStats{{
				Usage:         usageNormal,
				State:         stateIncrease,
				TargetBitrate: 108_000,
				Estimate:      0,
				Threshold:     0,
			}},
		},
	}

	t0 := time.Time{}
	mockNoFn := func() time.Time {
		t0 = t0.Add(100 * time.Millisecond)

		return t0
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := make(chan DelayStats)
			dc := newRateController(mockNoFn, 100_000, 1_000, 50_000_000, func(ds DelayStats) {
				out <- ds
			})
			in := make(chan DelayStats)
			dc.onReceivedRate(100_000)
			dc.updateRTT(300 * time.Millisecond)
			go func() {
				defer close(out)
				for _, state := range tc.usage {
					dc.onDelayStats(DelayStats{
						Measurement:   0,
						Estimate:      0,
						Threshold:     0,
						Usage:         state,
						State:         0,
						TargetBitrate: 0,
					})
				}
				close(in)
			}()
			received := []DelayStats{}
			for ds := range out {
				received = append(received, ds)
			}
			if len(tc.expected) > 0 {
				assert.Equal(t, tc.expected[0], received[0])
			}
		})
	}
}

// Cầu: TestRateControllerHoldPublishes: in hold (the delay falling) the
// target stays and the figures are still written, so GetStats and the
// loss-based estimate do not stand still while a queue drains.
func TestRateControllerHoldPublishes(t *testing.T) {
	var got []DelayStats
	rc := newRateController(time.Now, 300_000, 1_000, 50_000_000, func(ds DelayStats) { got = append(got, ds) })
	rc.onReceivedRate(250_000)
	rc.onDelayStats(DelayStats{Usage: usageNormal}) // the first initialises
	rc.onDelayStats(DelayStats{Usage: usageOver, Estimate: 20 * time.Millisecond})
	rc.onDelayStats(DelayStats{Usage: usageUnder, Estimate: -15 * time.Millisecond})
	rc.onDelayStats(DelayStats{Usage: usageUnder, Estimate: -8 * time.Millisecond})
	if len(got) != 3 {
		t.Fatalf("%d updates written for a decrease and two holds, want 3: %+v", len(got), got)
	}
	if got[0].State != stateDecrease || got[0].TargetBitrate != 212_500 {
		t.Errorf("overuse: %v at %d, want decrease to 0.85 × 250 kbit/s", got[0].State, got[0].TargetBitrate)
	}
	for _, ds := range got[1:] {
		if ds.State != stateHold || ds.Usage != usageUnder || ds.TargetBitrate != 212_500 {
			t.Errorf("underuse: %v/%v at %d, want hold at the decreased target 212500", ds.State, ds.Usage, ds.TargetBitrate)
		}
	}
	if got[2].Estimate != -8*time.Millisecond {
		t.Errorf("hold wrote estimate %v, want the latest, -8ms", got[2].Estimate)
	}
}
