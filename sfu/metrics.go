package sfu

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the SFU's Prometheus series, all prefixed cau_sfu_.
type metrics struct {
	rooms, participants, tracks     prometheus.Gauge
	packetsIn, packetsOut, bytesOut prometheus.Counter
	fastOut, fastRTCP, fastRecv     prometheus.Counter
	dropped, nacks, nacksAnswered   prometheus.Counter
	nacksRepeated, nacksUnknown     prometheus.Counter
	nacksUncached, nacksOverBudget  prometheus.Counter
	plis, layerSwitches             prometheus.Counter
	keyframeReplays                 prometheus.Counter
	// Layers paused at their publisher (pause.go): now, and resumes.
	layersPaused prometheus.Gauge
	layerResumes prometheus.Counter
	redRecovered prometheus.Counter
	forwardDelay prometheus.Histogram
	// Link quality, one sample per participant per stats interval, for
	// dashboards and alerts (the operator console shows the same numbers).
	linkLoss   *prometheus.HistogramVec // direction: in (from it), out (to it)
	linkRTT    prometheus.Histogram
	floorLayer *prometheus.CounterVec // layer: high, medium, low, off
	// Relays between nodes, by link (the other node's ID) and direction
	// (out: sent to that node, in: received from it).
	relayStreams *prometheus.GaugeVec
	relayPackets *prometheus.CounterVec
	relayBytes   *prometheus.CounterVec
	// Recordings (record.go).
	recordings      prometheus.Gauge
	recordedPackets prometheus.Counter
	recordingLost   prometheus.Counter
}

// RelayMeter counts one direction of one inter-node link: the streams
// (tracks) crossing it now, and their packets and bytes.
type RelayMeter struct {
	streams prometheus.Gauge
	packets prometheus.Counter
	bytes   prometheus.Counter
}

// Stream notes a stream starting (+1) or ending (-1) on the link.
func (m *RelayMeter) Stream(delta int) {
	if m != nil {
		m.streams.Add(float64(delta))
	}
}

// Packet notes one packet of n bytes crossing the link.
func (m *RelayMeter) Packet(n int) {
	if m != nil {
		m.packets.Inc()
		m.bytes.Add(float64(n))
	}
}

// relayMeter is the meter of a link and direction ("in", "out").
func (m *metrics) relayMeter(link, direction string) *RelayMeter {
	return &RelayMeter{streams: m.relayStreams.WithLabelValues(link, direction),
		packets: m.relayPackets.WithLabelValues(link, direction), bytes: m.relayBytes.WithLabelValues(link, direction)}
}

