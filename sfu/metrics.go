package sfu

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the SFU's Prometheus series, all prefixed cau_sfu_.
type metrics struct {
	rooms, participants, tracks     prometheus.Gauge
	packetsIn, packetsOut, bytesOut prometheus.Counter
	dropped, nacks, nacksAnswered   prometheus.Counter
	plis, layerSwitches             prometheus.Counter
	keyframeReplays                 prometheus.Counter
	forwardDelay                    prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	ns := "cau_sfu"
	g := func(n, h string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: n, Help: h})
	}
	c := func(n, h string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: n, Help: h})
	}
	m := &metrics{
		rooms:           g("rooms", "Rooms with at least one participant."),
		participants:    g("participants", "Participants in all rooms, including those within their reconnect grace."),
		tracks:          g("tracks", "Published tracks."),
		packetsIn:       c("packets_received_total", "RTP packets received from publishers."),
		packetsOut:      c("packets_forwarded_total", "RTP packets sent to subscribers, retransmissions included."),
		bytesOut:        c("bytes_forwarded_total", "RTP bytes sent to subscribers (payload and fixed header)."),
		dropped:         c("packets_dropped_total", "Packets dropped because a subscriber's writer queue was full."),
		nacks:           c("nacks_received_total", "Sequence numbers NACKed by subscribers."),
		nacksAnswered:   c("nacks_answered_total", "NACKed packets retransmitted from the cache."),
		plis:            c("keyframe_requests_total", "PLIs sent to publishers (after throttling)."),
		layerSwitches:   c("layer_switches_total", "Simulcast layer or floor source switches of down tracks."),
		keyframeReplays: c("keyframe_replays_total", "Down tracks started from a cached key frame instead of a PLI."),
		forwardDelay: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "forward_delay_seconds",
			Help:    "Time from reading a packet from a publisher to writing it to a subscriber.",
			Buckets: []float64{50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3}}),
	}
	if reg == nil {
		return m, nil
	}
	for _, col := range []prometheus.Collector{m.rooms, m.participants, m.tracks, m.packetsIn, m.packetsOut, m.bytesOut,
		m.dropped, m.nacks, m.nacksAnswered, m.plis, m.layerSwitches, m.keyframeReplays, m.forwardDelay} {
		if err := reg.Register(col); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
		}
	}
	return m, nil
}
