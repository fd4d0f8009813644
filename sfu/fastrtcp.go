package sfu

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"

	"github.com/cau-gov/cau/sfu/internal/gcc"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/rtcp"
	"github.com/pion/srtp/v3"
)

// The fast read path of a down connection's RTCP. Pion passes a
// subscriber's RTCP datagram through five goroutines, a buffer and a
// wake-up between each: the UDP mux's read loop, the ICE candidate's, the
// DTLS/SRTP mux's, the SRTCP session's (which splits the compound packet
// and writes each part to the buffer of the RTP sender it is addressed
// to), and one per down track (readRTCP), which reads it through the
// interceptors, GCC's copying and parsing it again. Reading subscribers'
// RTCP was about a tenth of the SFU's CPU at 160 subscribers, beside its
// share of the scheduler's (docs/performance.md).
//
// Here the media socket's read loop (batchConn) takes an RTCP datagram
// (RFC 5761) from the remote address of a down connection on the fast
// path, decrypts it with that connection's own SRTCP context (the remote
// keys of the DTLS export fastsend.go uses, srtpkeys.go), parses it once
// and handles it where it is: transport-wide feedback into GCC (whose
// delay controller runs in its caller, internal/gcc), and each packet to
// the down track it is addressed to (handleRTCP: NACKs to the writer's
// queue, PLIs to the publisher, reception reports into the stats). None
// of it waits for another goroutine to run. A datagram that does not
// authenticate under the connection's keys is not its own and goes to
// pion as before; so does everything before the connection is up, and
// everything over ICE-TCP or a relay, which readRTCP still reads.

// fastReceiver is one down connection's RTCP read path.
type fastReceiver struct {
	p   *Participant
	bwe func() cc.BandwidthEstimator

	mu    sync.Mutex
	srtcp *srtp.Context // nil until DTLS is up and the keys are read
	// check has the same keys without a replay window: pion's context
	// checks the window before the tag, so a packet it calls a replay
	// is ours only if check authenticates it.
	check *srtp.Context
	hdr   rtcp.Header // DecryptRTCP's scratch
}

// rtcpScratch is what reading one datagram writes and forgets: the
// decrypted packet and GCC's acknowledgments of a feedback (20-odd of
// 72 bytes). Each connection had its own, cold in the cache by its next
// feedback 100 ms and thousands of forwarded copies later, so writing
// them missed about thirty cache lines per feedback; the pool's, used
// by every datagram the read loop handles, stays in the cache.
type rtcpScratch struct {
	buf  [maxDgram]byte
	acks []gcc.Acknowledgment
}

var rtcpScratchPool = sync.Pool{New: func() any { return &rtcpScratch{acks: make([]gcc.Acknowledgment, 0, 64)} }}

func newFastReceiver(p *Participant, bwe func() cc.BandwidthEstimator) *fastReceiver {
	return &fastReceiver{p: p, bwe: bwe}
}

// start makes the SRTCP contexts once the connection is up, with the
// remote side's keys and pion's replay window.
func (r *fastReceiver) start(keys srtp.Config) error {
	ctx, check, err := remoteContexts(keys, srtp.SRTCPReplayProtection(srtcpReplayWindow), srtp.SRTCPNoReplayProtection())
	if err != nil {
		return fmt.Errorf("SRTCP context: %w", err)
	}
	r.mu.Lock()
	r.srtcp, r.check = ctx, check
	r.mu.Unlock()
	return nil
}

// remoteContexts makes the fast read paths' two contexts with the remote
// side's keys: ctx with pion's replay window, check without one (see
// fastReceiver.check).
func remoteContexts(keys srtp.Config, replay, noReplay srtp.ContextOption) (ctx, check *srtp.Context, err error) {
	k := keys.Keys
	if ctx, err = srtp.CreateContext(k.RemoteMasterKey, k.RemoteMasterSalt, keys.Profile, replay); err != nil {
		return nil, nil, err
	}
	if check, err = srtp.CreateContext(k.RemoteMasterKey, k.RemoteMasterSalt, keys.Profile, noReplay); err != nil {
		return nil, nil, err
	}
	return ctx, check, nil
}

// srtcpReplayWindow is pion's SRTCP session's (packets).
const srtcpReplayWindow = 64

// handle decrypts and handles one SRTCP datagram; false: it does not
// authenticate under this connection's keys (pion's to read, or to
// drop). A replay, and a packet that authenticates but does not parse,
// are dropped, as pion's session drops them.
func (r *fastReceiver) handle(dg []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.srtcp == nil {
		return false
	}
	sc := rtcpScratchPool.Get().(*rtcpScratch)
	defer rtcpScratchPool.Put(sc)
	plain, err := r.srtcp.DecryptRTCP(sc.buf[:], dg, &r.hdr)
	if err != nil {
		// Not authenticated under this connection's keys, malformed, or
		// called a replay before its tag was checked: taken (and dropped)
		// only if it is this connection's replay.
		if _, err := r.check.DecryptRTCP(sc.buf[:], dg, &r.hdr); err != nil {
			return false
		}
		r.p.s.metrics.fastRTCP.Inc()
		return true
	}
	r.p.s.metrics.fastRTCP.Inc()
	r.read(plain, sc)
	return true
}

