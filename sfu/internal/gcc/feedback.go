// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package gcc

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// From pion's internal/cc.FeedbackAdapter. Changed: the history is a ring
// indexed by the transport-wide sequence number (pion: a map and a list,
// two allocations and a map probe per packet sent); OnSent takes the
// extension's ID instead of an attributes map; all acknowledgments of one
// feedback are appended to one slice; RFC 8888 feedback is not read (Cầu
// does not negotiate it).

var (
	errMissingTWCCExtension = errors.New("missing transport layer cc header extension")
	errInvalidFeedback      = errors.New("invalid feedback")
)

// historySize is how many packets the history holds: the last 4,096
// transport sequence numbers sent (pion: the last 250 packets). A power
// of two, so a sequence number's slot is its low 12 bits. Feedback about
// a packet comes back a queue, a round trip and a feedback interval after
// it was sent, and on a commune line the queue alone is 250 ms: with 256
// slots, a subscriber sent more than ~600 packets a second (2 Mbit/s of
// probe padding, or media over a line that carries 400 kbit/s) had every
// slot reused before its feedback came, so GCC matched nothing, updated
// nothing, and went on reporting no loss and no queueing while the
// line's queue dropped most of what was sent (cau loadtest --weak-share:
// the weak hall's estimate "ran away" to several Mbit/s,
// docs/performance.md). 4,096 slots hold 2 s at 2,000 packets a second;
// at 16 bytes a slot, 64 KiB per down connection.
const historySize = 4096

// sentPacket is one slot of the history.
type sentPacket struct {
	departure int64 // ns since the adapter's epoch
	size      int32 // header and payload, bytes
	seq       uint16
	used      bool
}

// FeedbackAdapter converts incoming TWCC feedback into Acknowledgments,
// the common format of Pion's congestion controllers.
type FeedbackAdapter struct {
	lock                     sync.Mutex
	history                  feedbackHistory
	acked                    int64 // acknowledgments matched in the history, for GetStats
	referenceTime            int64
	referenceTimeInitialized bool
}

// NewFeedbackAdapter returns a new FeedbackAdapter.
func NewFeedbackAdapter() *FeedbackAdapter {
	return &FeedbackAdapter{}
}

// OnSent records that and when an outgoing packet was sent, under the
// transport-wide sequence number in its extension extID, for later
// mapping to acknowledgments. size is the payload's; the header's is
// added. It does not allocate.
func (f *FeedbackAdapter) OnSent(ts time.Time, header *rtp.Header, size int, extID uint8) error {
	var tccExt rtp.TransportCCExtension
	if err := tccExt.Unmarshal(header.GetExtension(extID)); err != nil {
		return errMissingTWCCExtension
	}
	size += header.MarshalSize()

	f.OnSentSeq(ts, tccExt.TransportSequence, size)

	return nil
}

// OnSentSeq records a packet of size bytes (header and payload) sent at
// ts under transport-wide sequence number seq: OnSent for a writer that
// knows the number it wrote, without parsing the header again.
func (f *FeedbackAdapter) OnSentSeq(ts time.Time, seq uint16, size int) {
	f.lock.Lock()
	f.history.add(seq, size, ts)
	f.lock.Unlock()
}

// unpackRunLengthChunk reads at most maxStatuses packet statuses from the
// chunk (the feedback's PacketStatusCount bounds every chunk) and appends
// the acknowledgments of those still in the history to acks.
func (f *FeedbackAdapter) unpackRunLengthChunk(
	acks []Acknowledgment, start uint16, refTime time.Time, chunk *rtcp.RunLengthChunk, deltas []*rtcp.RecvDelta,
	maxStatuses uint16,
) (consumedDeltas int, nextRef time.Time, statusCount uint16, _ []Acknowledgment, err error) {
	count := min(chunk.RunLength, maxStatuses)
	deltaIndex := 0
	if (chunk.PacketStatusSymbol == rtcp.TypeTCCPacketNotReceived ||
		chunk.PacketStatusSymbol == rtcp.TypeTCCPacketReceivedWithoutDelta) && int(count) > historySize {
		return 0, refTime, count, f.history.inRange(acks, start, count), nil
	}

	end := start + count
	for sequenceNumber := start; sequenceNumber != end; sequenceNumber++ {
		var arrival time.Time
		if chunk.PacketStatusSymbol == rtcp.TypeTCCPacketReceivedSmallDelta ||
			chunk.PacketStatusSymbol == rtcp.TypeTCCPacketReceivedLargeDelta {
			if len(deltas)-1 < deltaIndex {
				return deltaIndex, refTime, count, acks, errInvalidFeedback
			}
			refTime = refTime.Add(time.Duration(deltas[deltaIndex].Delta) * time.Microsecond)
			arrival = refTime
			deltaIndex++
		}

		if ack, ok := f.history.get(sequenceNumber); ok {
			ack.Arrival = arrival
			acks = append(acks, ack)
		}
	}

	return deltaIndex, refTime, count, acks, nil
}

