package sfu

import (
	"math"
	"sync/atomic"
	"time"
)

var clockStart = time.Now()

// nanotime is monotonic nanoseconds since the process started.
func nanotime() int64 { return int64(time.Since(clockStart)) }

// streamStats counts what a publisher layer receives. received runs in
// the layer's ingest only (one at a time: upLayer.receive); the others
// read the atomics.
type streamStats struct {
	packets, bytes atomic.Uint64
	expected       atomic.Uint64 // packets the sequence numbers say were sent
	jitterBits     atomic.Uint64 // float64 jitter in seconds (RFC 3550 §6.4.1)

	started     bool
	maxSeq      uint16
	cycles      uint64
	baseSeq     uint64
	lastTransit float64
}

func (s *streamStats) received(n int, seq uint16, ts uint32, arrival int64, clock uint32) {
	s.packets.Add(1)
	s.bytes.Add(uint64(n))
	if !s.started {
		s.started, s.maxSeq, s.baseSeq = true, seq, uint64(seq)
	} else if seqLess(s.maxSeq, seq) {
		if seq < s.maxSeq {
			s.cycles += 1 << 16
		}
		s.maxSeq = seq
	}
	s.expected.Store(s.cycles + uint64(s.maxSeq) - s.baseSeq + 1)
	if clock > 0 {
		transit := float64(arrival)/1e9 - float64(ts)/float64(clock)
		if s.lastTransit != 0 {
			d := math.Abs(transit - s.lastTransit)
			j := math.Float64frombits(s.jitterBits.Load())
			s.jitterBits.Store(math.Float64bits(j + (d-j)/16))
		}
		s.lastTransit = transit
	}
}

// rateMeter turns a byte counter into a bit rate between samples.
type rateMeter struct {
	lastBytes uint64
	lastAt    time.Time
	bps       atomic.Int64
}

func (r *rateMeter) sample(bytes uint64, now time.Time) int {
	if !r.lastAt.IsZero() {
		if dt := now.Sub(r.lastAt).Seconds(); dt > 0.05 {
			inst := float64(bytes-r.lastBytes) * 8 / dt
			if old := r.bps.Load(); old > 0 {
				// Smooth over key frames (a layer's rate swings with
				// them): about 1 s of memory at 4 samples a second.
				inst = 0.75*float64(old) + 0.25*inst
			}
			r.bps.Store(int64(inst))
		}
	}
	r.lastBytes, r.lastAt = bytes, now
	return int(r.bps.Load())
}

// lossMeter turns expected/received counters into a loss fraction.
type lossMeter struct {
	lastExpected, lastReceived uint64
	loss                       float64
}

func (l *lossMeter) sample(expected, received uint64) float64 {
	de, dr := expected-l.lastExpected, received-l.lastReceived
	if de > 0 && expected >= l.lastExpected && received >= l.lastReceived {
		lost := float64(de) - float64(dr)
		l.loss = math.Max(0, lost/float64(de))
	}
	l.lastExpected, l.lastReceived = expected, received
	return l.loss
}

// ParticipantStats is the link quality of one participant, for moderators
// and hall operators. Rates are bit/s over the last stats interval.
type ParticipantStats struct {
	Identity    ParticipantID `json:"identity"`
	Name        string        `json:"name"`
	Kind        Kind          `json:"kind"`
	Connected   bool          `json:"connected"`             // its WebSocket is up
	BitrateIn   int           `json:"bitrate_in"`            // bit/s received from it
	BitrateOut  int           `json:"bitrate_out"`           // bit/s sent to it
	EstimateOut int           `json:"estimate_out"`          // bit/s its downlink is estimated to carry
	LossIn      float64       `json:"loss_in"`               // fraction of its packets lost on the way in
	LossOut     float64       `json:"loss_out"`              // fraction it reports lost on the way out
	JitterMs    float64       `json:"jitter_ms"`             // inbound jitter
	RTTMs       float64       `json:"rtt_ms"`                // round trip from its receiver reports
	Muted       bool          `json:"muted"`                 // its microphone is muted (by itself or a moderator)
	ServerMuted bool          `json:"server_muted"`          // muted by a moderator
	FloorLayer  string        `json:"floor_layer,omitempty"` // layer of the floor it receives
	Dropped     uint64        `json:"dropped"`               // packets dropped for it (slow link or client)
	// AudioLevel is its microphone's smoothed level in -dBov (0 loudest,
	// 127 silence; absent without a microphone or without the RFC 6464
	// header extension, which reads as 127).
	AudioLevel *int `json:"audio_level,omitempty"`
}
