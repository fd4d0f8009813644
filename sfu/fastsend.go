package sfu

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cau-gov/cau/sfu/internal/gcc"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"
)

// The fast write path of a down connection. Pion's path for one packet
// to one subscriber was: the TWCC header-extension interceptor, GCC's
// pacer, the sender-report interceptor, the SRTP session (a pooled
// buffer, a marshal, a lock), the mux endpoint, the ICE connection, the
// UDP mux, one sendto: about half the server's CPU in the fan-out
// scenario (docs/performance.md). Here the down track writes a header
// that already carries its transport-wide sequence number
// (downTrack.writePayload) and hands it to the connection's fastSender
// (send), past pion's interceptors: it records the packet in GCC's
// sent-packet history (a ring, internal/gcc) under that number and the
// writer's clock reading, encrypts it with the connection's own SRTP
// context and puts the datagram in the media socket's batch
// (batchsend.go) addressed to the selected candidate pair: one pass, no
// allocation, and the fan-out leaves in one sendmmsg. Sender reports are
// ours (senderreport.go), and so is reading the subscriber's RTCP
// (fastrtcp.go). What send refuses goes through pion's interceptors:
// GCC's pacer (sendPacer) and stream writer record it, and the innermost
// interceptor (fastTail) sends it the fast way if the route came up
// meanwhile, else gives it to pion's SRTP session.
//
// Pion stays for ICE, DTLS, SDP and RTCP parsing. Packets go pion's way
// when the fast path cannot be used: before DTLS is up (nothing is
// written then),
// over ICE-TCP or a relay (the socket is not ours), without batched
// sockets (Config.NoBatchIO, vnet in tests), or when the SRTP keys cannot
// be read (srtpkeys.go). Pion's SRTP session keeps rollover counters of
// its own: when a connection's pair moves between UDP and TCP after a
// stream's sequence number wrapped on the other path (within 65,536
// packets of its random start, at most 7 minutes of the top layer), the
// subscriber can no longer decrypt that stream. Pair changes between
// protocols are rare; the fix is to encrypt every packet with our context
// and hand pion's ICE connection the SRTP datagram, another seam.

// fastSender is one down connection's fast path. What send touches for
// every packet comes first, in as few cache lines as it takes: at 160
// subscribers a connection's state is cold by the next packet's pass, and
// each line apart was a miss per copy (its packet counter behind buf, the
// estimator behind cc: a third of send's own samples, "Fan-out CPU,
// session 10").
type fastSender struct {
	mu   sync.Mutex
	fast atomic.Uint64 // packets sent the fast way (tests, stats)
	srtp *srtp.Context // nil until DTLS is up and the keys are read
	// seal encrypts instead of srtp when the profile is AEAD-AES-GCM
	// (srtpseal.go); nil: srtp does.
	seal *srtpSealer
	// sent is the history of the connection's estimator, which send
	// records packets in; nil: none (send's packets are then not
	// recorded).
	sent *gcc.FeedbackAdapter
	conn *batchConn // nil: the selected pair does not use our socket
	to   netip.AddrPort

	stopped bool          // the connection is closed: no route any more
	other   atomic.Uint64 // packets handed to pion's path
	media   []*batchConn  // the SFU's UDP sockets, one per listen IP
	// rx reads the connection's RTCP where conn receives it from to
	// (fastrtcp.go); nil in benchmarks.
	rx  *fastReceiver
	hdr rtp.Header // EncryptRTP's scratch
	buf [maxDgram]byte
}

// srtpOverhead is the most SRTP adds to a packet (AEAD_AES_256_GCM's tag).
const srtpOverhead = 16

func newFastSender(media []*batchConn) *fastSender { return &fastSender{media: media} }

// start takes the SRTP context (and the sealer, nil for profiles other
// than AEAD-AES-GCM) once the connection is up.
func (f *fastSender) start(ctx *srtp.Context, seal *srtpSealer) {
	f.mu.Lock()
	f.srtp, f.seal = ctx, seal
	f.mu.Unlock()
}

// route points the fast path (and the fast RTCP read path) at the
// selected candidate pair, or turns it off when the pair is nil or not a
// host UDP pair on one of our sockets.
func (f *fastSender) route(pair *webrtc.ICECandidatePair) {
	conn, to := pairSocket(f.media, pair)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		conn = nil
	}
	if f.rx != nil { // under f.mu: two pair changes leave the last one's route
		if f.conn != nil {
			f.conn.routes.del(f.to, f.rx)
		}
		if conn != nil {
			conn.routes.set(to, f.rx)
		}
	}
	f.conn, f.to = conn, to
}

// stop ends both fast paths when the connection closes: a pair change
// pion reports after that routes nothing.
func (f *fastSender) stop() {
	f.mu.Lock()
	f.stopped = true
	f.mu.Unlock()
	f.route(nil)
}

// estimator sets the connection's estimator, once it is made.
func (f *fastSender) estimator(e *gcc.SendSideBWE) {
	f.mu.Lock()
	f.sent = nil
	if e != nil {
		f.sent = e.Recorder()
	}
	f.mu.Unlock()
}

