// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package gcc

import (
	"errors"
	"math"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

const (
	transportCCURI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
	latestBitrate  = 10_000
	minBitrate     = 5_000
	maxBitrate     = 50_000_000
)

// ErrSendSideBWEClosed is raised when SendSideBWE.WriteRTCP is called after SendSideBWE.Close.
var ErrSendSideBWEClosed = errors.New("SendSideBwe closed")

// Pacer is the interface implemented by packet pacers.
type Pacer interface {
	interceptor.RTPWriter
	AddStream(ssrc uint32, writer interceptor.RTPWriter)
	SetTargetBitrate(int)
	Close() error
}

// Stats contains internal statistics of the bandwidth estimator.
type Stats struct {
	LossStats
	DelayStats
}

// SendSideBWE implements a combination of loss and delay based GCC.
type SendSideBWE struct {
	pacer           Pacer
	lossController  *lossBasedBandwidthEstimator
	delayController *delayController
	feedbackAdapter *FeedbackAdapter

	onTargetBitrateChange func(bitrate int)

	lock          sync.Mutex
	latestStats   Stats
	latestBitrate int
	minBitrate    int
	maxBitrate    int

	close     chan struct{}
	closeLock sync.RWMutex

	loggerFactory logging.LoggerFactory
}

// Option configures a bandwidth estimator.
type Option func(*SendSideBWE) error

// SendSideBWEInitialBitrate sets the initial bitrate of new GCC interceptors.
func SendSideBWEInitialBitrate(rate int) Option {
	return func(e *SendSideBWE) error {
		e.latestBitrate = rate

		return nil
	}
}

// SendSideBWEMaxBitrate sets the initial bitrate of new GCC interceptors.
func SendSideBWEMaxBitrate(rate int) Option {
	return func(e *SendSideBWE) error {
		e.maxBitrate = rate

		return nil
	}
}

// SendSideBWEMinBitrate sets the initial bitrate of new GCC interceptors.
func SendSideBWEMinBitrate(rate int) Option {
	return func(e *SendSideBWE) error {
		e.minBitrate = rate

		return nil
	}
}

// SendSideBWEPacer sets the pacing algorithm to use.
func SendSideBWEPacer(p Pacer) Option {
	return func(e *SendSideBWE) error {
		e.pacer = p

		return nil
	}
}

// WithLoggerFactory sets the logger factory for the bandwidth estimator.
func WithLoggerFactory(factory logging.LoggerFactory) Option {
	return func(e *SendSideBWE) error {
		e.loggerFactory = factory

		return nil
	}
}

// NewSendSideBWE creates a new sender side bandwidth estimator.
func NewSendSideBWE(opts ...Option) (*SendSideBWE, error) {
	send := &SendSideBWE{
		pacer:                 nil,
		lossController:        nil,
		delayController:       nil,
		feedbackAdapter:       NewFeedbackAdapter(),
		onTargetBitrateChange: nil,
		lock:                  sync.Mutex{},
		latestStats:           Stats{},
		latestBitrate:         latestBitrate,
		minBitrate:            minBitrate,
		maxBitrate:            maxBitrate,
		close:                 make(chan struct{}),
	}
	for _, opt := range opts {
		if err := opt(send); err != nil {
			return nil, err
		}
	}
	if send.loggerFactory == nil {
		send.loggerFactory = logging.NewDefaultLoggerFactory()
	}
	if send.pacer == nil {
		send.pacer = NewNoOpPacer() // pion: its leaky bucket, not copied
	}
	send.lossController = newLossBasedBWE(send.latestBitrate)
	send.delayController = newDelayController(delayControllerConfig{
		nowFn:          time.Now,
		initialBitrate: send.latestBitrate,
		minBitrate:     send.minBitrate,
		maxBitrate:     send.maxBitrate,
	}, send.loggerFactory)

	send.delayController.onUpdate(send.onDelayUpdate)

	return send, nil
}

// AddStream adds a new stream to the bandwidth estimator.
func (e *SendSideBWE) AddStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	var hdrExtID uint8
	for _, e := range info.RTPHeaderExtensions {
		if e.URI == transportCCURI {
			hdrExtID = uint8(e.ID) //nolint:gosec // G115

			break
		}
	}

	// Without the extension nothing is recorded (pion recorded the RTP
	// sequence number for RFC 8888 feedback).
	e.pacer.AddStream(info.SSRC, interceptor.RTPWriterFunc(
		func(header *rtp.Header, payload []byte, attributes interceptor.Attributes) (int, error) {
			if hdrExtID != 0 {
				if err := e.feedbackAdapter.OnSent(time.Now(), header, len(payload), hdrExtID); err != nil {
					return 0, err
				}
			}

			return writer.Write(header, payload, attributes)
		},
	))

	return e.pacer
}

