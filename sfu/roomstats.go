package sfu

import (
	"math"
	"slices"
	"time"

	"github.com/pion/webrtc/v4"
)

// sendStats computes every participant's link stats, keeps them for
// RoomStats, sends them all to moderators and to each participant its own.
func (r *room) sendStats(now time.Time) {
	ps := r.others(nil)
	slices.SortFunc(ps, func(a, b *Participant) int { return compare(a.id, b.id) })
	all := make([]ParticipantStats, 0, len(ps))
	for _, p := range ps {
		st := p.linkStats(now)
		r.s.metrics.observeLink(st)
		all = append(all, st)
	}
	r.mu.Lock()
	r.stats = all
	r.mu.Unlock()
	for i, p := range ps {
		if p.grant.Moderate || p.grant.Stats {
			p.send(StatsEvent{Participants: all})
		} else {
			p.send(StatsEvent{Participants: all[i : i+1]})
		}
	}
}

// linkStats samples p's counters; only the room loop calls it.
func (p *Participant) linkStats(now time.Time) ParticipantStats {
	p.mu.Lock()
	pub := make([]*upTrack, 0, len(p.published))
	for _, t := range p.published {
		pub = append(pub, t)
	}
	downs := make([]*downTrack, 0, len(p.downs))
	for _, d := range p.downs {
		downs = append(downs, d)
	}
	connected := p.sink != nil
	p.mu.Unlock()

	st := ParticipantStats{Identity: p.id, Name: p.grant.Name, Kind: p.grant.Kind, Connected: connected,
		EstimateOut: int(p.estimate.Load()), ServerMuted: p.serverMuted.Load()}
	st.Muted = st.ServerMuted
	var bytesIn, expected, received uint64
	for _, t := range pub {
		if t.kind == webrtc.RTPCodecTypeAudio {
			if t.muted.Load() {
				st.Muted = true
			}
			if t.source == SourceMicrophone {
				lv := int(t.level.Load())
				st.AudioLevel = &lv
			}
		}
		t.mu.Lock()
		ls := t.layers
		t.mu.Unlock()
		for _, l := range ls {
			if l == nil {
				continue
			}
			bytesIn += l.stats.bytes.Load()
			expected += l.stats.expected.Load()
			received += l.stats.packets.Load()
			st.JitterMs = math.Max(st.JitterMs, 1000*math.Float64frombits(l.stats.jitterBits.Load()))
		}
	}
	st.BitrateIn = p.statsIn.sample(bytesIn, now)
	st.LossIn = p.lossIn.sample(expected, received)
	var bytesOut uint64
	for _, d := range downs {
		bytesOut += d.bytesSent.Load()
		st.Dropped += d.dropped.Load()
		st.LossOut = math.Max(st.LossOut, float64(d.lossOut.Load())/256)
		st.RTTMs = math.Max(st.RTTMs, float64(d.rttMicros.Load())/1000)
		if d.floor {
			q := QualityOff
			if c := d.cur.Load(); c != nil {
				q = Quality(c.index + 1)
			}
			st.FloorLayer = q.String()
		}
	}
	st.BitrateOut = p.statsOut.sample(bytesOut, now)
	return st
}
