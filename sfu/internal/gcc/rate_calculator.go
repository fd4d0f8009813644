// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package gcc

import (
	"time"
)

// Matches libwebrtc's RobustThroughputEstimatorSettings::max_window_packets.
// https://webrtc.googlesource.com/src/+/refs/heads/main/modules/congestion_controller/goog_cc/acknowledged_bitrate_estimator_interface.h
const maxRateHistoryPackets = 500

// Matches libwebrtc's RobustThroughputEstimator::kMaxReorderingTime.
const maxRateReorderingTime = time.Second

type rateCalculator struct {
	window time.Duration
	// Cầu: byDeparture counts each acknowledgment at its departure, not
	// its arrival: the rate the packets were sent at. The delay controller
	// copied every feedback's acknowledgments with Arrival = Departure
	// for it, 1.5 KB more written and read per feedback.
	byDeparture bool

	// Cầu: run's state, kept here for onAcks.
	history rateHistory
	init    bool
}

// rateSample is one packet of the history. Cầu: its time is nanoseconds
// from the history's epoch (pion: a time.Time, 24 bytes, 32 a sample), so
// a sample is 16 bytes: each feedback writes its 20-odd packets' samples
// and trims as many in two rings per subscriber, cold in the cache by the
// next feedback, and the rings' lines were most of the rate calculators'
// cost in the SFU's fan-out (docs/performance.md, "Fan-out CPU, session 11").
type rateSample struct {
	at   int64 // ns since rateHistory.epoch
	size int
}

type rateHistory struct {
	samples [maxRateHistoryPackets]rateSample
	start   int
	count   int
	sum     int
	// epoch is the time of the first sample since the history was last
	// emptied by a reordering; samples are offsets from it.
	epoch time.Time
}

func (h *rateHistory) add(next Acknowledgment, window time.Duration) bool {
	return h.addAt(next.Arrival, next.Size, window)
}

// addAt adds a packet of size bytes at t (its arrival, or its departure
// for the sent rate); false: it fell out of the window or the full history.
func (h *rateHistory) addAt(t time.Time, size int, window time.Duration) bool {
	if h.epoch.IsZero() {
		h.epoch = t
	}
	at := int64(t.Sub(h.epoch))
	latest := at
	if h.count > 0 {
		previous := h.latest()
		if previous-at > int64(maxRateReorderingTime) {
			*h = rateHistory{epoch: t}
			at, latest = 0, 0
		} else if previous > latest {
			latest = previous
		}
	}
	deadline := latest - int64(window)
	if at < deadline {
		return false
	}
	h.trim(deadline)
	if h.count == len(h.samples) {
		if at < h.samples[h.start].at {
			return false
		}
		h.removeOldest()
	}
	h.insert(rateSample{at: at, size: size})

	return true
}

// latest is the latest sample's offset from the epoch.
func (h *rateHistory) latest() int64 {
	return h.samples[(h.start+h.count-1)%len(h.samples)].at
}

// latestArrival is the latest sample's time.
func (h *rateHistory) latestArrival() time.Time {
	return h.time(h.count - 1)
}

// time is the time of the i-th sample from the oldest.
func (h *rateHistory) time(i int) time.Time {
	return h.epoch.Add(time.Duration(h.samples[(h.start+i)%len(h.samples)].at))
}

func (h *rateHistory) removeOldest() {
	h.sum -= h.samples[h.start].size
	h.samples[h.start] = rateSample{}
	h.start = (h.start + 1) % len(h.samples)
	h.count--
}

func (h *rateHistory) trim(deadline int64) {
	for h.count > 0 && h.samples[h.start].at < deadline {
		h.removeOldest()
	}
}

func (h *rateHistory) insert(sample rateSample) {
	position := h.count
	for position > 0 {
		previous := h.samples[(h.start+position-1)%len(h.samples)]
		if sample.at >= previous.at {
			break
		}
		h.samples[(h.start+position)%len(h.samples)] = previous
		position--
	}
	h.samples[(h.start+position)%len(h.samples)] = sample
	h.count++
	h.sum += sample.size
}

func newRateCalculator(window time.Duration) *rateCalculator {
	return &rateCalculator{
		window: window,
	}
}

func (c *rateCalculator) run(in <-chan []Acknowledgment, onRateUpdate func(int)) {
	for acks := range in {
		c.onAcks(acks, onRateUpdate)
	}
}

// onAcks is one turn of pion's run loop (Cầu: called by the delay
// controller in the feedback's goroutine).
func (c *rateCalculator) onAcks(acks []Acknowledgment, onRateUpdate func(int)) {
	for i := range acks {
		next := &acks[i]
		at := next.Arrival
		if c.byDeparture {
			at = next.Departure
		}
		if at.IsZero() {
			// Ignore packet if it didn't arrive
			continue
		}
		if !c.history.addAt(at, next.Size, c.window) {
			continue
		}

		if !c.init {
			c.init = true
			// Don't know any timeframe here, only arrival of last packet,
			// which is by definition in the window that ends with the last
			// arrival time
			onRateUpdate(next.Size * 8)

			continue
		}

		dt := time.Duration(c.history.latest() - c.history.samples[c.history.start].at)
		if dt <= 0 {
			continue
		}
		bits := 8 * c.history.sum
		rate := int(float64(bits) / dt.Seconds())
		onRateUpdate(rate)
	}
}
