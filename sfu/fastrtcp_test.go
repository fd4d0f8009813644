package sfu

import (
	"crypto/rand"
	"net/netip"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu/internal/gcc"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// feedbackLog is a bandwidth estimator that keeps the RTCP it is given.
type feedbackLog struct {
	cc.BandwidthEstimator
	got []rtcp.Packet
}

func (f *feedbackLog) WriteRTCP(pkts []rtcp.Packet, _ interceptor.Attributes) error {
	f.got = append(f.got, pkts...)
	return nil
}

// rtcpPeer is a subscriber's side of SRTCP: it encrypts with keys the
// receiver under test decrypts with.
type rtcpPeer struct{ ctx *srtp.Context }

// newSRTCPPair is a subscriber's SRTCP and the keys the SFU reads it with.
func newSRTCPPair(t testing.TB) (*rtcpPeer, srtp.Config) {
	t.Helper()
	key, salt := make([]byte, 16), make([]byte, 12)
	_, _ = rand.Read(key)
	_, _ = rand.Read(salt)
	prof := srtp.ProtectionProfileAeadAes128Gcm
	send, err := srtp.CreateContext(key, salt, prof)
	if err != nil {
		t.Fatal(err)
	}
	return &rtcpPeer{send}, srtp.Config{Profile: prof, Keys: srtp.SessionKeys{RemoteMasterKey: key, RemoteMasterSalt: salt}}
}

func (p *rtcpPeer) seal(t testing.TB, pkts ...rtcp.Packet) []byte {
	t.Helper()
	raw, err := rtcp.Marshal(pkts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.ctx.EncryptRTCP(nil, raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestFastReceiver: a subscriber's SRTCP datagram is decrypted with the
// connection's context and handled in place: transport-wide feedback to
// GCC, a reception report to the down track it is about, a NACK counted
// and queued, a PLI to the layer the track sends; a replay is dropped; a
// datagram under other keys is left to pion.
func TestFastReceiver(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{}
	cfg.setDefaults()
	s := &SFU{cfg: cfg, metrics: m}
	owner := &Participant{s: s, id: "hall-pub"}
	tr := &upTrack{id: "hall-pub/camera", owner: owner, kind: webrtc.RTPCodecTypeVideo}
	l := &upLayer{track: tr, index: 2, cache: newPacketCache(videoCacheSize)}
	sub := &Participant{s: s, id: "hall-sub", writer: newWriter(nil), downs: map[TrackID]*downTrack{}}
	defer sub.writer.close()
	const ssrc = 1234
	d := newDownTrack(tr.id, "hall-pub", tr.kind, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, sub)
	d.bound.Store(&binding{ssrc: ssrc, pt: 96})
	d.cur.Store(l)
	sub.downs[d.id] = d

	est := &feedbackLog{}
	peer, recv := newSRTCPPair(t)
	r := newFastReceiver(sub, func() cc.BandwidthEstimator { return est })

	feedback := twcc.NewRecorder(1)
	feedback.Record(ssrc, 7, 1000)
	feedback.Record(ssrc, 8, 2000)
	dg := peer.seal(t, append([]rtcp.Packet{
		&rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: ssrc, FractionLost: 64, Jitter: 90}}},
		&rtcp.TransportLayerNack{SenderSSRC: 1, MediaSSRC: ssrc, Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{100, 101})},
		&rtcp.PictureLossIndication{SenderSSRC: 1, MediaSSRC: ssrc},
	}, feedback.BuildFeedbackPacket()...)...)
	if r.handle(dg) {
		t.Fatal("handled before the connection's context is known; want it left to pion")
	}
	if err := r.start(recv); err != nil {
		t.Fatal(err)
	}
	if !r.handle(dg) {
		t.Fatal("the connection's own SRTCP was left to pion")
	}
	twcc := 0
	for _, p := range est.got {
		if _, ok := p.(*rtcp.TransportLayerCC); ok {
			twcc++
		}
	}
	if twcc != 1 || len(est.got) != 1 {
		t.Errorf("GCC got %d transport-wide feedback packets (%d in all), want that one alone", twcc, len(est.got))
	}
	if got := d.lossOut.Load(); got != 64 {
		t.Errorf("loss from the reception report %d/256, want 64/256", got)
	}
	if got := d.jitterTicks.Load(); got != 90 {
		t.Errorf("jitter from the reception report %d, want 90", got)
	}
	if got := counter(t, reg, "cau_sfu_nacks_received_total"); got != 2 {
		t.Errorf("NACKed sequence numbers counted %v, want 2", got)
	}
	if l.lastPLI.Load() == 0 {
		t.Error("the PLI did not reach the layer the track sends")
	}
	if got := counter(t, reg, "cau_sfu_rtcp_fast_path_total"); got != 1 {
		t.Errorf("RTCP datagrams read on the fast path %v, want 1", got)
	}

	if !r.handle(dg) {
		t.Error("a replay was left to pion; want it dropped")
	}
	if len(est.got) != 1 || counter(t, reg, "cau_sfu_nacks_received_total") != 2 {
		t.Errorf("a replay was handled again: GCC has %d packets, NACKs %v", len(est.got),
			counter(t, reg, "cau_sfu_nacks_received_total"))
	}

	// Another connection's first packet from the same SSRC has an index
	// the window has seen: a replay by the window, not ours by the tag.
	other, _ := newSRTCPPair(t)
	if r.handle(other.seal(t, &rtcp.PictureLossIndication{SenderSSRC: 1, MediaSSRC: ssrc})) {
		t.Error("SRTCP under another connection's keys was taken; want it left to pion")
	}
	if r.handle([]byte{0x81, 201, 0, 1, 0, 0, 0, 1}) {
		t.Error("a datagram too short for SRTCP was taken; want it left to pion")
	}
}

