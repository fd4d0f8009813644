package sfu

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"
)

// The fast receive path of an up connection. Pion passes a publisher's
// RTP packet through five goroutines, a buffer and a wake-up between
// each: the UDP mux's read loop, the ICE candidate's, the DTLS/SRTP
// mux's, the SRTP session's (which writes it to the buffer of its SSRC's
// read stream) and the layer's reader (upLayer.read), which reads it
// through the up connection's interceptors. At 160 halls receiving was
// the larger half of the SFU's CPU, channel and scheduler work a quarter
// of it (docs/performance.md).
//
// Here the media socket's read loop (batchConn) takes an RTP datagram
// from the remote address of an up connection on the fast path, whose
// SSRC pion has bound to a layer (onTrack), decrypts it with the
// connection's own SRTP context (the remote keys of the DTLS export,
// srtpkeys.go) into a pooled packet, reads it through the interceptors
// pion bound for that SSRC, and ingests it into the layer, with no
// goroutine between. The interceptors are pion's own objects, entered at
// the outer end of the stream's chain (recvTap keeps it) with the packet
// handed in at the inner end (recvSource): the NACK generator, the
// receiver reports (with lossreport.go's rewrite) and the transport-wide
// feedback see every packet, whichever path it took, and send their RTCP
// through pion as before. The transport-wide feedback is twccFeedback
// (twccfeedback.go): pion's recorder, without pion's goroutine switch per
// packet.
//
// Pion keeps everything else: ICE, DTLS, the publishers' RTCP, a stream
// until onTrack binds it (RID discovery and probing read its first
// packets), SSRC 0 probes, ICE-TCP, TURN and relay connections, and any
// datagram that does not authenticate under the connection's keys (a
// stream whose packets stop authenticating is left to pion). A layer's
// reader still reads what pion has: packets inside pion's goroutines when
// the stream was bound come after the first fast ones (a reordering at
// the switch), so a layer's ingest is under its own lock (upLayer.receive).

// upReceiver is one up connection's fast receive path.
type upReceiver struct {
	p     *Participant
	media []*batchConn // the SFU's UDP sockets, one per listen IP

	mu      sync.Mutex
	stopped bool
	srtp    *srtp.Context // nil until DTLS is up and the keys are read
	// check has the same keys without a replay window: a packet the
	// window refuses is this connection's (and dropped, as pion drops
	// it) only if check authenticates it.
	check *srtp.Context
	conn  *batchConn // nil: the selected pair does not use our socket
	from  netip.AddrPort
	// chains are the interceptors pion bound for each SSRC, outermost
	// (recvTap); streams the ones onTrack bound to a layer.
	chains  map[uint32]interceptor.RTPReader
	streams []recvStream
	// A packet read through a chain: hdr is its header as DecryptRTP
	// parsed it, which the interceptors find in attrs, and n its length,
	// which recvSource returns; attrs also marks the read as ours.
	hdr      *rtp.Header
	attrs    interceptor.Attributes
	n        int
	checkHdr rtp.Header
	scratch  [maxDgram]byte // check's output
}

// recvStream is a layer's stream on the fast path.
type recvStream struct {
	ssrc  uint32
	layer *upLayer
	chain interceptor.RTPReader
	// refused counts datagrams in a row that did not authenticate.
	refused int
}

// handedIn marks a packet the fast path reads through a chain.
type handedIn struct{}

const (
	// srtpReplayWindow is pion's SRTP session's (packets).
	srtpReplayWindow = 64
	// maxRefused datagrams in a row that do not authenticate leave a
	// stream to pion: keys or a rollover counter pion knows and we do not
	// (a stream whose sequence number wrapped before onTrack bound it).
	maxRefused = 32
)