// RecordSent records a packet of size bytes (header and payload) sent
// at departure under transport-wide sequence number seq, for a writer
// that sends without the stream writer AddStream returns (the SFU's fast
// write path, which also knows the number it wrote and the time its
// batch leaves). A packet is recorded once: either here or by that
// writer.
func (e *SendSideBWE) RecordSent(departure time.Time, seq uint16, size int) {
	e.feedbackAdapter.OnSentSeq(departure, seq, size)
}

// Recorder is the history RecordSent records in (Cầu): a writer that
// records every packet it sends keeps it, and follows one pointer fewer
// per packet (its OnSentSeq is RecordSent).
func (e *SendSideBWE) Recorder() *FeedbackAdapter {
	return e.feedbackAdapter
}

// WriteRTCP adds some RTCP feedback to the bandwidth estimator.
//
//nolint:cyclop
func (e *SendSideBWE) WriteRTCP(pkts []rtcp.Packet, _ interceptor.Attributes) error {
	now := time.Now()
	e.closeLock.RLock()
	defer e.closeLock.RUnlock()

	if e.isClosed() {
		return ErrSendSideBWEClosed
	}

	for _, pkt := range pkts {
		fb, ok := pkt.(*rtcp.TransportLayerCC)
		if !ok {
			continue
		}
		acks, err := e.feedbackAdapter.OnTransportCCFeedback(now, fb)
		if err != nil {
			return err
		}
		e.onAcks(now, acks)
	}

	return nil
}

// onAcks updates the estimates with one feedback's acknowledgments,
// received at now. Cầu: WriteRTCP's loop body, shared with
// WriteTransportCC.
func (e *SendSideBWE) onAcks(now time.Time, acks []Acknowledgment) {
	var feedbackSentTime time.Time
	for i, ack := range acks {
		if i == 0 {
			feedbackSentTime = ack.Arrival

			continue
		}
		if ack.Arrival.After(feedbackSentTime) {
			feedbackSentTime = ack.Arrival
		}
	}

	feedbackMinRTT := time.Duration(math.MaxInt)
	for _, ack := range acks {
		if ack.Arrival.IsZero() {
			continue
		}
		pendingTime := feedbackSentTime.Sub(ack.Arrival)
		rtt := now.Sub(ack.Departure) - pendingTime
		feedbackMinRTT = time.Duration(min(int(rtt), int(feedbackMinRTT)))
	}
	if feedbackMinRTT < math.MaxInt {
		e.delayController.updateRTT(feedbackMinRTT)
	}

	e.lossController.updateLossEstimate(now, acks)
	e.delayController.updateDelayEstimate(now, acks)
}

// GetTargetBitrate returns the current target bitrate in bits per second.
func (e *SendSideBWE) GetTargetBitrate() int {
	e.lock.Lock()
	defer e.lock.Unlock()

	return e.latestBitrate
}

// GetStats returns some internal statistics of the bandwidth estimator.
// Cầu: "acknowledged" counts the acknowledgments feedback has matched in
// the history so far (int64): feedback that matched nothing moved none of
// the other figures. "receivedBitrate" and "sentBitrate" (int, bit/s) are
// the rates the acknowledged packets arrived at and were sent at, lost
// ones counted as sent, over the last 500 ms of each: a link that
// delivers less than it is sent is queueing (or dropping) the difference.
func (e *SendSideBWE) GetStats() map[string]any {
	s, latest := e.signals()

	return map[string]any{
		"acknowledged":       s.Acknowledged,
		"receivedBitrate":    s.ReceivedBitrate,
		"sentBitrate":        s.SentBitrate,
		"lossTargetBitrate":  latest.LossStats.TargetBitrate,
		"averageLoss":        s.AverageLoss,
		"delayTargetBitrate": s.DelayTargetBitrate,
		"delayMeasurement":   float64(latest.Measurement.Microseconds()) / 1000.0,
		"delayEstimate":      float64(s.DelayEstimate.Microseconds()) / 1000.0,
		"delayThreshold":     float64(s.DelayThreshold.Microseconds()) / 1000.0,
		"usage":              latest.Usage.String(),
		"state":              latest.State.String(),
	}
}

