// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package gcc

import (
	"math"
	"sync"
	"time"
)

const (
	decreaseEMAAlpha = 0.95
	beta             = 0.85
	// Cầu: appLimitedDelivered: the link delivered at least this share of
	// the rate the acknowledged packets were sent at; then the received
	// rate is what the sender sent, not what the link can carry (see
	// decrease).
	appLimitedDelivered = 0.9
)

type rateController struct {
	now                  now
	initialTargetBitrate int
	minBitrate           int
	maxBitrate           int

	dsWriter func(DelayStats)

	lock               sync.Mutex
	init               bool
	delayStats         DelayStats
	target             int
	lastUpdate         time.Time
	lastState          state
	latestRTT          time.Duration
	latestReceivedRate int
	latestDecreaseRate *exponentialMovingAverage

	// Cầu: latestSentRate is the rate the acknowledged packets were sent
	// at; lastAppLimitedCut the last decrease from the target (decrease).
	latestSentRate    int
	lastAppLimitedCut time.Time
	// groupNow is onDelayStats' clock (pion read time.Now there; the
	// delay controller's gives the time of the feedback being read).
	groupNow now
}

type exponentialMovingAverage struct {
	average      float64
	variance     float64
	stdDeviation float64
}

func (a *exponentialMovingAverage) update(value float64) {
	if a.average == 0.0 {
		a.average = value
	} else {
		x := value - a.average
		a.average += decreaseEMAAlpha * x
		a.variance = (1 - decreaseEMAAlpha) * (a.variance + decreaseEMAAlpha*x*x)
		a.stdDeviation = math.Sqrt(a.variance)
	}
}

func newRateController(
	now now, initialTargetBitrate, minBitrate, maxBitrate int, dsw func(DelayStats),
) *rateController {
	return &rateController{
		now:                  now,
		initialTargetBitrate: initialTargetBitrate,
		minBitrate:           minBitrate,
		maxBitrate:           maxBitrate,
		dsWriter:             dsw,
		init:                 false,
		delayStats:           DelayStats{},
		target:               initialTargetBitrate,
		lastUpdate:           time.Time{},
		lastState:            stateIncrease,
		latestRTT:            0,
		latestReceivedRate:   0,
		latestDecreaseRate:   &exponentialMovingAverage{},
		groupNow:             time.Now,
	}
}

func (c *rateController) onReceivedRate(rate int) {
	c.lock.Lock()
	defer c.lock.Unlock()
	c.latestReceivedRate = rate
}

// onSentRate notes the rate the acknowledged packets were sent at (Cầu).
func (c *rateController) onSentRate(rate int) {
	c.lock.Lock()
	defer c.lock.Unlock()
	c.latestSentRate = rate
}

// rates is the rate the acknowledged packets arrived at and the rate they
// were sent at (lost ones too), each over the rate calculators' window, 0
// before any (Cầu).
func (c *rateController) rates() (received, sent int) {
	c.lock.Lock()
	defer c.lock.Unlock()

	return c.latestReceivedRate, c.latestSentRate
}

func (c *rateController) updateRTT(rtt time.Duration) {
	c.lock.Lock()
	defer c.lock.Unlock()
	c.latestRTT = rtt
}