// send sends h and payload the fast way and records the packet in GCC's
// history under the transport-wide sequence number seq (when twcc: h
// carries it); false: pion's way, which records it itself. The down
// track calls it past pion's interceptors. now is the writer's clock
// reading for its pass; GCC's departure is the later of it and the end
// of the batch sent last (outBatch.flushed), a reading the pass takes
// once per sendmmsg: the datagram leaves with the next batch, so its
// departure is late by at most one batch's making, not early by all
// the batches sent before it in the pass (up to ~1.5 ms for the 160th
// subscriber, more for a video packet's pass than for an audio one's).
func (f *fastSender) send(h *rtp.Header, payload []byte, seq uint16, twcc bool, now int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srtp == nil || f.conn == nil {
		return false
	}
	o := f.conn.out
	buf, batched := o.reserve()
	if !batched {
		buf = f.buf[:]
	}
	out, size, ok := f.sealInto(buf, h, payload)
	if !ok {
		if batched {
			o.cancel()
		}
		return false
	}
	if twcc && f.sent != nil {
		departure := now
		if batched {
			departure = max(now, o.flushed)
		}
		f.sent.OnSentSeq(clockStart.Add(time.Duration(departure)), seq, size)
	}
	f.fast.Add(1)
	switch {
	case out == nil: // counted as sent and lost, as before
		if batched {
			o.cancel()
		}
	case batched:
		o.commit(len(out), f.to)
	default:
		_, _ = f.conn.WriteToAddrPort(out, f.to) // a lost datagram is a lost packet
	}
	return true
}

// write sends h and payload the fast way; false: pion's way. For what
// comes through pion's interceptors (fastTail), which recorded it.
func (f *fastSender) write(h *rtp.Header, payload []byte) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srtp == nil || f.conn == nil {
		f.other.Add(1) // counted once: send's refusals come here too
		return false
	}
	out, _, ok := f.sealInto(f.buf[:], h, payload)
	if !ok {
		f.other.Add(1)
		return false
	}
	if out != nil {
		_, _ = f.conn.WriteToAddrPort(out, f.to) // batched during a pass, copied
	}
	f.fast.Add(1)
	return true
}

// sealInto marshals the header into buf, copies the payload behind it and
// encrypts both in place: out is the datagram at buf's start (nil if
// encryption failed), size the RTP packet's (header and payload). False:
// too big for buf. Under f.mu, with the keys and a route.
func (f *fastSender) sealInto(buf []byte, h *rtp.Header, payload []byte) (out []byte, size int, ok bool) {
	n, err := h.MarshalTo(buf)
	if err != nil || n+len(payload)+srtpOverhead > len(buf) {
		return nil, 0, false
	}
	hlen := n
	n += copy(buf[n:], payload)
	if f.seal != nil {
		return f.seal.seal(buf, hlen, n, h), n, true
	}
	out, err = f.srtp.EncryptRTP(buf, buf[:n], &f.hdr)
	if err != nil || len(out) == 0 || &out[0] != &buf[0] {
		out = nil // pion encrypts in place when buf has room; it has
	}
	return out, n, true
}

// fastTail is the innermost interceptor of a down connection: what GCC's
// pacer writes ends here, sent the fast way or given to pion's SRTP.
type fastTail struct {
	interceptor.NoOp
	f *fastSender
}

func (t *fastTail) BindLocalStream(_ *interceptor.StreamInfo, next interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if t.f.write(h, payload) {
			return len(payload), nil
		}
		return next.Write(h, payload, a)
	})
}

type fastTailFactory struct{ f *fastSender }

func (t fastTailFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &fastTail{f: t.f}, nil
}

// sendPacer is GCC's pacer (gcc.Pacer): like pion's NoOpPacer it sends at
// once, but it finds a stream in a short slice instead of a map.
type sendPacer struct {
	mu      sync.Mutex
	streams []pacedStream
}

type pacedStream struct {
	ssrc uint32
	w    interceptor.RTPWriter
}

func newSendPacer() *sendPacer { return &sendPacer{} }

// AddStream is called by GCC for each stream bound.
func (p *sendPacer) AddStream(ssrc uint32, w interceptor.RTPWriter) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.streams {
		if p.streams[i].ssrc == ssrc {
			p.streams[i].w = w
			return
		}
	}
	p.streams = append(p.streams, pacedStream{ssrc: ssrc, w: w})
}

// Write sends at once through the stream's writer.
func (p *sendPacer) Write(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.streams {
		if p.streams[i].ssrc == h.SSRC {
			return p.streams[i].w.Write(h, payload, a)
		}
	}
	return 0, errUnknownSSRC
}

// SetTargetBitrate: no pacing; the allocator keeps the rate under the estimate.
func (p *sendPacer) SetTargetBitrate(int) {}

// Close does nothing: the writers are pion's to close.
func (p *sendPacer) Close() error { return nil }

// startFast turns the fast paths on when the down connection connects:
// the SRTP keys of its DTLS session and the selected pair. Only once:
// DTLS does not restart with ICE, and a new context would restart the
// rollover counters the subscriber keeps.
func (p *Participant) startFast(pc *webrtc.PeerConnection, f *fastSender) {
	f.mu.Lock()
	started := f.srtp != nil
	f.mu.Unlock()
	dt := pc.SCTP().Transport()
	if pair, err := dt.ICETransport().GetSelectedCandidatePair(); err == nil {
		f.route(pair)
	}
	if started {
		return
	}
	keys, err := srtpKeys(dt)
	var ctx *srtp.Context
	if err == nil {
		ctx, err = srtp.CreateContext(keys.Keys.LocalMasterKey, keys.Keys.LocalMasterSalt, keys.Profile)
	}
	if err != nil {
		p.log.Warn("fast write path unavailable, pion's is used", "error", err)
		return
	}
	// Only GCM's sealer errs on the other profiles: pion's context does those.
	seal, _ := newSRTPSealer(keys.Profile, keys.Keys.LocalMasterKey, keys.Keys.LocalMasterSalt)
	f.start(ctx, seal)
	if f.rx != nil {
		if err := f.rx.start(keys); err != nil {
			p.log.Warn("fast RTCP read path unavailable, pion's is used", "error", err)
		}
	}
}
