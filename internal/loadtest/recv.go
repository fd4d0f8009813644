package loadtest

import (
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
)

// RecvStats is what one subscriber measured on one remote track.
type RecvStats struct {
	Kind    webrtc.RTPCodecType
	Track   string // the track's ID (<hall>/<source>, or the floor)
	Floor   bool   // the SFU's floor track (first frame is measured on it)
	Packets atomic.Int64
	Bytes   atomic.Int64
	// Expected counts packets the sequence numbers say were sent; Expected
	// minus Packets is loss (the SFU keeps sequence numbers contiguous
	// across layer switches, so a gap is a lost packet).
	Expected   atomic.Int64
	KeyFrames  atomic.Int64
	FirstFrame atomic.Int64 // Unix nanoseconds of the first frame start, 0 until then
	Width      atomic.Int64 // of the last key frame: tells which layer arrives
	Delay      *Histogram
	// Wire, when set, knows when each packet reached the hall's socket;
	// WireDelay is then the delay to that arrival (wiretime.go), without
	// the generator's own receiving.
	Wire      *WireClock
	WireDelay *Histogram
	// Sends, when set with Wire, knows when the publishers' sockets took
	// each packet; OutsideDelay is then the delay from that write's call
	// to the arrival at the hall's socket (sendtime.go): the SFU and
	// loopback, nothing of the generator's pion. OutsideDelayLow runs
	// from the write's return instead (or, if the packet arrived before
	// it returned, from now): the true delay lies between the two.
	Sends           *SendClock
	OutsideDelay    *Histogram
	OutsideDelayLow *Histogram
	// OutsideMissed counts packets at the hall's socket named by a timed
	// publisher whose send the clock no longer held (overwritten).
	OutsideMissed atomic.Int64
}

// NewRecvStats returns empty stats.
func NewRecvStats(kind webrtc.RTPCodecType) *RecvStats {
	return &RecvStats{Kind: kind, Delay: NewHistogram(), WireDelay: NewHistogram(), OutsideDelay: NewHistogram(), OutsideDelayLow: NewHistogram()}
}

// Consume reads track until it ends, recording counts, loss and delay.
func (s *RecvStats) Consume(track *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	ssrc := uint32(track.SSRC())
	var last uint16
	started := false
	for {
		n, _, err := track.Read(buf)
		if err != nil {
			return
		}
		// Parse the RTP header by hand: no allocation per packet.
		if n < 12 {
			continue
		}
		seq := uint16(buf[2])<<8 | uint16(buf[3])
		cc := int(buf[0] & 0x0F)
		off := 12 + 4*cc
		if buf[0]&0x10 != 0 && n >= off+4 { // header extension
			extLen := int(uint16(buf[off+2])<<8|uint16(buf[off+3])) * 4
			off += 4 + extLen
		}
		if off > n {
			continue
		}
		payload := buf[off:n]
		if buf[0]&0x20 != 0 && len(payload) > 0 { // padding
			pad := int(payload[len(payload)-1])
			if pad <= len(payload) {
				payload = payload[:len(payload)-pad]
			}
		}
		if !started {
			started, last = true, seq
			s.Expected.Add(1)
		} else if d := seq - last; d != 0 && d < 0x8000 {
			// Forward by d: d-1 packets were skipped. Older (reordered or
			// duplicated) packets are counted but not expected again.
			s.Expected.Add(int64(d))
			last = seq
		}
		s.Packets.Add(1)
		s.Bytes.Add(int64(n))
		now := time.Now()
		if s.Kind == webrtc.RTPCodecTypeAudio {
			if st := OpusStamp(payload); !st.Sent.IsZero() {
				s.Delay.Record(now.Sub(st.Sent))
				s.recordWire(ssrc, seq, st)
			}
			continue
		}
		info, err := ParseVP8(payload)
		if err != nil || !info.Start {
			continue
		}
		s.FirstFrame.CompareAndSwap(0, now.UnixNano())
		if info.Key {
			s.KeyFrames.Add(1)
			s.Width.Store(int64(info.Width))
		}
		if st := info.Stamp; !st.Sent.IsZero() {
			s.Delay.Record(now.Sub(st.Sent))
			s.recordWire(ssrc, seq, st)
		}
	}
}

// recordWire records the wire delay of packet ssrc/seq, stamped st,
// and, when its publisher's socket is known to have sent it, the delay
// from outside.
func (s *RecvStats) recordWire(ssrc uint32, seq uint16, st Stamp) {
	if s.Wire == nil {
		return
	}
	at, ok := s.Wire.Arrived(ssrc, seq)
	if !ok {
		return
	}
	s.WireDelay.Record(at.Sub(st.Sent))
	if s.Sends == nil || !st.From {
		return
	}
	if called, returned, ok := s.Sends.Sent(st.SSRC, st.Seq); ok {
		if returned.IsZero() {
			returned = time.Now()
		}
		s.OutsideDelay.Record(at.Sub(called))
		s.OutsideDelayLow.Record(at.Sub(returned))
	} else {
		s.OutsideMissed.Add(1)
	}
}

// Loss is the fraction of expected packets that did not arrive.
func (s *RecvStats) Loss() float64 {
	exp := s.Expected.Load()
	if exp <= 0 {
		return 0
	}
	lost := exp - s.Packets.Load()
	if lost < 0 {
		lost = 0
	}
	return float64(lost) / float64(exp)
}
