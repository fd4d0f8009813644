package gcc

import (
	"encoding/binary"
	"time"

	"github.com/pion/rtcp"
)

// Cầu: transport-wide feedback read in place. Pion's rtcp.Unmarshal makes
// a pointer per receive delta, one per chunk and a slice per status
// vector: 35 allocations for a pion player's datagram of 20 packets
// (sfu's BenchmarkFastReceiver), the garbage of the SFU's RTCP read
// path. OnTransportCCRaw walks the same bytes and gives the same
// acknowledgments as rtcp.Unmarshal and OnTransportCCFeedback
// (TestTransportCCRawMatchesPion, FuzzTransportCCRaw), into the caller's
// slice.

// tccHeader is the feedback's fixed part: the RTCP header, two SSRCs,
// base sequence number, status count, reference time, feedback count.
const tccHeader = 20

// OnTransportCCRaw appends the acknowledgments of fb, one transport-wide
// feedback packet (RTCP header included, FMT 15, PT 205), to acks and
// returns it; OnTransportCCFeedback without parsing into pion's types.
// On malformed feedback it returns acks as it was and an error.
func (f *FeedbackAdapter) OnTransportCCRaw(acks []Acknowledgment, fb []byte) ([]Acknowledgment, error) {
	if len(fb) < tccHeader || fb[0]>>6 != 2 || fb[0]&0x1f != rtcp.FormatTCC || fb[1] != byte(rtcp.TypeTransportSpecificFeedback) {
		return acks, errInvalidFeedback
	}
	total := 4 * (int(binary.BigEndian.Uint16(fb[2:])) + 1)
	if total > len(fb) || total < tccHeader {
		return acks, errInvalidFeedback
	}
	fb = fb[:total]
	base := binary.BigEndian.Uint16(fb[12:])
	count := binary.BigEndian.Uint16(fb[14:])
	ref := int64(fb[16])<<16 | int64(fb[17])<<8 | int64(fb[18])

	// The deltas follow the chunks that cover count statuses.
	chunks := fb[tccHeader:]
	deltaAt := tccHeader
	for covered := 0; covered < int(count); deltaAt += 2 {
		if deltaAt+2 > total {
			return acks, errInvalidFeedback
		}
		covered += chunkLen(fb[deltaAt], fb[deltaAt+1])
	}
	deltas := fb[deltaAt:]
	chunks = chunks[:deltaAt-tccHeader]

	f.lock.Lock()
	defer f.lock.Unlock()
	if f.referenceTimeInitialized {
		// Choose the nearest epoch.
		delta := (ref-f.referenceTime+(1<<23))&0xffffff - (1 << 23)
		ref = f.referenceTime + delta
	}
	w := tccWalk{f: f, acks: acks, from: len(acks), seq: base, deltas: deltas,
		refTime: time.Time{}.Add(time.Duration(ref) * 64 * time.Millisecond)}
	left := count
	for i := 0; i+1 < len(chunks) && left > 0; i += 2 {
		if !w.chunk(chunks[i], chunks[i+1], &left) {
			return acks[:w.from], errInvalidFeedback
		}
	}
	if count > 0 {
		f.referenceTime = ref
		f.referenceTimeInitialized = true
	}
	f.acked += int64(len(w.acks) - w.from)

	return w.acks, nil
}

// chunkLen is how many statuses a packet chunk carries (a run's length,
// 14 or 7 symbols).
func chunkLen(b0, b1 byte) int {
	switch {
	case b0&0x80 == 0:
		return int(b0&0x1f)<<8 | int(b1)
	case b0&0x40 == 0:
		return 14
	default:
		return 7
	}
}

// tccWalk is one feedback's statuses read in order, each matched in the
// history (under f.lock).
type tccWalk struct {
	f       *FeedbackAdapter
	acks    []Acknowledgment
	from    int // len(acks) before this feedback
	seq     uint16
	deltas  []byte
	refTime time.Time
}

// chunk reads the statuses of one packet chunk, at most *left of them;
// false: the deltas ran out.
func (w *tccWalk) chunk(b0, b1 byte, left *uint16) bool {
	if b0&0x80 == 0 { // run length
		symbol := uint16(b0>>5) & 3
		n := min(uint16(b0&0x1f)<<8|uint16(b1), *left)
		*left -= n
		if (symbol == rtcp.TypeTCCPacketNotReceived || symbol == rtcp.TypeTCCPacketReceivedWithoutDelta) && int(n) > historySize {
			w.acks = w.f.history.inRange(w.acks, w.seq, n)
			w.seq += n
			return true
		}
		for range n {
			if !w.status(symbol) {
				return false
			}
		}
		return true
	}
	bits := uint16(b0&0x3f)<<8 | uint16(b1) // the symbols, first in the high bits
	size, n := uint16(1), uint16(14)
	if b0&0x40 != 0 {
		size, n = 2, 7
	}
	n = min(n, *left)
	*left -= n
	for i := range n {
		if !w.status(bits >> (14 - size*(i+1)) & (1<<size - 1)) {
			return false
		}
	}
	return true
}

// status reads one packet's status symbol (and its delta, if it has
// one) and appends its acknowledgment if the packet is in the history;
// false: the deltas ran out.
func (w *tccWalk) status(symbol uint16) bool {
	var arrival time.Time
	switch symbol {
	case rtcp.TypeTCCPacketReceivedSmallDelta:
		if len(w.deltas) < 1 {
			return false
		}
		w.refTime = w.refTime.Add(time.Duration(rtcp.TypeTCCDeltaScaleFactor*int64(w.deltas[0])) * time.Microsecond)
		w.deltas = w.deltas[1:]
		arrival = w.refTime
	case rtcp.TypeTCCPacketReceivedLargeDelta:
		if len(w.deltas) < 2 {
			return false
		}
		d := int64(int16(binary.BigEndian.Uint16(w.deltas)))
		w.refTime = w.refTime.Add(time.Duration(rtcp.TypeTCCDeltaScaleFactor*d) * time.Microsecond)
		w.deltas = w.deltas[2:]
		arrival = w.refTime
	}
	if ack, ok := w.f.history.get(w.seq); ok {
		ack.Arrival = arrival
		w.acks = append(w.acks, ack)
	}
	w.seq++
	return true
}

// WriteTransportCC is WriteRTCP for one transport-wide feedback packet
// given as its bytes (fb, RTCP header included), read in place by
// OnTransportCCRaw. acks is scratch for the acknowledgments, returned
// for the next call (nothing keeps it). For the SFU's RTCP read path,
// which would otherwise parse the feedback into pion's types only to
// have it read here.
func (e *SendSideBWE) WriteTransportCC(acks []Acknowledgment, fb []byte) ([]Acknowledgment, error) {
	now := time.Now()
	e.closeLock.RLock()
	defer e.closeLock.RUnlock()
	if e.isClosed() {
		return acks, ErrSendSideBWEClosed
	}
	acks, err := e.feedbackAdapter.OnTransportCCRaw(acks[:0], fb)
	if err != nil {
		return acks, err
	}
	e.onAcks(now, acks)

	return acks, nil
}
