package sfu

import (
	"crypto/rand"
	"log/slog"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// recvRig is an up connection's receiving end without pion's transport:
// the interceptors newUpAPI registers (the receiver reports at interval,
// every 1 s in the SFU), bound for one stream as pion binds them, a
// publisher's layer behind the fast path, and the publisher's SRTP.
type recvRig struct {
	rx    *upReceiver
	layer *upLayer
	chain interceptor.Interceptor
	out   *rtcpLog // the RTCP the interceptors send the publisher
	pion  *rtpFeed // pion's SRTP read stream below the chain
	outer interceptor.RTPReader
	peer  *srtp.Context
	keys  srtp.Config
	m     *metrics
}

const recvSSRC = 5678

// newRecvRig wires an Opus layer (NACK negotiated, as the SFU offers it)
// with n subscribers whose last reception reports said loss/256 lost.
func newRecvRig(t testing.TB, reg prometheus.Registerer, reports time.Duration, n int, loss uint32) *recvRig {
	t.Helper()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{}
	cfg.setDefaults()
	s := &SFU{cfg: cfg, metrics: m}
	owner := &Participant{s: s, id: "hall-pub", log: slog.New(slog.DiscardHandler)}
	tr := &upTrack{id: "hall-pub/microphone", owner: owner, kind: webrtc.RTPCodecTypeAudio,
		codec: webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000}}}
	l := &upLayer{track: tr, index: 2, ssrc: recvSSRC, cache: newPacketCache(audioCacheSize), done: make(chan struct{})}
	tr.layers[2] = l
	var subs []*downTrack
	for range n {
		d := &downTrack{}
		d.lossOut.Store(loss)
		subs = append(subs, d)
	}
	tr.subs.Store(&subs)
	// What the subscribers see of it (lossreport.go), with nobody to
	// forward to: their down tracks have no connection.
	tr.muted.Store(true)
	s.audio.add(recvSSRC, tr)

	rx := newUpReceiver(owner, nil)
	ir := &interceptor.Registry{}
	ir.Add(recvSourceFactory{})
	ir.Add(lossReportFactory{&s.audio})
	gen, err := nack.NewGeneratorInterceptor()
	if err != nil {
		t.Fatal(err)
	}
	ir.Add(gen)
	rr, err := report.NewReceiverInterceptor(report.ReceiverInterval(reports))
	if err != nil {
		t.Fatal(err)
	}
	ir.Add(rr)
	ir.Add(twccFeedbackFactory{})
	ir.Add(recvTapFactory{rx})
	chain, err := ir.Build("")
	if err != nil {
		t.Fatal(err)
	}
	out := newRTCPLog()
	chain.BindRTCPWriter(out)
	pion := &rtpFeed{}
	info := &interceptor.StreamInfo{SSRC: recvSSRC, ClockRate: 48000, MimeType: webrtc.MimeTypeOpus,
		RTCPFeedback:        []interceptor.RTCPFeedback{{Type: "nack"}, {Type: "transport-cc"}},
		RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: twccTestExt}}}
	outer := chain.BindRemoteStream(info, pion)

	key, salt := make([]byte, 16), make([]byte, 12)
	_, _ = rand.Read(key)
	_, _ = rand.Read(salt)
	prof := srtp.ProtectionProfileAeadAes128Gcm
	peer, err := srtp.CreateContext(key, salt, prof)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = chain.Close()
		l.cache.clear()
	})
	return &recvRig{rx: rx, layer: l, chain: chain, out: out, pion: pion, outer: outer, peer: peer, m: m,
		keys: srtp.Config{Profile: prof, Keys: srtp.SessionKeys{RemoteMasterKey: key, RemoteMasterSalt: salt}}}
}

// packet is the publisher's RTP packet seq (its transport-wide sequence
// number too), plain.
func (g *recvRig) packet(t testing.TB, seq uint16) []byte {
	t.Helper()
	ext, err := (&rtp.TransportCCExtension{TransportSequence: seq}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: seq, Timestamp: uint32(seq) * 960, SSRC: recvSSRC},
		Payload: make([]byte, 120)}
	if err := p.Header.SetExtension(twccTestExt, ext); err != nil {
		t.Fatal(err)
	}
	raw, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// sealed is packet seq as the publisher sends it.