func newUpReceiver(p *Participant, media []*batchConn) *upReceiver {
	r := &upReceiver{p: p, media: media, chains: map[uint32]interceptor.RTPReader{}}
	r.attrs = interceptor.Attributes{handedIn{}: r}
	// GetRTPHeader stores a header in attrs; DecryptRTP fills it in
	// place for each packet.
	r.hdr, _ = r.attrs.GetRTPHeader([]byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	return r
}

// start makes the SRTP contexts once the connection is up, with the
// remote side's keys and pion's replay window. Only once: DTLS does not
// restart with ICE, and a new context would lose the rollover counters.
func (r *upReceiver) start(keys srtp.Config) error {
	ctx, check, err := remoteContexts(keys, srtp.SRTPReplayProtection(srtpReplayWindow), srtp.SRTPNoReplayProtection())
	if err != nil {
		return fmt.Errorf("SRTP context: %w", err)
	}
	r.mu.Lock()
	if r.srtp == nil {
		r.srtp, r.check = ctx, check
	}
	r.mu.Unlock()
	return nil
}

// started reports whether the contexts are made.
func (r *upReceiver) started() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.srtp != nil
}

// route points the fast path at the selected candidate pair: a host UDP
// pair on one of our sockets whose remote side is not a TURN relay;
// anything else (or nil) turns it off.
func (r *upReceiver) route(pair *webrtc.ICECandidatePair) {
	conn, from := pairSocket(r.media, pair)
	if conn != nil && pair.Remote.Typ == webrtc.ICECandidateTypeRelay {
		conn = nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		conn = nil
	}
	if r.conn != nil {
		r.conn.recv.del(r.from, r)
	}
	if conn != nil {
		conn.recv.set(from, r)
	}
	r.conn, r.from = conn, from
}

// stop ends the fast path when the connection closes.
func (r *upReceiver) stop() {
	r.mu.Lock()
	r.stopped = true
	r.streams = nil
	r.mu.Unlock()
	r.route(nil)
}

// bind puts l's stream on the fast path, once pion has bound the
// interceptors of its SSRC (recvTap).
func (r *upReceiver) bind(l *upLayer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	chain := r.chains[l.ssrc]
	if chain == nil || r.stopped {
		return
	}
	for i := range r.streams {
		if r.streams[i].ssrc == l.ssrc {
			r.streams[i] = recvStream{ssrc: l.ssrc, layer: l, chain: chain}
			return
		}
	}
	r.streams = append(r.streams, recvStream{ssrc: l.ssrc, layer: l, chain: chain})
}

// unbind leaves l's stream to pion; when it returns, the fast path
// ingests nothing more into l.
func (r *upReceiver) unbind(l *upLayer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.streams {
		if r.streams[i].layer == l {
			r.streams = append(r.streams[:i], r.streams[i+1:]...)
			return
		}
	}
}

// setChain and dropChain follow pion's binding of an SSRC's interceptors.
func (r *upReceiver) setChain(ssrc uint32, chain interceptor.RTPReader) {
	r.mu.Lock()
	r.chains[ssrc] = chain
	r.mu.Unlock()
}

func (r *upReceiver) dropChain(ssrc uint32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.chains, ssrc)
	for i := range r.streams {
		if r.streams[i].ssrc == ssrc {
			r.streams = append(r.streams[:i], r.streams[i+1:]...)
			return
		}
	}
}

// bound reports whether ssrc is on the fast path (tests).
func (r *upReceiver) bound(ssrc uint32) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.streamLocked(ssrc) >= 0
}

func (r *upReceiver) streamLocked(ssrc uint32) int {
	for i := range r.streams {
		if r.streams[i].ssrc == ssrc {
			return i
		}
	}
	return -1
}

