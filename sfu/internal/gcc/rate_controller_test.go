// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package gcc

import (
	"slices"
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

// Cầu: TestRateControllerAppLimitedDecrease: overuse while the link
// delivers what is sent, well below the target, cuts from the target
// (once a round trip); overuse while it delivers less than is sent cuts
// to 0.85 of what it delivers, as pion did.
func TestRateControllerAppLimitedDecrease(t *testing.T) {
	clock := time.Unix(1000, 0)
	now := func() time.Time { return clock }
	var got []int
	setup := func(target, sent, received int) *rateController {
		got = nil
		rc := newRateController(now, target, 1_000, 50_000_000, func(ds DelayStats) { got = append(got, ds.TargetBitrate) })
		rc.updateRTT(100 * time.Millisecond)
		rc.onSentRate(sent)
		rc.onReceivedRate(received)
		rc.onDelayStats(DelayStats{Usage: usageNormal}) // the first initialises

		return rc
	}
	over := func(rc *rateController, after time.Duration) {
		clock = clock.Add(after)
		rc.onDelayStats(DelayStats{Usage: usageOver})
	}

	// An SFU sending 210 kbit/s of layers on an estimate of 400 kbit/s,
	// all of it delivered.
	rc := setup(400_000, 210_000, 200_000)
	over(rc, 0)
	over(rc, 10*time.Millisecond)  // within the round trip: no further cut
	over(rc, 100*time.Millisecond) // a round trip later: 0.85 again
	if want := []int{340_000, 340_000, 289_000}; !slices.Equal(got, want) {
		t.Errorf("app-limited overuse: targets %v, want %v (from the target, once a round trip)", got, want)
	}

	// A queue building: 600 kbit/s sent, 380 delivered.
	rc = setup(1_000_000, 600_000, 380_000)
	over(rc, 0)
	over(rc, 10*time.Millisecond)
	if want := []int{323_000, 323_000}; !slices.Equal(got, want) {
		t.Errorf("congested overuse: targets %v, want %v (0.85 of what was delivered)", got, want)
	}
}