func (g *recvRig) sealed(t testing.TB, seq uint16) []byte {
	t.Helper()
	out, err := g.peer.EncryptRTP(nil, g.packet(t, seq), nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUpReceiver: a publisher's SRTP datagram of a bound stream is
// decrypted with the connection's context, read through the up
// connection's own interceptors and ingested into its layer; a packet
// pion reads goes through the same interceptors. The NACK generator asks
// for the one packet lost on the fast path (and not for the one pion
// read), the transport-wide feedback reports every packet that arrived
// by either path, and the receiver report counts the loss, its fraction
// rewritten to the subscribers' (lossreport.go). A replay is dropped;
// datagrams under other keys, of unbound streams, or before the keys are
// known are left to pion, and a stream that stops authenticating is too.
func TestUpReceiver(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := newRecvRig(t, reg, 50*time.Millisecond, 2, 40)
	rx, l := g.rx, g.layer
	rx.bind(l)
	if !rx.bound(recvSSRC) {
		t.Fatal("a stream pion bound the interceptors of is not on the fast path after bind")
	}
	if rx.handle(g.sealed(t, 1)) {
		t.Fatal("taken before the connection's keys are known; want it left to pion")
	}
	if err := rx.start(g.keys); err != nil {
		t.Fatal(err)
	}
	for seq := uint16(2); seq <= 12; seq++ {
		switch seq {
		case 6: // lost
		case 9: // read by pion's path: from its read stream, through the chain
			g.pion.pkts = append(g.pion.pkts, g.packet(t, seq))
			p := newPacket()
			n, _, err := g.outer.Read(p.buf[:], nil)
			if err != nil {
				t.Fatal(err)
			}
			p.n = n
			l.receive(p, g.m)
		default:
			if !rx.handle(g.sealed(t, seq)) {
				t.Fatalf("packet %d of the bound stream was left to pion", seq)
			}
		}
	}
	if got := l.stats.packets.Load(); got != 10 {
		t.Errorf("the layer ingested %d packets, want 10 (2–12 but 6)", got)
	}
	if got := counter(t, reg, "cau_sfu_rtp_fast_receive_total"); got != 9 {
		t.Errorf("%v packets counted on the fast path, want 9", got)
	}
	if p := l.cache.get(11); p == nil {
		t.Error("packet 11 is not in the layer's cache")
	} else {
		p.release()
	}

	// The interceptors' RTCP to the publisher.
	var nacked []uint16
	var received int
	var rr *rtcp.ReceptionReport
	deadline := time.After(5 * time.Second)
	for len(nacked) == 0 || received < 10 || rr == nil || rr.LastSequenceNumber != 12 {
		select {
		case <-g.out.written:
		case <-deadline:
			t.Fatalf("after 5 s: NACKed %v, feedback on %d packets (want 10), receiver report %+v", nacked, received, rr)
		}
		for _, p := range g.out.take() {
			switch p := p.(type) {
			case *rtcp.TransportLayerNack:
				for _, pair := range p.Nacks {
					nacked = append(nacked, pair.PacketList()...)
				}
			case *rtcp.TransportLayerCC:
				received += len(p.RecvDeltas)
			case *rtcp.ReceiverReport:
				for i := range p.Reports {
					if p.Reports[i].SSRC == recvSSRC {
						rr = &p.Reports[i]
					}
				}
			}
		}
	}
	slices.Sort(nacked)
	nacked = slices.Compact(nacked)
	if !slices.Equal(nacked, []uint16{6}) {
		t.Errorf("NACKed %v, want [6]: the packet lost, not the one pion read", nacked)
	}
	if received != 10 {
		t.Errorf("transport-wide feedback on %d packets, want 10", received)
	}
	if rr.TotalLost != 1 || rr.FractionLost != 40 {
		t.Errorf("receiver report: last %d, lost %d, fraction %d/256; want 12, 1 and the subscribers' 40/256",
			rr.LastSequenceNumber, rr.TotalLost, rr.FractionLost)
	}

	if !rx.handle(g.sealed(t, 12)) {
		t.Error("a replay was left to pion; want it dropped")
	}
	if got := l.stats.packets.Load(); got != 10 {
		t.Errorf("a replay was ingested: %d packets, want 10", got)
	}
	other := newRecvRig(t, nil, time.Second, 0, 0)
	if rx.handle(other.sealed(t, 13)) {
		t.Error("SRTP under another connection's keys was taken; want it left to pion")
	}
	if rx.handle([]byte{0x80, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0x99, 0x99, 1, 2, 3}) {
		t.Error("a datagram of a stream not bound was taken; want it left to pion")
	}
	for seq := uint16(14); seq < 14+maxRefused; seq++ {
		if rx.handle(other.sealed(t, seq)) {
			t.Fatalf("SRTP under another connection's keys was taken (%d)", seq)
		}
	}
	if rx.bound(recvSSRC) {
		t.Errorf("the stream is still on the fast path after %d datagrams in a row that do not authenticate", maxRefused)
	}
	if rx.handle(g.sealed(t, 100)) {
		t.Error("a stream left to pion was taken")
	}
	rx.bind(l)
	rx.unbind(l)
	if rx.handle(g.sealed(t, 101)) {
		t.Error("a packet of an unbound layer was taken")
	}
}

// TestRecvRoutes: only RTP from a routed address reaches its receiver,
// a route is removed only by its receiver, and isRTP tells RTP from the
// rest of what shares the socket.
func TestRecvRoutes(t *testing.T) {
	var routes recvRoutes
	a, b := newUpReceiver(nil, nil), newUpReceiver(nil, nil)
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
	routes.set(from, a)
	if routes.take(from, []byte{0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}) {
		t.Error("a receiver without its context took a datagram")
	}
	for _, tc := range []struct {
		b    []byte
		want bool
	}{
		{[]byte{0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, true},                // VP8
		{[]byte{0x90, 0xe0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, true},              // with the marker and an extension
		{[]byte{0x81, 200, 0, 7, 0, 0, 0, 1, 0, 0, 0, 1}, false},              // sender report
		{[]byte{0x00, 0x01, 0, 0, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0}, false}, // STUN
		{[]byte{22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0}, false},              // DTLS
		{[]byte{0x80, 96, 0, 1, 0, 0, 0, 1}, false},                           // too short
	} {
		if got := isRTP(tc.b); got != tc.want {
			t.Errorf("isRTP(% x) = %v, want %v", tc.b, got, tc.want)
		}
	}
}

// BenchmarkFastReceive is one publisher packet on the fast receive
// path: decrypted with the connection's context (AES-128-GCM), read
// through the up connection's interceptors (NACK generator, receiver
// reports, transport-wide feedback) and ingested into its layer (stats,
// cache), with no subscriber to forward to (BenchmarkFastWrite is the
// fan-out). The publisher's sealing is outside the timer.
func BenchmarkFastReceive(b *testing.B) {
	g := newRecvRig(b, nil, time.Second, 0, 0)
	g.layer.track.muted.Store(false)
	g.rx.bind(g.layer)
	if err := g.rx.start(g.keys); err != nil {
		b.Fatal(err)
	}
	const batch = 4096
	dgs := make([][]byte, batch)
	var seq uint16
	seal := func() {
		for i := range dgs {
			dgs[i] = g.sealed(b, seq)
			seq++
		}
	}
	seal()
	for _, dg := range dgs[:1024] { // warm the pool, the cache and the recorder
		g.rx.handle(dg)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%batch == 0 {
			b.StopTimer()
			seal()
			b.StartTimer()
		}
		if !g.rx.handle(dgs[i%batch]) {
			b.Fatal("a packet of the bound stream was left to pion")
		}
	}
}