// handle decrypts one SRTP datagram of a bound stream, reads it through
// the stream's interceptors and ingests it into its layer; false: not a
// bound stream's, or it does not authenticate under this connection's
// keys (pion's to read, or to drop). A replay is dropped, as pion's
// session drops it. No allocation.
func (r *upReceiver) handle(dg []byte) bool {
	if len(dg) < 12 || len(dg) > maxPacket {
		return false // pion's: its reader says what is wrong with it
	}
	ssrc := binary.BigEndian.Uint32(dg[8:12])
	r.mu.Lock()
	defer r.mu.Unlock()
	i := r.streamLocked(ssrc)
	if i < 0 || r.srtp == nil {
		return false
	}
	st := &r.streams[i]
	p := newPacket()
	plain, err := r.srtp.DecryptRTP(p.buf[:], dg, r.hdr)
	if err != nil {
		p.release()
		if r.replayLocked(ssrc, dg) {
			return true
		}
		if st.refused++; st.refused >= maxRefused {
			r.p.log.Warn("fast receive path: a stream does not authenticate, pion's path reads it", "ssrc", ssrc, "error", err)
			r.streams = append(r.streams[:i], r.streams[i+1:]...)
		}
		return false
	}
	st.refused = 0
	r.n = len(plain)
	n, _, err := st.chain.Read(p.buf[:], r.attrs)
	if err != nil {
		p.release() // an interceptor refused it, as pion's reader would have
		return true
	}
	p.n = n
	m := r.p.s.metrics
	m.fastRecv.Inc()
	st.layer.receive(p, m)
	return true
}

// replayLocked reports whether dg, which the context refused, is this
// connection's packet all the same: one the replay window has seen, or
// older than it. check guesses the rollover counter from the context's.
func (r *upReceiver) replayLocked(ssrc uint32, dg []byte) bool {
	roc, ok := r.srtp.ROC(ssrc)
	if !ok {
		return false
	}
	r.check.SetROC(ssrc, roc)
	_, err := r.check.DecryptRTP(r.scratch[:], dg, &r.checkHdr)
	return err == nil
}

// recvSource is the innermost interceptor of an up connection: a read
// the fast path makes (attrs marked handedIn) returns the packet it
// decrypted into the caller's buffer; any other read is pion's, from its
// SRTP read stream.
type recvSource struct{ interceptor.NoOp }

func (*recvSource) BindRemoteStream(_ *interceptor.StreamInfo, next interceptor.RTPReader) interceptor.RTPReader {
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		if v, ok := a[handedIn{}]; ok {
			return v.(*upReceiver).n, a, nil
		}
		return next.Read(b, a)
	})
}

// recvTap is the outermost interceptor of an up connection: it hands the
// receiver each SSRC's whole chain.
type recvTap struct {
	interceptor.NoOp
	r *upReceiver
}

func (t *recvTap) BindRemoteStream(info *interceptor.StreamInfo, chain interceptor.RTPReader) interceptor.RTPReader {
	t.r.setChain(info.SSRC, chain)
	return chain
}

func (t *recvTap) UnbindRemoteStream(info *interceptor.StreamInfo) { t.r.dropChain(info.SSRC) }

type recvSourceFactory struct{}

func (recvSourceFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &recvSource{}, nil
}

type recvTapFactory struct{ r *upReceiver }

func (f recvTapFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &recvTap{r: f.r}, nil
}

// recvRoutes maps a media socket's remote addresses to the up
// connections on the fast receive path there (RTP).
type recvRoutes = routes[*upReceiver]

// isRTP: an RTP-version first byte (RFC 7983), a payload type byte
// outside RTCP's 192–223 (RFC 5761), and a whole fixed header.
func isRTP(b []byte) bool {
	return len(b) >= 12 && b[0]>>6 == 2 && (b[1] < 192 || b[1] > 223)
}

// startRecv turns the fast receive path on when the up connection
// connects: the SRTP keys of its DTLS session and the selected pair.
func (p *Participant) startRecv(pc *webrtc.PeerConnection, r *upReceiver) {
	dt := pc.SCTP().Transport()
	if pair, err := dt.ICETransport().GetSelectedCandidatePair(); err == nil {
		r.route(pair)
	}
	if r.started() {
		return
	}
	keys, err := srtpKeys(dt)
	if err == nil {
		err = r.start(keys)
	}
	if err != nil {
		p.log.Warn("fast receive path unavailable, pion's is used", "error", err)
	}
}