func (c *rateController) onDelayStats(ds DelayStats) {
	now := c.groupNow()

	if !c.init {
		c.delayStats = ds
		c.delayStats.State = stateIncrease
		c.init = true

		return
	}
	c.delayStats = ds
	c.delayStats.State = c.delayStats.State.transition(ds.Usage)

	if c.delayStats.State == stateHold {
		// Cầu: hold keeps the target, and now says so. Pion returned
		// without writing, and what it writes is all SendSideBWE updates
		// on: the figures of GetStats (usage, delay target, average loss)
		// and the estimate's loss-based part. While the delay fell (a
		// queue draining) they stood still: behind a commune line 1.5 to
		// 10 s with "overuse" and 30 % loss read long after the queue had
		// emptied, or the untested 1 Mbit/s start into a 400 kbit/s line
		// (cau loadtest --weak-share --debug, docs/performance.md).
		c.lock.Lock()
		next := ds
		next.State, next.TargetBitrate = stateHold, c.target
		c.lock.Unlock()
		c.dsWriter(next)

		return
	}

	var next DelayStats

	c.lock.Lock()

	switch c.delayStats.State {
	case stateHold:
		// should never occur due to check above, but makes the linter happy
	case stateIncrease:
		c.target = clampInt(c.increase(now), c.minBitrate, c.maxBitrate)
		next = DelayStats{
			Measurement:      c.delayStats.Measurement,
			Estimate:         c.delayStats.Estimate,
			Threshold:        c.delayStats.Threshold,
			LastReceiveDelta: c.delayStats.LastReceiveDelta,
			Usage:            c.delayStats.Usage,
			State:            c.delayStats.State,
			TargetBitrate:    c.target,
		}

	case stateDecrease:
		c.target = clampInt(c.decrease(), c.minBitrate, c.maxBitrate)
		next = DelayStats{
			Measurement:      c.delayStats.Measurement,
			Estimate:         c.delayStats.Estimate,
			Threshold:        c.delayStats.Threshold,
			LastReceiveDelta: c.delayStats.LastReceiveDelta,
			Usage:            c.delayStats.Usage,
			State:            c.delayStats.State,
			TargetBitrate:    c.target,
		}
	}

	c.lock.Unlock()

	c.dsWriter(next)
}

func (c *rateController) increase(now time.Time) int {
	if c.latestDecreaseRate.average > 0 &&
		float64(c.latestReceivedRate) > c.latestDecreaseRate.average-3*c.latestDecreaseRate.stdDeviation &&
		float64(c.latestReceivedRate) < c.latestDecreaseRate.average+3*c.latestDecreaseRate.stdDeviation {
		bitsPerFrame := float64(c.target) / 30.0
		packetsPerFrame := math.Ceil(bitsPerFrame / (1200 * 8))
		expectedPacketSizeBits := bitsPerFrame / packetsPerFrame

		responseTime := 100*time.Millisecond + c.latestRTT
		alpha := 0.5 * math.Min(float64(now.Sub(c.lastUpdate).Milliseconds())/float64(responseTime.Milliseconds()), 1.0)
		increase := int(math.Max(1000.0, alpha*expectedPacketSizeBits))
		c.lastUpdate = now

		return int(math.Min(float64(c.target+increase), 1.5*float64(c.latestReceivedRate)))
	}
	eta := math.Pow(1.08, math.Min(float64(now.Sub(c.lastUpdate).Milliseconds())/1000, 1.0))
	c.lastUpdate = now

	rate := int(eta * float64(c.target))

	// maximum increase to 1.5 * received rate
	received := int(1.5 * float64(c.latestReceivedRate))
	if rate > received && received > c.target {
		return received
	}

	if rate < c.target {
		return c.target
	}

	return rate
}

// decrease is the target after overuse: pion's, 0.85 times the received
// rate, which is the bottleneck's when a queue builds (the link delivers
// less than is sent).
//
// Cầu: not when the link delivered what was sent, below the target. An
// SFU sends what its allocator chose, discrete layers often far below the
// estimate, so the received rate is then the sender's and says nothing of
// the link; cutting to 0.85 of it cut the estimate under what flowed at
// every overuse, a delay blip with the line's queue empty included: the
// allocator then sent less, the next cut went lower, and a commune line
// carrying 388 kbit/s was left estimated at 50–100 kbit/s with its floor
// picture paused (cau loadtest --weak-share --debug, docs/performance.md).
// Then the cut is from the target itself, at most once per round trip
// (10–200 ms), as libwebrtc backs off in its application-limited region;
// a real queue shows up again as more overuse, and the next cut follows.
func (c *rateController) decrease() int {
	now := c.now()
	received := float64(c.latestReceivedRate)
	if c.latestSentRate > 0 && received >= appLimitedDelivered*float64(c.latestSentRate) && received < float64(c.target) {
		if now.Sub(c.lastAppLimitedCut) < clampDuration(c.latestRTT, 10*time.Millisecond, 200*time.Millisecond) {
			return c.target
		}
		c.lastAppLimitedCut = now
		c.lastUpdate = now

		return int(beta * float64(c.target))
	}
	target := int(beta * received)
	c.latestDecreaseRate.update(received)
	c.lastUpdate = now

	return target
}
