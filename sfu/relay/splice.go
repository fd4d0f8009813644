package relay

import (
	"encoding/binary"
	"sync"
	"time"
)

// splicer makes one RTP stream of a track's simulcast layers, one layer
// at a time: the layer wanted if the publisher sends it (else the nearest
// it sends, lower first), switched to at that layer's next key frame, with
// sequence numbers and timestamps rewritten so the stream stays continuous
// (the home node sees one track whose picture changes size, as a
// publisher whose encoder changed resolution).
type splicer struct {
	clock uint32 // the codec's RTP clock rate

	mu      sync.Mutex
	want    int // 0 low .. 2 high
	cur     int // the layer being sent; -1 before the first key frame
	seen    [3]time.Time
	seqOff  uint16
	tsOff   uint32
	lastSeq uint16
	lastTs  uint32
	lastAt  time.Time
	sent    bool
	askedAt time.Time // the last key frame request for a switch
	asked   int       // of this layer
}

func newSplicer(clock uint32, want int) *splicer {
	return &splicer{clock: clock, want: want, cur: -1, asked: -1}
}

// layerGone is how long a layer may send nothing before it counts as not
// sent (the publisher dropped it for its uplink, or never had it).
const layerGone = time.Second

// setWant changes the layer wanted; the switch happens at a key frame.
func (s *splicer) setWant(layer int) {
	s.mu.Lock()
	s.want = layer
	s.mu.Unlock()
}

// wanted is the layer wanted.
func (s *splicer) wanted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.want
}

// target is the layer to send now: the one wanted if it arrives, else the
// nearest below, else above. Called with mu held.
func (s *splicer) target(now time.Time) int {
	live := func(l int) bool { return !s.seen[l].IsZero() && now.Sub(s.seen[l]) < layerGone }
	for l := s.want; l >= 0; l-- {
		if live(l) {
			return l
		}
	}
	for l := s.want + 1; l < 3; l++ {
		if live(l) {
			return l
		}
	}
	return s.want
}

// next decides whether pkt (of layer, key: it starts a key frame) goes
// on the stream, rewriting its sequence number and timestamp in place.
// keyframe, when not -1, is a layer to ask a key frame of (a switch waits
// for one).
func (s *splicer) next(layer int, key bool, pkt []byte) (send bool, keyframe int) {
	keyframe = -1
	if layer < 0 || layer > 2 || len(pkt) < 12 {
		return false, keyframe
	}
	now := time.Now()
	seq := binary.BigEndian.Uint16(pkt[2:4])
	ts := binary.BigEndian.Uint32(pkt[4:8])
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen[layer] = now
	if tgt := s.target(now); tgt != s.cur {
		if layer == tgt && key {
			// Continue where the stream is: the next sequence number, and
			// the timestamp advanced by the time since the last packet.
			if s.sent {
				s.seqOff = s.lastSeq + 1 - seq
				adv := uint32(now.Sub(s.lastAt).Seconds() * float64(s.clock))
				s.tsOff = s.lastTs + max(adv, 1) - ts
			}
			s.cur = tgt
		} else if tgt != s.asked || now.Sub(s.askedAt) > 500*time.Millisecond {
			s.askedAt, s.asked = now, tgt
			keyframe = tgt
		}
	}
	if layer != s.cur {
		return false, keyframe
	}
	seq += s.seqOff
	ts += s.tsOff
	binary.BigEndian.PutUint16(pkt[2:4], seq)
	binary.BigEndian.PutUint32(pkt[4:8], ts)
	if !s.sent || seq-s.lastSeq < 0x8000 {
		s.lastSeq, s.lastTs, s.lastAt = seq, ts, now
	}
	s.sent = true
	return true, keyframe
}

// layer is the layer being sent (for key frame requests from the home),
// the wanted one before any.
func (s *splicer) layer() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur < 0 {
		return s.want
	}
	return s.cur
}
