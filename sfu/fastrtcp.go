package sfu

import (
	"fmt"
	"net/netip"
	"sync"

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
	buf   [maxDgram]byte
}

func newFastReceiver(p *Participant, bwe func() cc.BandwidthEstimator) *fastReceiver {
	return &fastReceiver{p: p, bwe: bwe}
}

// start makes the SRTCP contexts once the connection is up, with the
// remote side's keys and pion's replay window.
func (r *fastReceiver) start(keys srtp.Config) error {
	k := keys.Keys
	ctx, err := srtp.CreateContext(k.RemoteMasterKey, k.RemoteMasterSalt, keys.Profile,
		srtp.SRTCPReplayProtection(srtcpReplayWindow))
	if err != nil {
		return fmt.Errorf("SRTCP context: %w", err)
	}
	check, err := srtp.CreateContext(k.RemoteMasterKey, k.RemoteMasterSalt, keys.Profile, srtp.SRTCPNoReplayProtection())
	if err != nil {
		return fmt.Errorf("SRTCP context: %w", err)
	}
	r.mu.Lock()
	r.srtcp, r.check = ctx, check
	r.mu.Unlock()
	return nil
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
	plain, err := r.srtcp.DecryptRTCP(r.buf[:], dg, &r.hdr)
	if err != nil {
		// Not authenticated under this connection's keys, malformed, or
		// called a replay before its tag was checked: taken (and dropped)
		// only if it is this connection's replay.
		if _, err := r.check.DecryptRTCP(r.buf[:], dg, &r.hdr); err != nil {
			return false
		}
		r.p.s.metrics.fastRTCP.Inc()
		return true
	}
	r.p.s.metrics.fastRTCP.Inc()
	pkts, err := rtcp.Unmarshal(plain)
	if err != nil {
		return true
	}
	if e := r.bwe(); e != nil {
		_ = e.WriteRTCP(pkts, nil) // feedback GCC cannot read changes nothing
	}
	for _, pkt := range pkts {
		for _, ssrc := range pkt.DestinationSSRC() {
			if d := r.p.downBySSRC(ssrc); d != nil {
				r.p.handleRTCP(d, pkt)
			}
		}
	}
	return true
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
// connections on the fast path there.
type rtcpRoutes struct {
	mu sync.RWMutex
	m  map[netip.AddrPort]*fastReceiver
}

func (t *rtcpRoutes) set(from netip.AddrPort, r *fastReceiver) {
	t.mu.Lock()
	if t.m == nil {
		t.m = make(map[netip.AddrPort]*fastReceiver)
	}
	t.m[from] = r
	t.mu.Unlock()
}

// del removes from's route if it is still r's.
func (t *rtcpRoutes) del(from netip.AddrPort, r *fastReceiver) {
	t.mu.Lock()
	if t.m[from] == r {
		delete(t.m, from)
	}
	t.mu.Unlock()
}

// take handles dg, an RTCP datagram from from, if a down connection on
// the fast path has that address; false: pion's.
func (t *rtcpRoutes) take(from netip.AddrPort, dg []byte) bool {
	t.mu.RLock()
	r := t.m[from]
	t.mu.RUnlock()
	return r != nil && r.handle(dg)
}

// isRTCP: an RTP-version first byte (RFC 7983) and a payload type
// byte in RTCP's 192–223 (RFC 5761), as pion's mux tells them apart.
func isRTCP(b []byte) bool {
	return len(b) >= 8 && b[0]>>6 == 2 && b[1] >= 192 && b[1] <= 223
}
