package sfu

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// Source says what a published track carries.
type Source string

// Track sources.
const (
	SourceCamera     Source = "camera"
	SourceMicrophone Source = "microphone"
	SourceScreen     Source = "screen"
)

// Cache sizes in packets, powers of two so that seq%size never jumps at
// the 16-bit wrap: about 1.5 s of each layer of the reference hall (1.5
// Mbit/s, 500 kbit/s, 150 kbit/s) and of Opus, longer than any NACK worth
// answering on a 500 ms round trip. Every cached packet pins a 1.5 KiB
// buffer: 512 packets a layer was 2.6 MiB a hall, most of the SFU's heap
// at 160 halls.
const (
	videoCacheSize = 256 // the top layer, or a stream without simulcast
	audioCacheSize = 64
)

// videoCacheSizes are the cache sizes of simulcast layers, low to high.
var videoCacheSizes = [3]int{64, 128, videoCacheSize}

// layerOf maps a simulcast RID to a layer index 0 (low) .. 2 (high): q, h
// and f as browsers and LiveKit name them, l/m as some encoders do. A
// track without simulcast is its own high layer.
func layerOf(rid string) int {
	switch strings.ToLower(rid) {
	case "q", "l", "low":
		return 0
	case "h", "m", "mid", "medium":
		return 1
	default:
		return 2
	}
}

// upTrack is one track a participant publishes, with up to three simulcast
// layers. Subscribers register on it; its layers' readers hand each packet
// to the subscribers that want that layer.
type upTrack struct {
	// relay counts the link when the track arrived over a relay (a
	// ghost's): set at creation.
	relay   *RelayMeter
	id      TrackID
	owner   *Participant
	source  Source
	kind    webrtc.RTPCodecType
	codec   webrtc.RTPCodecParameters
	levelID uint8 // negotiated audio level extension ID, 0 if none
	// redPT is the payload type of the publisher's RED (redaudio.go), 0 if
	// not negotiated; codec is then the Opus inside it.
	redPT uint8
	h264  bool // the codec is H.264 (else VP8 for video)

	mu     sync.Mutex
	layers [3]*upLayer

	// subs is the copy-on-write list of down tracks fed by this track.
	subs atomic.Pointer[[]*downTrack]

	muted atomic.Bool // by the publisher: nothing is forwarded
	// quiet: an audio track outside the loudest Config.AudioLastN, not
	// forwarded for now.
	quiet atomic.Bool

	// taps are the relays carrying this track to another node (relay.go).
	taps atomic.Pointer[[]*tap]

	// pauseMu orders changes of the layers' pause states with the layers
	// message that tells the publisher of them (pause.go).
	pauseMu sync.Mutex

	// level is the smoothed audio level in -dBov (0 loudest, 127 silence),
	// kept by the reader for the active speaker detector.
	level atomic.Int32
}

// upLayer is one simulcast layer (or the only stream) of an upTrack.
type upLayer struct {
	track  *upTrack
	index  int
	remote *webrtc.TrackRemote
	ssrc   uint32
	cache  *packetCache
	// epoch changes when forwarding resumes after a gap the subscribers
	// should not see as loss (unmute); down tracks rebase on it.
	epoch atomic.Uint32
	stats streamStats
	rate  rateMeter
	// primaryBytes and primaryRate count a RED track's packets as a
	// subscriber without RED gets them: the primary frame alone
	// (redaudio.go), for its share of the downlink.
	primaryBytes atomic.Uint64
	primaryRate  rateMeter
	done         chan struct{}
	// in makes ingest one caller's at a time: the layer's reader (pion's
	// path) and the media socket's read loop (the fast path, fastrecv.go).
	in sync.Mutex

	lastPLI atomic.Int64 // nanotime of the last key frame request

	// Pausing at the publisher (pause.go): state is layerSending,
	// layerPaused or layerResuming; wantedAt is the nanotime a subscriber
	// last wanted the layer; resumedAt when the publisher was (last) told
	// to send it again; flowingAt when its first key frame came since;
	// heldRate its wire rate (bit/s) when it was paused (layerRate).
	state     atomic.Int32
	wantedAt  atomic.Int64
	resumedAt atomic.Int64
	flowingAt atomic.Int64
	heldRate  atomic.Int64
}

func (t *upTrack) info() TrackInfo {
	t.mu.Lock()
	var layers []string
	for i, l := range t.layers {
		if l != nil {
			layers = append(layers, Quality(i+1).String())
		}
	}
	t.mu.Unlock()
	return TrackInfo{ID: t.id, Participant: t.owner.id, Kind: t.kind.String(), Source: t.source,
		Codec: t.codec.MimeType, Layers: layers, Muted: t.forwardingOff()}
}

// forwardingOff reports whether nothing of the track goes out: muted by
// the publisher, or an audio track muted by a moderator.
func (t *upTrack) forwardingOff() bool {
	return t.muted.Load() || (t.kind == webrtc.RTPCodecTypeAudio && t.owner.serverMuted.Load())
}

