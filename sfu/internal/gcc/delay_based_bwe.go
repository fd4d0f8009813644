// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package gcc

import (
	"sync"
	"time"

	"github.com/pion/logging"
)

// DelayStats contains some internal statistics of the delay based congestion
// controller.
type DelayStats struct {
	Measurement      time.Duration
	Estimate         time.Duration
	Threshold        time.Duration
	LastReceiveDelta time.Duration

	Usage         usage
	State         state
	TargetBitrate int
}

type now func() time.Time

// delayController is pion's with its two goroutines taken out (Cầu):
// pion handed each feedback's acknowledgments over unbuffered channels to
// a goroutine accumulating arrival groups and one calculating the
// received rate, two hops per feedback and a WriteRTCP that waited for
// both. Here WriteRTCP's goroutine runs both, in libwebrtc's order (the
// received rate first, then the delay-based estimate, which uses it),
// under a mutex for feedback read from several goroutines.
type delayController struct {
	mu   sync.Mutex
	rate *rateCalculator
	// Cầu: sent is the rate the acknowledged packets left at (lost ones
	// too), beside rate, the rate they arrived at (see
	// rateController.decrease).
	sent *rateCalculator
	aga  *arrivalGroupAccumulator
	// onArrivalGroup is the slope estimator's.
	onArrivalGroup func(arrivalGroup)

	*rateController

	onUpdateCallback func(DelayStats)

	// at is when the feedback being read arrived (Cầu): the threshold,
	// the overuse detector and the rate controller read it for each
	// arrival group, where pion read the clock three times a group (a
	// subscriber's feedback closes about eight). The readings of one
	// feedback differed by microseconds of processing, and each of them
	// counts whole milliseconds.
	at time.Time
}

type delayControllerConfig struct {
	nowFn          now
	initialBitrate int
	minBitrate     int
	maxBitrate     int
}

func newDelayController(delayConfig delayControllerConfig, loggerFactory logging.LoggerFactory) *delayController {
	delayController := &delayController{
		rateController:   nil,
		onUpdateCallback: nil,
	}

	rateController := newRateController(
		delayConfig.nowFn, delayConfig.initialBitrate, delayConfig.minBitrate, delayConfig.maxBitrate,
		func(ds DelayStats) {
			// Cầu: pion logged ds here at info, for every arrival group;
			// the argument's boxing allocated whether or not the line
			// was written (TestWriteTransportCCAllocatesNothing).
			if delayController.onUpdateCallback != nil {
				delayController.onUpdateCallback(ds)
			}
		},
	)
	delayController.rateController = rateController
	feedbackTime := func() time.Time { return delayController.at }
	rateController.groupNow = feedbackTime
	threshold := newAdaptiveThreshold()
	threshold.now = feedbackTime
	overuseDetector := newOveruseDetector(threshold, 10*time.Millisecond, rateController.onDelayStats)
	overuseDetector.now = feedbackTime
	slopeEstimator := newSlopeEstimator(newKalman(), overuseDetector.onDelayStats)
	delayController.aga = newArrivalGroupAccumulator()
	delayController.onArrivalGroup = slopeEstimator.onArrivalGroup
	delayController.rate = newRateCalculator(500 * time.Millisecond)
	delayController.sent = newRateCalculator(500 * time.Millisecond)
	delayController.sent.byDeparture = true

	return delayController
}

func (d *delayController) onUpdate(f func(DelayStats)) {
	d.onUpdateCallback = f
}

// updateDelayEstimate reads one feedback's acknowledgments, received at
// now.
func (d *delayController) updateDelayEstimate(now time.Time, acks []Acknowledgment) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.at = now
	// Cầu: the rate controller reads the two rates only when an arrival
	// group closes (aga, below), after both calculators have run, so
	// each one's last rate of the feedback is stored, once: pion stored
	// every acknowledgment's, each under the controller's lock.
	var received, sent int
	gotReceived, gotSent := false, false
	d.rate.onAcks(acks, func(r int) { received, gotReceived = r, true })
	d.sent.onAcks(acks, func(r int) { sent, gotSent = r, true })
	if gotReceived {
		d.rateController.onReceivedRate(received)
	}
	if gotSent {
		d.rateController.onSentRate(sent)
	}
	d.aga.onAcks(acks, d.onArrivalGroup)
}

// Close has nothing to stop (pion's closed the goroutines' channels).
func (d *delayController) Close() error {
	return nil
}