// read handles a compound RTCP packet one packet at a time, the frequent
// ones in place: transport-wide feedback (ten a second from each pion or
// browser subscriber) goes to GCC as bytes (gcc.OnTransportCCRaw), and
// reception reports to the down tracks they are about. Pion's parse of
// them was 35 allocations for a pion player's feedback on 20 packets and
// its receiver report (BenchmarkFastReceiver). The rest (NACKs, PLIs) is
// parsed by pion's rtcp and handled as readRTCP handles it. A malformed
// packet ends the read, as the rest of the compound cannot be found.
// sc is the scratch b was decrypted into.
func (r *fastReceiver) read(b []byte, sc *rtcpScratch) {
	for len(b) >= 4 && b[0]>>6 == 2 {
		n := 4 * (int(binary.BigEndian.Uint16(b[2:])) + 1)
		if n > len(b) {
			return
		}
		pkt := b[:n]
		b = b[n:]
		switch {
		case rtcp.PacketType(pkt[1]) == rtcp.TypeTransportSpecificFeedback && pkt[0]&0x1f == rtcp.FormatTCC:
			r.feedback(pkt, sc)
		case rtcp.PacketType(pkt[1]) == rtcp.TypeReceiverReport:
			r.receptionReports(pkt)
		default:
			r.parsed(pkt, false)
		}
	}
}

// feedback gives GCC one transport-wide feedback packet.
func (r *fastReceiver) feedback(pkt []byte, sc *rtcpScratch) {
	switch e := r.bwe().(type) {
	case nil:
	case *gcc.SendSideBWE:
		sc.acks, _ = e.WriteTransportCC(sc.acks, pkt) // feedback GCC cannot read changes nothing
	default:
		r.parsed(pkt, true)
	}
}

// receptionReports hands each reception report block of a receiver
// report (RFC 3550 6.4.2) to the down track it is about.
func (r *fastReceiver) receptionReports(pkt []byte) {
	if len(pkt) < 8 {
		return
	}
	blocks := pkt[8:]
	for range pkt[0] & 0x1f {
		if len(blocks) < 24 {
			return
		}
		b := blocks[:24]
		blocks = blocks[24:]
		rr := rtcp.ReceptionReport{
			SSRC:               binary.BigEndian.Uint32(b),
			FractionLost:       b[4],
			TotalLost:          uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7]),
			LastSequenceNumber: binary.BigEndian.Uint32(b[8:]),
			Jitter:             binary.BigEndian.Uint32(b[12:]),
			LastSenderReport:   binary.BigEndian.Uint32(b[16:]),
			Delay:              binary.BigEndian.Uint32(b[20:]),
		}
		if d := r.p.downBySSRC(rr.SSRC); d != nil {
			d.noteReport(rr)
		}
	}
}

// parsed handles an RTCP packet by pion's parse: to the down track it is
// addressed to (handleRTCP), and to GCC too if toGCC.
func (r *fastReceiver) parsed(pkt []byte, toGCC bool) {
	pkts, err := rtcp.Unmarshal(pkt)
	if err != nil {
		return
	}
	if e := r.bwe(); toGCC && e != nil {
		_ = e.WriteRTCP(pkts, nil)
	}
	for _, pkt := range pkts {
		for _, ssrc := range pkt.DestinationSSRC() {
			if d := r.p.downBySSRC(ssrc); d != nil {
				r.p.handleRTCP(d, pkt)
			}
		}
	}
}

// downBySSRC is the down track sending ssrc, nil if none.
func (p *Participant) downBySSRC(ssrc uint32) *downTrack {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range p.downs {
		if b := d.bound.Load(); b != nil && b.ssrc == ssrc {
			return d
		}
	}
	return nil
}

// rtcpRoutes maps a media socket's remote addresses to the down
// connections on the fast path there (their subscribers' RTCP).
type rtcpRoutes = routes[*fastReceiver]

// routes maps a media socket's remote addresses to the connections that
// read their datagrams on the socket's loop (fastrtcp.go, fastrecv.go).
type routes[R interface{ handle([]byte) bool }] struct {
	mu sync.RWMutex
	m  map[netip.AddrPort]R
}

func (t *routes[R]) set(from netip.AddrPort, r R) {
	t.mu.Lock()
	if t.m == nil {
		t.m = make(map[netip.AddrPort]R)
	}
	t.m[from] = r
	t.mu.Unlock()
}

// del removes from's route if it is still r's.
func (t *routes[R]) del(from netip.AddrPort, r R) {
	t.mu.Lock()
	if cur, ok := t.m[from]; ok && any(cur) == any(r) {
		delete(t.m, from)
	}
	t.mu.Unlock()
}

// take handles dg, a datagram from from, if a connection on the fast
// path has that address; false: pion's.
func (t *routes[R]) take(from netip.AddrPort, dg []byte) bool {
	t.mu.RLock()
	r, ok := t.m[from]
	t.mu.RUnlock()
	return ok && r.handle(dg)
}

// isRTCP: an RTP-version first byte (RFC 7983) and a payload type
// byte in RTCP's 192–223 (RFC 5761), as pion's mux tells them apart.
func isRTCP(b []byte) bool {
	return len(b) >= 8 && b[0]>>6 == 2 && b[1] >= 192 && b[1] <= 223
}