// pickLayer returns the best layer at or below want (0..2), else the
// lowest above it, else nil.
func (t *upTrack) pickLayer(want int) *upLayer {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := min(want, 2); i >= 0; i-- {
		if t.layers[i] != nil {
			return t.layers[i]
		}
	}
	for i := want + 1; i < 3; i++ {
		if t.layers[i] != nil {
			return t.layers[i]
		}
	}
	return nil
}

func (t *upTrack) addSub(d *downTrack) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n []*downTrack
	if old := t.subs.Load(); old != nil {
		if slices.Contains(*old, d) {
			return
		}
		n = slices.Clone(*old)
	}
	n = append(n, d)
	t.subs.Store(&n)
}

func (t *upTrack) removeSub(d *downTrack) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.subs.Load()
	if old == nil || !slices.Contains(*old, d) {
		return
	}
	n := slices.DeleteFunc(slices.Clone(*old), func(x *downTrack) bool { return x == d })
	t.subs.Store(&n)
}

// newEpoch makes subscribers continue their sequence numbers across a
// stretch that was not forwarded (mute), instead of seeing it as loss.
func (t *upTrack) newEpoch() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range t.layers {
		if l != nil {
			l.epoch.Add(1)
		}
	}
}

// requestKeyframe asks the publisher for a key frame on layer l, at most
// once per interval: a burst of subscribers or switches costs one.
func (l *upLayer) requestKeyframe(interval time.Duration, m *metrics) {
	now := nanotime()
	last := l.lastPLI.Load()
	if (last != 0 && now-last < int64(interval)) || !l.lastPLI.CompareAndSwap(last, now) {
		return
	}
	pc := l.track.owner.upPC()
	if pc == nil {
		return
	}
	m.plis.Inc()
	_ = pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: l.ssrc}})
}

// read is the reader goroutine of a layer on pion's path: it reads each
// packet into a pooled buffer and hands it on (receive). On the fast
// path (fastrecv.go) it reads only what pion had when the stream was
// bound, and ends with the track.
func (l *upLayer) read(m *metrics) {
	defer close(l.done)
	for {
		p := newPacket()
		n, _, err := l.remote.Read(p.buf[:])
		if err != nil {
			p.release()
			return
		}
		p.n = n
		l.receive(p, m)
	}
}

// receive ingests p under the layer's lock.
func (l *upLayer) receive(p *packet, m *metrics) {
	l.in.Lock()
	l.ingest(p, m)
	l.in.Unlock()
}

// ingest parses p, notes stats, key frames and audio levels, caches it,
// and queues it to each subscriber's writer without waiting, so a slow
// subscriber never stalls the publisher. It takes over the caller's
// reference. No allocation on this path.
func (l *upLayer) ingest(p *packet, m *metrics) {
	t := l.track
	if !parseRTP(p.buf[:p.n], &p.info) {
		p.release()
		return
	}
	p.arrival = nanotime()
	p.epoch = l.epoch.Load()
	l.stats.received(p.n, p.info.seq, p.info.ts, p.arrival, t.codec.ClockRate)
	m.packetsIn.Inc()
	t.relay.Packet(p.n)
	p.vp8 = vp8Desc{} // a pooled packet's last use may have been VP8
	switch {
	case t.kind == webrtc.RTPCodecTypeAudio:
		p.keyframe = true
		l.observeLevel(p)
		if t.redPT != 0 {
			l.primaryBytes.Add(uint64(primarySize(t, p)))
		}
	case t.h264:
		p.keyframe = isH264Keyframe(p.payload())
	default:
		p.keyframe = isVP8Keyframe(p.payload())
		p.vp8 = parseVP8Desc(p.payload())
	}
	l.cache.add(p)
	if t.kind == webrtc.RTPCodecTypeVideo {
		l.cache.addKeyframe(p)
		if p.keyframe && l.state.Load() == layerResuming {
			l.resumed()
		}
	}
	l.forward(p)
	p.release()
}

// forward writes p to every subscriber that wants this layer now, in one
// pass whose datagrams leave in a few sendmmsg calls (writer.go send,
// batchsend.go).
func (l *upLayer) forward(p *packet) {
	if l.track.forwardingOff() || l.track.quiet.Load() {
		return
	}
	if taps := l.track.taps.Load(); taps != nil {
		for _, tp := range *taps {
			tp.push(l.index, p, l.track)
		}
	}
	subs := l.track.subs.Load()
	if subs == nil {
		return
	}
	media := l.track.owner.s.sendMedia()
	beginSend(media)
	now := nanotime() // one reading for the pass (writer.now)
	for _, d := range *subs {
		if d.accepts(l) {
			d.send(l, p, now)
		}
	}
	endSend(media)
}

// observeLevel smooths the RFC 6464 level: fast attack, slow decay, so a
// speaker's pauses between words don't drop them from the list.
func (l *upLayer) observeLevel(p *packet) {
	t := l.track
	lv := int32(127)
	if t.levelID != 0 {
		if v, _, ok := audioLevel(findExtension(p.buf[:p.n], &p.info, t.levelID)); ok {
			lv = int32(v)
		}
	}
	old := t.level.Load()
	if lv < old {
		t.level.Store((old + 3*lv) / 4)
	} else {
		t.level.Store((15*old + lv + 15) / 16)
	}
}