// unpackStatusVectorChunk reads at most maxStatuses symbols from the
// chunk and appends the acknowledgments to acks.
func (f *FeedbackAdapter) unpackStatusVectorChunk(
	acks []Acknowledgment, start uint16, refTime time.Time, chunk *rtcp.StatusVectorChunk, deltas []*rtcp.RecvDelta,
	maxStatuses uint16,
) (consumedDeltas int, nextRef time.Time, statusCount uint16, _ []Acknowledgment, err error) {
	symbols := chunk.SymbolList[:min(len(chunk.SymbolList), int(maxStatuses))]
	deltaIndex := 0
	for i, symbol := range symbols {
		var arrival time.Time
		if symbol == rtcp.TypeTCCPacketReceivedSmallDelta || symbol == rtcp.TypeTCCPacketReceivedLargeDelta {
			if len(deltas)-1 < deltaIndex {
				return deltaIndex, refTime, uint16(len(symbols)), acks, errInvalidFeedback //nolint:gosec // G115
			}
			refTime = refTime.Add(time.Duration(deltas[deltaIndex].Delta) * time.Microsecond)
			arrival = refTime
			deltaIndex++
		}

		if ack, ok := f.history.get(start + uint16(i)); ok { //nolint:gosec // G115
			ack.Arrival = arrival
			acks = append(acks, ack)
		}
	}

	return deltaIndex, refTime, uint16(len(symbols)), acks, nil //nolint:gosec // G115
}

// OnTransportCCFeedback converts incoming TWCC RTCP packet feedback to
// Acknowledgments. The slice is new on every call: the delay controller
// hands it to its goroutines.
func (f *FeedbackAdapter) OnTransportCCFeedback(
	_ time.Time, feedback *rtcp.TransportLayerCC,
) ([]Acknowledgment, error) {
	f.lock.Lock()
	defer f.lock.Unlock()

	// Every acknowledgment is a distinct packet of the history.
	result := make([]Acknowledgment, 0, min(int(feedback.PacketStatusCount), historySize))
	index := feedback.BaseSequenceNumber
	referenceTime := int64(feedback.ReferenceTime & 0xffffff)
	if f.referenceTimeInitialized {
		// Choose the nearest epoch.
		delta := (referenceTime-f.referenceTime+(1<<23))&0xffffff - (1 << 23)
		referenceTime = f.referenceTime + delta
	}
	refTime := time.Time{}.Add(time.Duration(referenceTime) * 64 * time.Millisecond)
	recvDeltas := feedback.RecvDeltas
	// PacketStatusCount is the number of packets the feedback reports on;
	// symbols beyond it are padding.
	remaining := feedback.PacketStatusCount

	for _, chunk := range feedback.PacketChunks {
		if remaining == 0 {
			break
		}
		var (
			n           int
			statusCount uint16
			err         error
		)
		switch chunk := chunk.(type) {
		case *rtcp.RunLengthChunk:
			n, refTime, statusCount, result, err = f.unpackRunLengthChunk(result, index, refTime, chunk, recvDeltas, remaining)
		case *rtcp.StatusVectorChunk:
			n, refTime, statusCount, result, err = f.unpackStatusVectorChunk(result, index, refTime, chunk, recvDeltas, remaining)
		default:
			err = errInvalidFeedback
		}
		if err != nil {
			return nil, err
		}
		recvDeltas = recvDeltas[n:]
		index += statusCount
		remaining -= statusCount
	}

	if feedback.PacketStatusCount > 0 {
		f.referenceTime = referenceTime
		f.referenceTimeInitialized = true
	}
	f.acked += int64(len(result))

	return result, nil
}

// feedbackHistory is the ring of packets sent: the slot of sequence
// number s is s mod historySize, and holds the last packet sent with a
// number that falls there. Transport sequence numbers go up by one per
// packet on a connection, so it holds the last historySize packets.
// Departures are kept as offsets from epoch, the first one recorded (a
// time.Time is 24 bytes; the offset keeps its monotonic reading).
type feedbackHistory struct {
	epoch time.Time
	ring  [historySize]sentPacket
}

func (h *feedbackHistory) add(seq uint16, size int, departure time.Time) {
	if h.epoch.IsZero() {
		h.epoch = departure
	}
	h.ring[seq%historySize] = sentPacket{departure: int64(departure.Sub(h.epoch)), size: int32(size), seq: seq, used: true} //nolint:gosec // G115: a datagram
}

func (h *feedbackHistory) ack(s *sentPacket) Acknowledgment {
	return Acknowledgment{SequenceNumber: s.seq, Size: int(s.size), Departure: h.epoch.Add(time.Duration(s.departure))}
}

func (h *feedbackHistory) get(seq uint16) (Acknowledgment, bool) {
	s := &h.ring[seq%historySize]
	if !s.used || s.seq != seq {
		return Acknowledgment{}, false
	}

	return h.ack(s), true
}

// inRange appends the packets of start…start+count-1 in the history,
// in sequence order and with no arrival, to acks: for runs longer than
// the ring, whose slots are fewer than the run's numbers.
func (h *feedbackHistory) inRange(acks []Acknowledgment, start, count uint16) []Acknowledgment {
	from := len(acks)
	for i := range h.ring {
		if s := &h.ring[i]; s.used && s.seq-start < count {
			acks = append(acks, h.ack(s))
		}
	}
	slices.SortFunc(acks[from:], func(a, b Acknowledgment) int {
		return int(a.SequenceNumber-start) - int(b.SequenceNumber-start)
	})

	return acks
}