// RelayMeter returns the meter of the link to node in direction "in" or
// "out" (sfu/relay counts what it carries up with it).
func (s *SFU) RelayMeter(node, direction string) *RelayMeter {
	return s.metrics.relayMeter(node, direction)
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
		fastOut:         c("packets_fast_path_total", "RTP packets sent by the fast write path (own SRTP, batched to the socket); the rest went through pion's."),
		fastRTCP:        c("rtcp_fast_path_total", "RTCP datagrams from subscribers read by the fast read path (own SRTCP, on the media socket's read loop); the rest went through pion's."),
		fastRecv:        c("rtp_fast_receive_total", "RTP packets from publishers read by the fast receive path (own SRTP, on the media socket's read loop); the rest went through pion's."),
		bytesOut:        c("bytes_forwarded_total", "RTP bytes sent to subscribers (payload and fixed header)."),
		dropped:         c("packets_dropped_total", "Packets dropped because a subscriber's writer queue was full."),
		nacks:           c("nacks_received_total", "Sequence numbers NACKed by subscribers."),
		nacksAnswered:   c("nacks_answered_total", "NACKed packets retransmitted from the cache (or, for lost probe padding, padding sent again)."),
		nacksRepeated:   c("nacks_repeated_total", "NACKs for a packet retransmitted less than a round trip before (its copy is on the way; not answered again)."),
		nacksUnknown:    c("nacks_unknown_total", "NACKs for a sequence number the SFU never sent or no longer maps."),
		nacksUncached:   c("nacks_uncached_total", "NACKs for a packet the SFU does not hold: lost on the way from its publisher (a gap forwarded as a gap), or out of the cache."),
		nacksOverBudget: c("nacks_over_budget_total", "NACKs not answered because the subscriber's retransmissions had used what its bandwidth estimate leaves for them (a later NACK of the packet may be)."),
		plis:            c("keyframe_requests_total", "PLIs sent to publishers (after throttling)."),
		layerSwitches:   c("layer_switches_total", "Simulcast layer or floor source switches of down tracks."),
		keyframeReplays: c("keyframe_replays_total", "Down tracks started from a cached key frame instead of a PLI."),
		layersPaused:    g("layers_paused", "Simulcast layers their publishers were told to stop sending because no subscriber, recorder or relay wanted them."),
		layerResumes:    c("layer_resumes_total", "Paused simulcast layers their publishers were told to send again."),
		redRecovered:    c("red_recovered_total", "Opus frames lost from a publisher and rebuilt from the next RED packet's copy, for subscribers without RED."),
		forwardDelay: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "forward_delay_seconds",
			Help:    "Time from reading a packet from a publisher to writing it to a subscriber.",
			Buckets: []float64{50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3}}),
		linkLoss: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "link_loss_ratio",
			Help:    "Fraction of packets lost on participants' links, sampled per participant at each stats interval.",
			Buckets: []float64{0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2}}, []string{"direction"}),
		linkRTT: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "link_rtt_seconds",
			Help:    "Round-trip time of participants' links from their receiver reports, sampled at each stats interval.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6}}),
		floorLayer: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "floor_layer_samples_total",
			Help: "Participants receiving the floor in each simulcast layer, counted at each stats interval (rate gives the share)."}, []string{"layer"}),
		relayStreams: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "relay_streams",
			Help: "Streams (tracks) crossing each inter-node relay link now: out to the node named by link, in from it."}, []string{"link", "direction"}),
		relayPackets: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "relay_packets_total",
			Help: "RTP packets sent to (out) or received from (in) another node over relays."}, []string{"link", "direction"}),
		relayBytes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "relay_bytes_total",
			Help: "RTP bytes sent to (out) or received from (in) another node over relays."}, []string{"link", "direction"}),
		recordings:      g("recordings_active", "Recordings in progress."),
		recordedPackets: c("recorded_packets_total", "RTP packets of the floor's video and audio that reached a recorder."),
		recordingLost:   c("recording_lost_packets_total", "Packets a recorder's jitter buffer gave up waiting for (lost before the recorder, NACKs unanswered)."),
	}
	// Every label value exists from the start, so dashboards and alerts
	// see zeros instead of missing series.
	for _, d := range []string{"in", "out"} {
		m.linkLoss.WithLabelValues(d)
	}
	for _, q := range qualityNames {
		m.floorLayer.WithLabelValues(q)
	}
	if reg == nil {
		return m, nil
	}
	for _, col := range []prometheus.Collector{m.rooms, m.participants, m.tracks, m.packetsIn, m.packetsOut, m.bytesOut, m.fastOut, m.fastRTCP, m.fastRecv,
		m.dropped, m.nacks, m.nacksAnswered, m.nacksRepeated, m.nacksUnknown, m.nacksUncached, m.nacksOverBudget, m.plis, m.layerSwitches, m.keyframeReplays, m.layersPaused, m.layerResumes, m.redRecovered, m.forwardDelay, m.linkLoss, m.linkRTT, m.floorLayer,
		m.relayStreams, m.relayPackets, m.relayBytes,
		m.recordings, m.recordedPackets, m.recordingLost} {
		if err := reg.Register(col); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
		}
	}
	return m, nil
}

// observeLink records one stats sample of a participant's link.
func (m *metrics) observeLink(st ParticipantStats) {
	if !st.Connected {
		return
	}
	m.linkLoss.WithLabelValues("in").Observe(st.LossIn)
	m.linkLoss.WithLabelValues("out").Observe(st.LossOut)
	if st.RTTMs > 0 {
		m.linkRTT.Observe(st.RTTMs / 1000)
	}
	if st.FloorLayer != "" {
		m.floorLayer.WithLabelValues(st.FloorLayer).Inc()
	}
}