// TestRTCPRoutes: only RTCP from a routed address reaches its receiver,
// and a route is removed only by the receiver it belongs to.
func TestRTCPRoutes(t *testing.T) {
	var routes rtcpRoutes
	a, b := &fastReceiver{}, &fastReceiver{}
	from := netip.MustParseAddrPort("127.0.0.1:5000")
	routes.set(from, a)
	routes.del(from, b)
	if routes.m[from] != a {
		t.Fatal("another receiver removed the route")
	}
	routes.del(from, a)
	if _, ok := routes.m[from]; ok {
		t.Fatal("the route is still there after its receiver removed it")
	}
	// Not started: take leaves it to pion.
	routes.set(from, a)
	if routes.take(from, []byte{0x80, 200, 0, 1, 0, 0, 0, 1}) {
		t.Error("a receiver without its context took a datagram")
	}

	for _, tc := range []struct {
		b    []byte
		want bool
	}{
		{[]byte{0x81, 200, 0, 7, 0, 0, 0, 1}, true},               // sender report
		{[]byte{0x8f, 206, 0, 2, 0, 0, 0, 1}, true},               // PLI
		{[]byte{0x80, 96, 0, 1, 0, 0, 0, 1}, false},               // RTP, payload type 96
		{[]byte{0x80, 0xe0, 0, 1, 0, 0, 0, 1}, false},             // RTP with the marker, payload type 96
		{[]byte{0x00, 0x01, 0, 0, 0x21, 0x12, 0xa4, 0x42}, false}, // STUN
		{[]byte{22, 254, 253, 0, 0, 0, 0, 0}, false},              // DTLS
		{[]byte{0x80, 200, 0, 1}, false},                          // too short
	} {
		if got := isRTCP(tc.b); got != tc.want {
			t.Errorf("isRTCP(% x) = %v, want %v", tc.b, got, tc.want)
		}
	}
}

