package sfu

import (
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// binding is what pion hands a down track when its sender is negotiated.
type binding struct {
	w    webrtc.TrackLocalWriter
	ssrc uint32
	pt   uint8 // the codec Bind chose: the track's own, or the floor's first
	// codecs are the payload types the subscriber negotiated, the first
	// per MIME type: the floor sends whichever its source uses.
	codecs []boundCodec
	// twcc is the transport-wide sequence number extension's ID when the
	// SFU writes it (the fast path, fastsend.go); 0: none, or pion's.
	twcc uint8
	// red is the payload type of audio/red if the subscriber negotiated
	// it (RED is forwarded as it comes), else 0 (the primary Opus frame
	// alone; redaudio.go).
	red uint8
	// arrival, when set (the recorder's sinks), is where each write
	// notes when its packet reached the SFU (nanotime): the recording's
	// clock goes by that, not by when its goroutine got to the packet.
	arrival *int64
}

type boundCodec struct {
	mime string
	pt   uint8
}

// payloadType is the payload type negotiated for mime, and false if the
// subscriber did not negotiate that codec.
func (b *binding) payloadType(mime string) (uint8, bool) {
	for _, c := range b.codecs {
		if strings.EqualFold(c.mime, mime) {
			return c.pt, true
		}
	}
	return 0, false
}

// downTrack is one track sent to one subscriber. It implements
// webrtc.TrackLocal. Its source layer (cur) changes only on a key frame of
// the wanted layer (target); sequence numbers and timestamps are rewritten
// so the subscriber sees one continuous stream across layer and source
// switches. All rewriting state is owned by the subscriber's writer
// goroutine; the readers only look at cur and target.
type downTrack struct {
	// relay counts the link when the subscriber is another node's relay
	// (set once before the track is used); relayOn: the track is counted
	// among the link's streams (wanted, not off: relayStream).
	relay    *RelayMeter
	relayOn  atomic.Bool
	detached atomic.Bool // removed: never counted again
	id       TrackID
	streamID string
	kind     webrtc.RTPCodecType
	codec    webrtc.RTPCodecCapability
	sub      *Participant
	w        *writer
	floor    bool // follows the room's floor instead of one track
	slot     int  // a viewer's audio slot, 1-based (0: not a slot)

	sender *webrtc.RTPSender
	bound  atomic.Pointer[binding]

	cur    atomic.Pointer[upLayer]
	target atomic.Pointer[upLayer]
	src    atomic.Pointer[upTrack] // the track cur or target belongs to
	want   atomic.Int32            // Quality the subscriber asked for

	// The floor's payload type for ptSrc's codec under ptBind, looked
	// up again only when either changes; ptOK false: not negotiated.
	ptBind *binding
	ptSrc  *upTrack
	pt     uint8
	ptOK   bool
	hdr    rtp.Header
	twcc   [2]byte // the header's transport-wide sequence number
	padBuf [255]byte
	onePad [1]byte // repad's: one byte of padding, saying so

	// Counters read by stats.
	packetsSent atomic.Uint64
	bytesSent   atomic.Uint64
	dropped     atomic.Uint64
	frameDrop   atomic.Uint64 // the video frame being dropped (writer.go: dropKey)
	switches    atomic.Uint64
	reportedQ   atomic.Int32  // last layer told to the subscriber, -1 none
	lossOut     atomic.Uint32 // fraction lost ×256 from receiver reports
	rttMicros   atomic.Uint32
	jitterTicks atomic.Uint32
	// For sender reports (senderreport.go): payload octets sent, and the
	// RTP timestamp last sent with the nanotime it was sent at.
	octetsSent atomic.Uint64
	lastTs     atomic.Uint32
	lastAt     atomic.Int64

	replayBuf []*packet // writer-owned scratch of replay
	// rtx remembers recent retransmissions by sequence number;
	// writer-owned.
	rtx [64]struct {
		seq uint16
		at  int64
	}

	// seq rewrites sequence numbers and timestamps; writer-owned. Last:
	// its run history is cold, the fields above are read per packet.
	seq seqMap
	// vp8 is the newest VP8 picture numbers sent, vp8Buf the copy of a
	// payload whose numbers are rewritten (vp8munge.go); writer-owned.
	vp8    vp8Numbers
	vp8Buf *[maxPacket]byte
}

func newDownTrack(id TrackID, streamID string, kind webrtc.RTPCodecType, codec webrtc.RTPCodecCapability, sub *Participant) *downTrack {
	d := &downTrack{id: id, streamID: streamID, kind: kind, codec: codec, sub: sub, w: sub.writer}
	d.seq.init(uint16(rand.Uint32()), rand.Uint32(), nanotime())
	d.reportedQ.Store(-1)
	return d
}

// Bind is called by pion when the sender is negotiated. A track binds
// its own codec. The floor binds every video codec the subscriber
// negotiated (ctx holds the connection's) and sends each source in its
// own codec's payload type, without renegotiating: its source changes only
// on a key frame, so the subscriber's decoder changes codec on one too.
func (d *downTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	var chosen *webrtc.RTPCodecParameters
	b := &binding{w: ctx.WriteStream(), ssrc: uint32(ctx.SSRC())}
	if d.w != nil && d.w.fast != nil {
		for _, e := range ctx.HeaderExtensions() {
			if e.URI == sdp.TransportCCURI {
				b.twcc = uint8(e.ID)
			}
		}
	}
	for _, c := range ctx.CodecParameters() {
		if d.kind == webrtc.RTPCodecTypeAudio && strings.EqualFold(c.MimeType, mimeRED) {
			if b.red == 0 {
				b.red = uint8(c.PayloadType)
			}
			continue
		}
		if !d.floor && !strings.EqualFold(c.MimeType, d.codec.MimeType) {
			continue
		}
		if _, dup := b.payloadType(c.MimeType); dup {
			continue
		}
		b.codecs = append(b.codecs, boundCodec{mime: c.MimeType, pt: uint8(c.PayloadType)})
		if chosen == nil {
			chosen = &c
		}
		if !d.floor && d.kind != webrtc.RTPCodecTypeAudio {
			break
		}
	}
	if chosen == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	b.pt = uint8(chosen.PayloadType)
	d.bound.Store(b)
	if l := d.target.Load(); l != nil && d.kind == webrtc.RTPCodecTypeVideo && !l.cache.keyInRing() {
		if _, ok := b.payloadType(l.track.codec.MimeType); ok {
			// A new subscriber gets a picture at once: the cached key
			// frame is replayed (replay), or the publisher sends one.
			// Coalesced like any request: a key frame asked for less
			// than PLIInterval ago is on its way to this track too (its
			// target is set), and halls joining together asked once
			// each (16 at once: 3–17 requests; 1 since).
			l.requestKeyframe(d.sub.s.cfg.PLIInterval, d.sub.s.metrics)
		}
	}
	return *chosen, nil
}

// sends reports whether the subscriber can be sent t's codec: always for
// a track's own, for the floor if it negotiated that codec (or has not
// negotiated yet: nothing is written before, and Bind checks again).
func (d *downTrack) sends(t *upTrack) bool {
	b := d.bound.Load()
	if !d.floor || b == nil {
		return true
	}
	_, ok := b.payloadType(t.codec.MimeType)
	return ok
}

// payloadType is the payload type for packets of t under b, and false if
// the subscriber did not negotiate t's codec; in the writer goroutine.
func (d *downTrack) payloadType(b *binding, t *upTrack) (uint8, bool) {
	if !d.floor {
		return b.pt, true
	}
	if b != d.ptBind || t != d.ptSrc {
		d.ptBind, d.ptSrc = b, t
		d.pt, d.ptOK = b.payloadType(t.codec.MimeType)
	}
	return d.pt, d.ptOK
}

// Unbind is called by pion when the sender stops.
func (d *downTrack) Unbind(webrtc.TrackLocalContext) error {
	d.bound.Store(nil)
	return nil
}

// ID is the track ID the subscriber sees: the published track's ID, or
// "floor".
func (d *downTrack) ID() string { return string(d.id) }

// RID is empty: the SFU sends one stream per track.
func (d *downTrack) RID() string { return "" }

// StreamID groups a participant's tracks on the subscriber's side.
func (d *downTrack) StreamID() string { return d.streamID }

// Kind is audio or video.
func (d *downTrack) Kind() webrtc.RTPCodecType { return d.kind }

// accepts reports whether packets of layer l are wanted now; called by
// readers for every packet, so two atomic loads only.
func (d *downTrack) accepts(l *upLayer) bool {
	return d.cur.Load() == l || d.target.Load() == l
}

// setTarget asks for layer l (nil pauses); the switch happens on its next
// key frame, which is requested now.
func (d *downTrack) setTarget(l *upLayer) {
	old := d.target.Swap(l)
	if old == l {
		return
	}
	if l != nil {
		if src := d.src.Swap(l.track); src != l.track {
			l.track.addSub(d)
			// A source that was only a target, never sent, is dropped now;
			// the one being sent is dropped at the switch.
			if c := d.cur.Load(); src != nil && (c == nil || c.track != src) {
				src.removeSub(d)
			}
		}
		if c := d.cur.Load(); c != l && d.kind == webrtc.RTPCodecTypeVideo && (c != nil || !l.cache.keyInRing()) {
			// A new track replays the cached key frame instead, when the
			// ring still holds all since (else it asks for one too).
			l.requestKeyframe(d.sub.s.cfg.PLIInterval, d.sub.s.metrics)
		}
	}
	d.w.kick(d)
}

// detach removes the track from whatever it is fed by.
func (d *downTrack) detach() {
	d.detached.Store(true)
	d.relayStream(false)
	d.target.Store(nil)
	if t := d.src.Swap(nil); t != nil {
		t.removeSub(d)
	}
	if c := d.cur.Load(); c != nil {
		c.track.removeSub(d)
	}
}

// handle is called by the writer for each queued packet.
func (d *downTrack) handle(l *upLayer, p *packet) {
	cur := d.cur.Load()
	tgt := d.target.Load()
	if tgt == nil {
		if cur != nil {
			d.cur.Store(nil)
			d.noteLayer()
		}
		return
	}
	if !d.sub.downReady.Load() || d.bound.Load() == nil {
		return // not connected yet: nothing is sent, nothing switches
	}
	now := d.w.now
	if l != cur {
		if l != tgt {
			return
		}
		switch {
		case p.keyframe:
			d.switchTo(cur, l, p, now)
		case cur == nil && d.seq.media() == nil && d.replay(l, p, now):
			// A new subscriber: the cached key frame at once.
		default:
			l.requestKeyframe(d.sub.s.cfg.PLIInterval, d.sub.s.metrics)
			return
		}
	} else if !d.seq.sending(l, p.epoch) {
		if d.seq.stale(l, p.epoch) {
			return // queued before an unmute
		}
		// Forwarding resumes after a stretch the subscriber should not
		// see as loss (an unmute).
		d.startRun(l, p, now)
	}
	if d.kind == webrtc.RTPCodecTypeAudio && l.track.isRED(p) {
		if b := d.bound.Load(); b.red == 0 {
			d.recoverRED(l, p, now) // frames lost upstream, before p
		}
	}
	seq, ts, ok := d.seq.forward(l, p.epoch, p.info.seq, p.info.ts, now)
	if !ok {
		return // from before the switch, out of order
	}
	d.write(l, p, seq, ts, p.arrival)
}

// replay starts a new down track on l from l's last key frame, kept in
// its cache, so the subscriber shows a picture at once instead of
// waiting for the publisher's next key frame or its answer to a PLI
// (Galène does this for a new subscriber); p, the first packet of l it is
// given, follows. When the ring still holds everything since the key
// frame, all of it goes out and the stream stays decodable; otherwise the
// key frame alone, then the live stream under a new offset with a PLI for
// the frames in between. It reports false without a cached key frame, or
// when the subscriber's burst budget cannot take even the key frame.
// Only for a track that never sent: a resume on a commune line (paused
// for want of bandwidth) or a switch between layers would put a burst on
// a link just judged able to take the layer's rate, not a burst of it;
// those ask the publisher for a key frame as before (weak halls' queue
// overflowed about ten times as often with replays on resume, cau
// loadtest --halls 12 --weak-share 0.25).
func (d *downTrack) replay(l *upLayer, p *packet, now int64) bool {
	kf := l.cache.keyframe(d.replayBuf[:0])
	defer func() {
		releaseAll(kf)
		d.replayBuf = kf[:0]
	}()
	if len(kf) == 0 || kf[0].epoch != p.epoch {
		return false
	}
	// The subscriber's tracks share a burst budget (bandwidth.go): a
	// burst beyond it would fill a commune line's queue (and lose
	// packets): the key frame alone then, or else the publisher's next.
	ks := kf[0].info.seq
	if n := p.info.seq - ks; n > 0 && n < 0x8000 && int(n) < len(l.cache.ring) && l.cache.keyInRing() &&
		d.sub.burst.take(now, l.cache.bytes(ks, p.info.seq)) {
		d.switchTo(nil, l, kf[0], now)
		for s := ks; s != p.info.seq; s++ {
			q := l.cache.get(s)
			if q == nil {
				continue // lost upstream: a gap the subscriber NACKs
			}
			if q.epoch == p.epoch {
				d.forwardOne(l, q, now)
			}
			q.release()
		}
	} else {
		n := 0
		for _, q := range kf {
			n += q.n
		}
		if !d.sub.burst.takeKey(now, n) {
			return false
		}
		d.switchTo(nil, l, kf[0], now)
		for _, q := range kf {
			d.forwardOne(l, q, now)
		}
		d.startRun(l, p, now)
		l.requestKeyframe(d.sub.s.cfg.PLIInterval, d.sub.s.metrics)
	}
	d.sub.s.metrics.keyframeReplays.Inc()
	return true
}

// startFromCache starts a video track that has a target but never sent,
// once its connection is up, from its layer's cache (replay) up to the
// last packet received, rather than at the layer's next packet: a
// thumbnail layer at a few frames a second, or a paused top layer's
// substitute, left a joining subscriber's first picture 10–80 ms later
// (web/e2e/bench/firstframe.bench.js). Not the recorder's: it starts
// at the next packet as before (its clock anchors at the first frame it
// is given; TestRecordTopLayerStops's video ran 131 ms past the session
// once in CI with it). Writer-owned, like handle.
func (d *downTrack) startFromCache() {
	l := d.target.Load()
	if l == nil || d.kind != webrtc.RTPCodecTypeVideo || d.cur.Load() != nil || d.seq.media() != nil ||
		!d.sub.downReady.Load() || d.bound.Load() == nil || !l.usable() || d.sub.grant.Kind == KindRecorder {
		return
	}
	p := l.cache.latest()
	if p == nil {
		return
	}
	defer p.release()
	// Only when the ring holds the key frame and what followed: the key
	// frame alone would start a new offset with a PLI (replay's other
	// branch), for which waiting for the next packet is as good.
	kf := l.cache.keyframe(d.replayBuf[:0])
	whole := len(kf) > 0 && kf[0].info.seq != p.info.seq && l.cache.keyInRing()
	releaseAll(kf)
	d.replayBuf = kf[:0]
	if whole && d.replay(l, p, d.w.now) {
		d.forwardOne(l, p, d.w.now)
	}
}

// rtxMinGap is the least time between two retransmissions of a packet,
// or the round trip when longer.
const rtxMinGap = 150 * time.Millisecond

// forwardOne maps and writes q of l, already switched to.
func (d *downTrack) forwardOne(l *upLayer, q *packet, now int64) {
	if seq, ts, ok := d.seq.forward(l, q.epoch, q.info.seq, q.info.ts, now); ok {
		d.write(l, q, seq, ts, 0) // a cached packet: not a forward to time
	}
}

func (d *downTrack) switchTo(old, l *upLayer, p *packet, now int64) {
	d.startRun(l, p, now)
	d.cur.Store(l)
	if old != nil {
		d.switches.Add(1)
		d.sub.s.metrics.layerSwitches.Inc()
		if old.track != l.track {
			old.track.removeSub(d)
		}
	}
	d.noteLayer()
}

// noteLayer tells the subscriber about a layer change of a video track.
func (d *downTrack) noteLayer() {
	if d.kind != webrtc.RTPCodecTypeVideo {
		return
	}
	q, src := int32(QualityOff), ParticipantID("")
	if c := d.cur.Load(); c != nil {
		q, src = int32(c.index+1), c.track.owner.id
	}
	if d.reportedQ.Swap(q) == q && !d.floor {
		return
	}
	ev := LayerEvent{TrackID: d.id, Quality: Quality(q).String()}
	if d.floor {
		ev.Source = src
	}
	d.sub.send(ev)
}

// write sends p of source layer l as seq and ts. A floor packet in a
// codec the subscriber did not negotiate is dropped (the allocation pauses
// the floor for it; this covers the moment before it does). RED goes as it
// is or as its primary frame, and plain Opus as RED to a subscriber that
// negotiated it and loses packets (redaudio.go). arrival is when p was
// read from its publisher, for the forward delay metric and the
// recorder's clock; 0 for a copy from the cache (a replay, a NACK
// answer), whose wait is not the forward's.
func (d *downTrack) write(l *upLayer, p *packet, seq uint16, ts uint32, arrival int64) {
	t := l.track
	b := d.bound.Load()
	if b == nil {
		return
	}
	pt, ok := d.payloadType(b, t)
	if !ok {
		return
	}
	payload := d.vp8Payload(p, seq)
	switch {
	case t.isRED(p):
		if payload, pt, ok = d.redPayload(b, t, p, pt); !ok {
			return
		}
	case b.red != 0 && d.kind == webrtc.RTPCodecTypeAudio:
		if out, ok := d.addRED(l, p, pt, redCopies(d.lossOut.Load())); ok {
			payload, pt = out, b.red
		}
	}
	d.writePayload(b, pt, payload, p.info.marker, seq, ts, arrival)
}

// writeFrame sends a frame of source t that came inside another packet
// (a RED block) as seq and ts; false if it was not sent.
func (d *downTrack) writeFrame(t *upTrack, data []byte, marker bool, seq uint16, ts uint32, arrival int64) bool {
	b := d.bound.Load()
	if b == nil {
		return false
	}
	pt, ok := d.payloadType(b, t)
	return ok && d.writePayload(b, pt, data, marker, seq, ts, arrival)
}

func (d *downTrack) writePayload(b *binding, pt uint8, payload []byte, marker bool, seq uint16, ts uint32, arrival int64) bool {
	h := &d.hdr
	h.Version = 2
	h.Padding = false
	h.Marker = marker
	h.PayloadType = pt
	h.SequenceNumber = seq
	h.Timestamp = ts
	h.SSRC = b.ssrc
	h.CSRC = nil
	now := d.w.now
	if b.arrival != nil {
		*b.arrival = arrival
	}
	if !d.writeRTP(b, h, payload, now) {
		return false
	}
	d.noteSent(len(payload), ts, now)
	d.w.sent(len(payload)+12, now, arrival, d.sub.s.metrics)
	return true
}

// writeRTP gives h its transport-wide sequence number and writes it
// with payload, sent at now (nanotime): the fast way, straight to the
// connection's fastSender, when it has one that is up (fastsend.go),
// else through pion's interceptors. False: pion's write failed.
func (d *downTrack) writeRTP(b *binding, h *rtp.Header, payload []byte, now int64) bool {
	seq, twcc := d.transportSeq(h, b)
	if f := d.w.fast; f != nil && f.send(h, payload, seq, twcc, now) {
		return true
	}
	_, err := b.w.WriteRTP(h, payload)
	return err == nil
}

// transportSeq gives h the connection's next transport-wide sequence
// number, when the SFU writes it (b.twcc), and returns it; in the writer
// goroutine, which owns the counter for all of the subscriber's tracks.
func (d *downTrack) transportSeq(h *rtp.Header, b *binding) (uint16, bool) {
	h.Extension = false
	h.Extensions = h.Extensions[:0]
	if b.twcc == 0 {
		return 0, false
	}
	seq := d.w.twcc
	binary.BigEndian.PutUint16(d.twcc[:], seq)
	d.w.twcc++
	_ = h.SetExtension(b.twcc, d.twcc[:]) // cannot fail: one byte's worth of ID and 2 bytes
	return seq, true
}

// noteSent counts a packet written, for stats and sender reports.
func (d *downTrack) noteSent(payload int, ts uint32, now int64) {
	d.packetsSent.Add(1)
	d.bytesSent.Add(uint64(payload + 12))
	d.relay.Packet(payload + 12)
	d.octetsSent.Add(uint64(payload))
	d.lastTs.Store(ts)
	d.lastAt.Store(now)
}

// relayStream counts the track among its relay link's streams while the
// relay wants it (on), not while it is turned off (a thumbnail no hall
// behind the relay wants, the floor's camera after the floor moved on): the
// gauge is what crosses the link now.
func (d *downTrack) relayStream(on bool) {
	if d.relay == nil || (on && d.detached.Load()) || !d.relayOn.CompareAndSwap(!on, on) {
		return
	}
	if !on {
		d.relay.Stream(-1)
		return
	}
	d.relay.Stream(1)
	if d.detached.Load() { // detached meanwhile: its own call may have seen nothing to undo
		d.relayStream(false)
	}
}