// Signals are the figures of GetStats an allocator reads on every
// allocation, as they are there (Cầu): GetStats makes a map of eleven
// boxed values, about fourteen allocations, and the SFU reads it four
// times a second for each subscriber.
type Signals struct {
	Acknowledged       int64   // GetStats' "acknowledged"
	ReceivedBitrate    int     // "receivedBitrate", bit/s
	SentBitrate        int     // "sentBitrate", bit/s
	AverageLoss        float64 // "averageLoss", a fraction
	DelayTargetBitrate int     // "delayTargetBitrate", bit/s
	// DelayEstimate and DelayThreshold are "delayEstimate" and
	// "delayThreshold" (which give milliseconds, to the microsecond).
	DelayEstimate, DelayThreshold time.Duration
	Overuse                       bool // "usage" is "overuse"
}

// Signals gives GetStats' figures an allocator reads, without the map.
func (e *SendSideBWE) Signals() Signals {
	s, _ := e.signals()

	return s
}

func (e *SendSideBWE) signals() (Signals, Stats) {
	e.feedbackAdapter.lock.Lock()
	acked := e.feedbackAdapter.acked
	e.feedbackAdapter.lock.Unlock()
	// Before e.lock: the rate controller's callback takes e.lock.
	received, sent := e.delayController.rates()
	e.lock.Lock()
	latest := e.latestStats
	e.lock.Unlock()

	return Signals{
		Acknowledged:       acked,
		ReceivedBitrate:    received,
		SentBitrate:        sent,
		AverageLoss:        latest.AverageLoss,
		DelayTargetBitrate: latest.DelayStats.TargetBitrate,
		DelayEstimate:      latest.Estimate,
		DelayThreshold:     latest.Threshold,
		Overuse:            latest.Usage == usageOver,
	}, latest
}

// OnTargetBitrateChange sets the callback that is called when the target
// bitrate in bits per second changes. Cầu: it is called in the goroutine
// that gave the feedback (WriteRTCP's, WriteTransportCC's caller), once
// per change and in order, so it must not block; pion started a
// goroutine per change, and GCC's target changes on most feedback
// (docs/performance.md, "Fan-out CPU, session 8").
func (e *SendSideBWE) OnTargetBitrateChange(f func(bitrate int)) {
	e.onTargetBitrateChange = f
}

// isClosed returns true if SendSideBWE is closed.
func (e *SendSideBWE) isClosed() bool {
	select {
	case <-e.close:
		return true
	default:
		return false
	}
}

// Close stops and closes the bandwidth estimator.
func (e *SendSideBWE) Close() error {
	e.closeLock.Lock()
	defer e.closeLock.Unlock()

	if err := e.delayController.Close(); err != nil {
		return err
	}
	close(e.close)

	return e.pacer.Close()
}

func (e *SendSideBWE) onDelayUpdate(delayStats DelayStats) {
	e.lock.Lock()

	lossStats := e.lossController.getEstimate(delayStats.TargetBitrate)
	bitrateChanged := false
	bitrate := min(delayStats.TargetBitrate, lossStats.TargetBitrate)
	if bitrate != e.latestBitrate {
		bitrateChanged = true
		e.latestBitrate = bitrate
		e.pacer.SetTargetBitrate(e.latestBitrate)
	}

	e.latestStats = Stats{
		LossStats:  lossStats,
		DelayStats: delayStats,
	}
	changed := e.onTargetBitrateChange
	e.lock.Unlock()

	if bitrateChanged && changed != nil {
		changed(bitrate)
	}
}
