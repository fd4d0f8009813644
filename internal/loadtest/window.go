package loadtest

import "github.com/pion/webrtc/v4"

// windowDelays are the delays every hall recorded in the measured
// window (the join ramp, with its handshakes, left out as from the
// report's other figures), and how long the publishers' writes took.
type windowDelays struct {
	delay   *Histogram // publisher's stamp to the subscriber's read
	wire    *Histogram // publisher's stamp to the hall's socket (wiretime.go)
	outside *Histogram // publisher's socket to the hall's socket (sendtime.go)
	low     *Histogram // the same from the publisher's write's return: a lower bound
	writes  *Histogram // the publishers' socket writes (SendClock.Writes)
	missed  int64      // packets from timed publishers not matched (RecvStats.OutsideMissed)
	// outside by kind (audio packets, video frames' first packets), and
	// by hall in join order (hall index → its tracks'), to see where a
	// tail comes from: a kind, or a place in the SFU's fan-out.
	outsideAudio, outsideVideo *Histogram
	outsideByHall              []*Histogram
}

// delayMarks are every track's delay histograms and the send clock's
// writes at the window's start.
type delayMarks struct {
	tracks map[*RecvStats][4]*Histogram
	missed map[*RecvStats]int64
	writes *Histogram
}

func markDelays(halls []*hall, sends *SendClock) delayMarks {
	m := delayMarks{tracks: map[*RecvStats][4]*Histogram{}, missed: map[*RecvStats]int64{}}
	for _, h := range halls {
		for _, s := range h.stats() {
			m.tracks[s] = [4]*Histogram{s.Delay.Clone(), s.WireDelay.Clone(), s.OutsideDelay.Clone(), s.OutsideDelayLow.Clone()}
			m.missed[s] = s.OutsideMissed.Load()
		}
	}
	if sends != nil {
		m.writes = sends.Writes.Clone()
	}
	return m
}

// since is what halls recorded after m (a track that came later: all of it).
func (m delayMarks) since(halls []*hall, sends *SendClock) windowDelays {
	w := windowDelays{delay: NewHistogram(), wire: NewHistogram(), outside: NewHistogram(), low: NewHistogram(), writes: NewHistogram(),
		outsideAudio: NewHistogram(), outsideVideo: NewHistogram()}
	for _, h := range halls {
		hall := NewHistogram()
		for _, s := range h.stats() {
			at := m.tracks[s] // nil histograms for a later track: Since takes all
			w.delay.Merge(s.Delay.Since(at[0]))
			w.wire.Merge(s.WireDelay.Since(at[1]))
			out := s.OutsideDelay.Since(at[2])
			w.outside.Merge(out)
			w.low.Merge(s.OutsideDelayLow.Since(at[3]))
			hall.Merge(out)
			if s.Kind == webrtc.RTPCodecTypeAudio {
				w.outsideAudio.Merge(out)
			} else {
				w.outsideVideo.Merge(out)
			}
			w.missed += s.OutsideMissed.Load() - m.missed[s]
		}
		w.outsideByHall = append(w.outsideByHall, hall)
	}
	if sends != nil {
		w.writes = sends.Writes.Since(m.writes)
	}
	return w
}