// TestFastReceiverFeedsGCC: feedback read on the fast path reaches the
// connection's own GCC: every packet it
// acknowledges is matched in GCC's history, and a receiver report in the
// same compound packet still reaches its track.
func TestFastReceiverFeedsGCC(t *testing.T) {
	sub, d, bwe := gccReceiver(t)
	peer, keys := newSRTCPPair(t)
	r := newFastReceiver(sub, func() cc.BandwidthEstimator { return bwe })
	if err := r.start(keys); err != nil {
		t.Fatal(err)
	}
	dg := gccFeedback(t, peer, bwe, 0, 20, time.Now())
	if !r.handle(dg) {
		t.Fatal("the connection's own SRTCP was left to pion")
	}
	if got, _ := bwe.GetStats()["acknowledged"].(int64); got != 20 {
		t.Errorf("GCC matched %d acknowledgments, want the 20 packets sent", got)
	}
	if got := d.jitterTicks.Load(); got != 90 {
		t.Errorf("jitter from the reception report %d, want 90", got)
	}
}

// gccReceiver is a subscriber with one down track (SSRC 1234) and a real
// GCC.
func gccReceiver(t testing.TB) (*Participant, *downTrack, *gcc.SendSideBWE) {
	t.Helper()
	m, _ := newMetrics(nil)
	cfg := Config{}
	cfg.setDefaults()
	s := &SFU{cfg: cfg, metrics: m}
	sub := &Participant{s: s, id: "hall-sub", writer: newWriter(nil), downs: map[TrackID]*downTrack{}}
	t.Cleanup(sub.writer.close)
	d := newDownTrack("hall-pub/camera", "hall-pub", webrtc.RTPCodecTypeVideo, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, sub)
	d.bound.Store(&binding{ssrc: 1234, pt: 96})
	sub.downs[d.id] = d
	bwe, err := gcc.NewSendSideBWE(gcc.SendSideBWEPacer(newSendPacer()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bwe.Close() })
	return sub, d, bwe
}

// gccFeedback records n packets from seq in bwe's history as sent 5 ms
// apart from at, and returns the subscriber's SRTCP datagram about them
// as a pion player sends it: a receiver report, then transport-wide
// feedback (each arrived 20 ms after it was sent).
func gccFeedback(t testing.TB, peer *rtcpPeer, bwe *gcc.SendSideBWE, seq uint16, n int, at time.Time) []byte {
	t.Helper()
	fb := twcc.NewRecorder(1)
	for i := range n {
		sent := at.Add(time.Duration(i) * 5 * time.Millisecond)
		bwe.RecordSent(sent, seq+uint16(i), 1200)
		fb.Record(1234, seq+uint16(i), sent.Add(20*time.Millisecond).UnixMicro())
	}
	return peer.seal(t, append([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: 1,
		Reports: []rtcp.ReceptionReport{{SSRC: 1234, Jitter: 90}}}}, fb.BuildFeedbackPacket()...)...)
}

// BenchmarkFastReceiver is one subscriber's RTCP datagram on the fast
// read path, as a pion subscriber sends it every 100 ms: a receiver
// report and transport-wide feedback on 20 packets that GCC's history
// holds, decrypted, read, fed to GCC (pion's estimator with the ring,
// internal/gcc: the delay and loss controllers run) and to the down
// track.
func BenchmarkFastReceiver(b *testing.B) {
	sub, _, bwe := gccReceiver(b)
	peer, keys := newSRTCPPair(b)
	r := newFastReceiver(sub, func() cc.BandwidthEstimator { return bwe })
	if err := r.start(keys); err != nil {
		b.Fatal(err)
	}
	// Sealed in batches the history holds (128 × 20 of its 4,096
	// packets), outside the timer, which counts the allocations too.
	const batch = 128
	dgs := make([][]byte, batch)
	var seq uint16
	at := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%batch == 0 {
			b.StopTimer()
			for k := range dgs {
				dgs[k] = gccFeedback(b, peer, bwe, seq, 20, at)
				seq += 20
				at = at.Add(100 * time.Millisecond)
			}
			b.StartTimer()
		}
		if !r.handle(dgs[i%batch]) {
			b.Fatal("not taken")
		}
	}
}
