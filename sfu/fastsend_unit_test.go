package sfu

import (
	"bytes"
	"crypto/rand"
	"net"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu/internal/gcc"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"golang.org/x/net/ipv4"
)

// slowBatches is a batch writer whose sendmmsg takes wait: a flush in a
// pass that the clock can tell from the pass's start.
type slowBatches struct {
	w interface {
		WriteBatch([]ipv4.Message, int) (int, error)
	}
	wait time.Duration
}

func (s slowBatches) WriteBatch(ms []ipv4.Message, flags int) (int, error) {
	time.Sleep(s.wait)
	return s.w.WriteBatch(ms, flags)
}

// TestFastSendSealsIntoTheBatch: in a pass, the fast path seals each
// packet straight into the socket's batch, and what leaves is what pion's
// receiver decrypts; GCC records the pass's clock reading as the
// departure of the packets batched before the first sendmmsg, and the end
// of that sendmmsg for the one after it (it leaves with the next batch).
// Outside a pass the packet is written at once, from the sender's own
// buffer.
func TestFastSendSealsIntoTheBatch(t *testing.T) {
	sc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	_ = sink.SetReadBuffer(1 << 20)
	b := newBatchConn(sc, false)
	defer b.Close()
	b.out.hold = int64(time.Minute) // only a full batch flushes in the pass
	const flushTime = 3 * time.Millisecond
	b.out.w = slowBatches{w: b.out.w, wait: flushTime}

	profile := srtp.ProtectionProfileAeadAes128Gcm
	key, salt := make([]byte, 16), make([]byte, 12)
	_, _ = rand.Read(key)
	_, _ = rand.Read(salt)
	ctx, err := srtp.CreateContext(key, salt, profile)
	if err != nil {
		t.Fatal(err)
	}
	recv, err := srtp.CreateContext(key, salt, profile)
	if err != nil {
		t.Fatal(err)
	}
	seal, err := newSRTPSealer(profile, key, salt)
	if err != nil {
		t.Fatal(err)
	}
	e, err := gcc.NewSendSideBWE()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	f := newFastSender([]*batchConn{b})
	f.start(ctx, seal)
	f.estimator(e)
	f.mu.Lock()
	f.conn, f.to = b, sink.LocalAddr().(*net.UDPAddr).AddrPort()
	f.mu.Unlock()

	const n = sendBatch + 1
	payload := bytes.Repeat([]byte{0xab}, 300)
	b.beginSend()
	now := nanotime()
	for i := range n {
		h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: uint16(1000 + i), Timestamp: 90, SSRC: 77}
		if !f.send(&h, payload, uint16(i), true, now) {
			t.Fatalf("packet %d refused", i)
		}
		if i < sendBatch-1 && b.out.n != i+1 {
			t.Fatalf("after packet %d, %d datagrams in the batch; want %d", i, b.out.n, i+1)
		}
	}
	b.endSend()
	h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 1000 + n, Timestamp: 90, SSRC: 77}
	if !f.send(&h, payload, n, false, nanotime()) || b.out.n != 0 {
		t.Fatalf("outside a pass: %d datagrams in the batch, want it written at once", b.out.n)
	}
	buf := make([]byte, maxDgram)
	for i := range n + 1 {
		_ = sink.SetReadDeadline(time.Now().Add(2 * time.Second))
		k, err := sink.Read(buf)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		plain, err := recv.DecryptRTP(nil, buf[:k], nil)
		var got rtp.Packet
		if err == nil {
			err = got.Unmarshal(plain)
		}
		if err != nil || got.SequenceNumber != uint16(1000+i) || !bytes.Equal(got.Payload, payload) {
			t.Fatalf("datagram %d: sequence number %d, %d bytes of payload (%v); want %d and the payload",
				i, got.SequenceNumber, len(got.Payload), err, 1000+i)
		}
	}

	rec := twcc.NewRecorder(1)
	for i := range n {
		rec.Record(77, uint16(i), int64(i)*100+1_000_000)
	}
	fbs := rec.BuildFeedbackPacket()
	if len(fbs) != 1 {
		t.Fatalf("%d feedback packets, want 1", len(fbs))
	}
	raw, err := fbs[0].Marshal()
	if err != nil {
		t.Fatal(err)
	}
	acks, err := e.WriteTransportCC(nil, raw)
	if err != nil || len(acks) != n {
		t.Fatalf("%d acknowledgments (%v), want %d", len(acks), err, n)
	}
	pass := clockStart.Add(time.Duration(now))
	for _, a := range acks[:sendBatch] {
		if !a.Departure.Equal(pass) {
			t.Fatalf("packet %d of the first batch departed %v after the pass's reading, want at it", a.SequenceNumber, a.Departure.Sub(pass))
		}
	}
	if d := acks[sendBatch].Departure.Sub(pass); d < flushTime {
		t.Fatalf("the packet batched after a %v sendmmsg departed %v after the pass's reading, want after the sendmmsg", flushTime, d)
	}
}
