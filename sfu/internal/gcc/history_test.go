package gcc

import (
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// sentWriter is a stream's writer as Cầu binds it: GCC's record behind
// the pacer, then a writer that drops the packet.
func sentWriter(t testing.TB) (*SendSideBWE, interceptor.RTPWriter) {
	t.Helper()
	bwe, err := NewSendSideBWE(SendSideBWEPacer(NewNoOpPacer()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bwe.Close() })
	info := &interceptor.StreamInfo{SSRC: 1, RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: transportCCURI, ID: 3}}}
	w := bwe.AddStream(info, interceptor.RTPWriterFunc(func(_ *rtp.Header, p []byte, _ interceptor.Attributes) (int, error) {
		return len(p), nil
	}))
	return bwe, w
}

func twccHeader(t testing.TB) *rtp.Header {
	t.Helper()
	h := &rtp.Header{Version: 2, SSRC: 1}
	if err := h.SetExtension(3, []byte{0, 0}); err != nil {
		t.Fatal(err)
	}
	return h
}

func setTWCC(h *rtp.Header, seq uint16) {
	b := h.GetExtension(3)
	b[0], b[1] = byte(seq>>8), byte(seq)
}

// Recording a send is the point of the ring: no allocation (pion's
// history made two per packet).
func TestOnSentAllocatesNothing(t *testing.T) {
	_, w := sentWriter(t)
	h := twccHeader(t)
	payload := make([]byte, 1000)
	var seq uint16
	allocs := testing.AllocsPerRun(1000, func() {
		setTWCC(h, seq)
		seq++
		if _, err := w.Write(h, payload, nil); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("want 0 allocations per packet sent, got %v", allocs)
	}
}

// A packet without the transport-wide extension is refused, as pion's
// adapter refused it, and nothing is recorded.
func TestOnSentWithoutExtension(t *testing.T) {
	_, w := sentWriter(t)
	if _, err := w.Write(&rtp.Header{SSRC: 1}, nil, nil); err == nil {
		t.Fatal("want an error for a packet without the transport-wide sequence number, got none")
	}
}

// Across the 16-bit wrap the ring holds exactly the last historySize
// packets sent, and feedback finds each of them once.
func TestHistoryAcrossWrap(t *testing.T) {
	f := NewFeedbackAdapter()
	h := twccHeader(t)
	const total = historySize + 1000
	var first uint16 = 65536 - 300 // wraps after 300
	t0 := time.Unix(0, 0)
	for i := range total {
		seq := first + uint16(i)
		setTWCC(h, seq)
		if err := f.OnSent(t0.Add(time.Duration(i)*time.Millisecond), h, 100, 3); err != nil {
			t.Fatal(err)
		}
	}
	const run = historySize + 144 // 144 before the history's oldest
	base := first + total - run
	acks, err := f.OnTransportCCFeedback(time.Time{}, &rtcp.TransportLayerCC{
		BaseSequenceNumber: base, PacketStatusCount: run,
		PacketChunks: []rtcp.PacketStatusChunk{&rtcp.RunLengthChunk{
			PacketStatusSymbol: rtcp.TypeTCCPacketNotReceived, RunLength: run,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(acks) != historySize {
		t.Fatalf("want %d acknowledgments, got %d", historySize, len(acks))
	}
	for i, a := range acks {
		want := first + total - historySize + uint16(i)
		if a.SequenceNumber != want || a.Size != 100+h.MarshalSize() || !a.Arrival.IsZero() ||
			!a.Departure.Equal(t0.Add(time.Duration(total-historySize+i)*time.Millisecond)) {
			t.Fatalf("acknowledgment %d: want sequence %d sent at %v, got %+v", i, want, total-historySize+i, a)
		}
	}
}

// Feedback comes back a queue, a round trip and a feedback interval
// after the packets it reports were sent; meanwhile the subscriber is
// sent more. Behind a commune line's 250 ms queue, a subscriber sent 2
// Mbit/s had 600 newer packets out when its feedback came: in a ring of
// 256 their slots were reused, GCC matched none of the feedback and saw
// neither the loss nor the delay (cau loadtest --weak-share: a weak
// hall's estimate ran away to several Mbit/s while its line's queue
// dropped most of it). Here half of the 300 packets reported were lost,
// and GCC must say so.
func TestFeedbackAfterManyNewerPackets(t *testing.T) {
	bwe, w := sentWriter(t)
	h := twccHeader(t)
	payload := make([]byte, 200)
	for i := range 900 {
		setTWCC(h, uint16(i))
		if _, err := w.Write(h, payload, nil); err != nil {
			t.Fatal(err)
		}
	}
	deltas := make([]*rtcp.RecvDelta, 150)
	for i := range deltas {
		deltas[i] = &rtcp.RecvDelta{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 1000} // µs
	}
	err := bwe.WriteRTCP([]rtcp.Packet{&rtcp.TransportLayerCC{
		BaseSequenceNumber: 0, PacketStatusCount: 300,
		PacketChunks: []rtcp.PacketStatusChunk{
			&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 150},
			&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketNotReceived, RunLength: 150},
		},
		RecvDeltas: deltas,
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bwe.lossController.lock.Lock()
	loss := bwe.lossController.averageLoss
	bwe.lossController.lock.Unlock()
	if loss < 0.4 {
		t.Fatalf("want GCC's average loss near 0.5 (150 of 300 packets lost), got %v", loss)
	}
}

// BenchmarkOnSent is GCC's record of one packet sent, what every
// forwarded packet pays.
func BenchmarkOnSent(b *testing.B) {
	_, w := sentWriter(b)
	h := twccHeader(b)
	payload := make([]byte, 1000)
	b.ReportAllocs()
	for i := range b.N {
		setTWCC(h, uint16(i))
		_, _ = w.Write(h, payload, nil)
	}
}
