package sfu

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cau-gov/cau/sfu/mkv"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

// Recorder tuning.
const (
	// recordMaxLate is how long the jitter buffer waits for a missing
	// packet (its NACK answered from the cache, or the publisher's
	// retransmission after the SFU's own NACK upstream) before it gives
	// the frame up: several round trips of a commune line.
	recordMaxLate = time.Second
	// recordMaxLatePackets bounds the same in packets: a second of the
	// top layer at 1.5 Mbit/s.
	recordMaxLatePackets = 400
	// recordNACKSpan: a gap wider than this is not NACKed packet by packet
	// (a source switch or a long outage; the key frame request covers it).
	recordNACKSpan = 64
	// recordStopGrace is how long Stop waits for the packets sent before
	// it that are still missing (a NACK round on a commune line).
	recordStopGrace = 300 * time.Millisecond
	// audioOverlap is how much (ms) an audio frame may overlap the one
	// before; more and it is left out.
	audioOverlap = 5
	// audioWaitForVideo: audio waits this long for the first key frame
	// before the file opens without one (a floor without a camera).
	audioWaitForVideo = 3 * time.Second
	// audioPending bounds the audio kept while waiting (20 ms packets).
	audioPending = int(audioWaitForVideo/(20*time.Millisecond)) + 50
)

// Codec names in results.
const (
	codecVP8  = "VP8"
	codecH264 = "H264"
)

// opusHead is the Opus identification header (RFC 7845 §5.1): 2
// channels, pre-skip 312, 48 kHz: the CodecPrivate of the audio track.
var opusHead = []byte{'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0}

// opusSilence is a 20 ms Opus frame of silence (CELT, full band).
var opusSilence = []byte{0xf8, 0xff, 0xfe}

const (
	trackVideo = 1
	trackAudio = 2
)

// recorder turns the recording's down tracks into files. Its sinks run on
// the recording's writer goroutine; Stop runs close under the writer's
// lock, so they never overlap; the speakers' taps have their own lock.
type recorder struct {
	rec *Recording
	m   *metrics

	video      *samplebuilder.SampleBuilder
	videoCodec string // of the builder: VP8 or H264
	audio      *samplebuilder.SampleBuilder
	vclock     rtpClock
	aclock     rtpClock
	// vtimes and atimes hold when the frames in the sample builders
	// reached the SFU: the clocks anchor at that, not at when a frame
	// left its builder (a frame later, and later still when the writer
	// goroutine runs late on a busy machine).
	vtimes, atimes frameArrivals
	vseq, aseq     seqTracker

	audioEnd int64 // ms: the end of the last audio frame written

	needKey bool // a frame was lost: skip to the next key frame
	// tickBase is the ms of the open part's zero (of the part to be
	// opened by the held frame), lastTick the tick of the last video
	// frame written in it (-1: none); see frameTick.
	tickBase, lastTick int64
	tickCodec          string      // of the frames the ticks are of
	held               *heldFrame  // the last frame, written when the next comes
	parts              []*part     // parts[len-1] is open (nil file: not yet)
	pending            []heldFrame // audio before the first part opened
	closed             bool
	// stopAt is when Stop was called, in ms from the start (0: not yet);
	// frames after it are left out.
	stopAt atomic.Int64

	stats RecordingStats

	smu      sync.Mutex
	speakers map[*upTrack]*speaker
	order    []*speaker
}

type heldFrame struct {
	ms    int64
	key   bool
	codec string
	data  []byte
	dur   int64
}

// part is one file of the recording.
type part struct {
	path  string
	codec string
	start int64 // ms from StartedAt of its time zero
	w     *mkv.Writer
	dur   time.Duration // once closed (w nil)
}

// closePart closes p's file, once.
func closePart(p *part) error {
	if p.w == nil {
		return nil
	}
	p.dur = p.w.Duration()
	err := p.w.Close()
	p.w = nil
	return err
}

func newRecorder(rec *Recording) *recorder {
	return &recorder{rec: rec, m: rec.s.metrics, speakers: map[*upTrack]*speaker{}, lastTick: -1,
		vclock: rtpClock{rate: 90000}, aclock: rtpClock{rate: 48000},
		audio: samplebuilder.New(recordMaxLatePackets, &codecs.OpusPacket{}, 48000, samplebuilder.WithMaxTimeDelay(recordMaxLate))}
}

func (c *recorder) keyframeRequested() {
	c.rec.p.writer.mu.Lock()
	c.stats.KeyframesRequested++
	c.rec.p.writer.mu.Unlock()
}

// nowMs is the time since the recording's start, in ms.
func (c *recorder) nowMs() int64 { return time.Since(c.rec.started).Milliseconds() }

// arrivedMs is when the frame at ts reached the SFU, in ms since the
// recording's start (never before it), or now if that is not known.
func (c *recorder) arrivedMs(f *frameArrivals, ts uint32) int64 {
	at, ok := f.take(ts)
	if !ok {
		return c.nowMs()
	}
	return max(0, (at-c.rec.startedNano)/int64(time.Millisecond))
}

// videoSink and audioSink are the recording's down tracks' "connections":
// each packet written to them is what a subscriber would have been sent.
type videoSink struct{ c *recorder }
type audioSink struct{ c *recorder }

func (s videoSink) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	s.c.onVideo(h, payload)
	return len(payload), nil
}
func (s videoSink) Write(b []byte) (int, error) { return len(b), nil }
func (s audioSink) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	s.c.onAudio(h, payload)
	return len(payload), nil
}
func (s audioSink) Write(b []byte) (int, error) { return len(b), nil }

// packetOf copies what the down track wrote (its buffer goes back to the
// pool when the write returns).
func packetOf(h *rtp.Header, payload []byte) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{Version: 2, Marker: h.Marker, PayloadType: h.PayloadType,
		SequenceNumber: h.SequenceNumber, Timestamp: h.Timestamp, SSRC: h.SSRC}, Payload: slices.Clone(payload)}
}

func (c *recorder) onVideo(h *rtp.Header, payload []byte) {
	if c.closed {
		return
	}
	c.stats.Packets++
	c.m.recordedPackets.Inc()
	c.nackGaps(c.rec.video, &c.vseq, h.SequenceNumber)
	codec := codecVP8
	if h.PayloadType == ptH264 {
		codec = codecH264
	}
	if c.video == nil || codec != c.videoCodec {
		c.drainVideo(true)
		var d rtp.Depacketizer = &codecs.VP8Packet{}
		if codec == codecH264 {
			d = &codecs.H264Packet{}
		}
		c.video = samplebuilder.New(recordMaxLatePackets, d, 90000, samplebuilder.WithMaxTimeDelay(recordMaxLate))
		c.videoCodec = codec
	}
	c.vtimes.push(h.Timestamp)
	c.video.Push(packetOf(h, payload))
	c.drainVideo(false)
}

func (c *recorder) onAudio(h *rtp.Header, payload []byte) {
	if c.closed {
		return
	}
	c.stats.Packets++
	c.m.recordedPackets.Inc()
	c.nackGaps(c.rec.audio, &c.aseq, h.SequenceNumber)
	c.atimes.push(h.Timestamp)
	c.audio.Push(packetOf(h, payload))
	c.drainAudio(false)
}

// nackGaps asks the down track's cache again for the numbers a gap
// skipped (a packet our own queue dropped is there; one lost upstream
// comes when the publisher answers the SFU's NACK).
func (c *recorder) nackGaps(d *downTrack, t *seqTracker, seq uint16) {
	from, to, ok := t.next(seq)
	if !ok || to-from > recordNACKSpan {
		return
	}
	for s := from; s != to; s++ {
		d.w.nack(d, s)
		c.stats.NACKed++
	}
}

func (c *recorder) drainVideo(flush bool) {
	if c.video == nil {
		return
	}
	if flush {
		c.video.Flush()
	}
	for s := c.video.Pop(); s != nil; s = c.video.Pop() {
		c.videoSample(s, c.videoCodec)
	}
}

func (c *recorder) drainAudio(flush bool) {
	if flush {
		c.audio.Flush()
	}
	for s := c.audio.Pop(); s != nil; s = c.audio.Pop() {
		if s.PrevDroppedPackets > 0 {
			c.lost(int(s.PrevDroppedPackets))
		}
		ms := c.aclock.ms(s.PacketTimestamp, c.arrivedMs(&c.atimes, s.PacketTimestamp))
		dur := max(s.Duration.Milliseconds(), 1)
		if c.after(ms) {
			continue
		}
		c.writeAudio(heldFrame{ms: ms, key: true, data: s.Data, dur: dur})
	}
}

// after reports whether a frame at ms came after Stop.
func (c *recorder) after(ms int64) bool {
	at := c.stopAt.Load()
	return at != 0 && ms > at
}

func (c *recorder) lost(n int) {
	c.stats.Lost += uint64(n)
	c.m.recordingLost.Add(float64(n))
}

func (c *recorder) videoSample(s *media.Sample, codec string) {
	if s.PrevDroppedPackets > 0 {
		c.lost(int(s.PrevDroppedPackets))
		c.needKey = true
		if l := c.rec.video.cur.Load(); l != nil {
			l.requestKeyframe(c.rec.s.cfg.PLIInterval, c.m)
			c.stats.KeyframesRequested++
		}
	}
	key := isKeySample(codec, s.Data)
	if c.needKey && !key {
		return // undecodable without what was lost
	}
	c.needKey = false
	f := heldFrame{ms: c.vclock.ms(s.PacketTimestamp, c.arrivedMs(&c.vtimes, s.PacketTimestamp)), key: key, codec: codec, data: s.Data, dur: 33}
	if c.after(f.ms) {
		return
	}
	// One frame per tick of the 30 fps grid of the part (see frameTick).
	h := c.held
	if f.codec != c.tickCodec {
		if !f.key {
			return // another codec's frame before its key frame
		}
		if h != nil {
			c.writeVideo(*h)
			h = nil
		}
		c.tickCodec, c.tickBase, c.lastTick = f.codec, 0, -1
		if p := c.current(); p != nil && p.codec != f.codec {
			c.tickBase = f.ms // f opens a part whose zero is its own
		} else if p != nil {
			c.tickBase = p.start
		}
	}
	c.held = nil
	if h != nil {
		if frameTick(f.ms-c.tickBase) <= frameTick(h.ms-c.tickBase) && f.key {
			h = nil // a new floor's key frame: the old floor's last frame goes
		} else {
			c.writeVideo(*h)
			c.lastTick = frameTick(h.ms - c.tickBase)
		}
	}
	k := max(frameTick(f.ms-c.tickBase), c.lastTick+1)
	f.ms = c.tickBase + tickCenter(k)
	c.held = &f
}

// frameTick is the tick of the 30 fps grid a frame at ms (from its part's
// zero) falls on, rounded half away from zero. ffmpeg times decoded
// frames at the rate it guessed from the first ones (a hall camera's 30
// fps), and two frames on one tick are "non monotonically increasing
// dts": a new floor's key frame a few ms after the old floor's last frame
// did that. So each frame is put at the centre of its tick (at most 17 ms
// from its own time; a frame exactly between two ticks is rounded one
// way or the other by ffmpeg's floating point), one frame a tick: where
// a new floor's key frame shares a tick with the old floor's last frame,
// held back one frame for this, that frame is dropped; a frame that comes
// early otherwise (capture jitter) takes the next tick. A source faster
// than 30 fps would be moved later and later; a hall camera is not one.
func frameTick(ms int64) int64 { return (6*ms + 100) / 200 }

// tickCenter is the ms nearest to the centre of tick k.
func tickCenter(k int64) int64 { return (100*k + 1) / 3 }

func isKeySample(codec string, b []byte) bool {
	if codec == codecVP8 {
		return len(b) > 0 && b[0]&0x01 == 0
	}
	for _, n := range mkv.NALUnits(b) {
		if len(n) > 0 && n[0]&0x1f == 5 {
			return true
		}
	}
	return false
}

// writeVideo writes a frame to the open part, or opens one at a key frame
// (the first, or the first of another codec).
func (c *recorder) writeVideo(f heldFrame) {
	p := c.current()
	if p == nil || p.codec != f.codec {
		if !f.key {
			return
		}
		if err := c.openPart(f); err != nil {
			c.rec.p.log.Warn("recording: open part", "error", err)
			return
		}
		p = c.current()
	}
	if p.w == nil {
		return
	}
	data := f.data
	if f.codec == codecH264 {
		data = mkv.AVCC(mkv.NALUnits(f.data))
	}
	if err := p.w.Write(trackVideo, f.ms-p.start, f.dur, f.key, data); err != nil {
		c.rec.p.log.Warn("recording: write", "error", err)
	}
}

func (c *recorder) writeAudio(f heldFrame) {
	p := c.current()
	if p == nil {
		c.pending = append(c.pending, f)
		if len(c.pending) > audioPending {
			c.pending = c.pending[1:]
		}
		if f.ms-c.pending[0].ms < audioWaitForVideo.Milliseconds() {
			return
		}
		// No picture yet: the file opens with what is known.
		if err := c.openPart(heldFrame{codec: codecVP8}); err != nil {
			c.rec.p.log.Warn("recording: open part", "error", err)
		}
		return
	}
	if p.w == nil || (len(c.parts) > 1 && f.ms < p.start) {
		return // before the part began: the part before had it
	}
	if f.ms < c.audioEnd-audioOverlap {
		// Overlapping the frame before (an audio source switch, whose
		// first packet the down track times a tick after the last): two
		// frames sounding at once are an error to ffmpeg, a 20 ms gap is
		// not heard.
		return
	}
	c.audioEnd = f.ms + f.dur
	if err := p.w.Write(trackAudio, f.ms-p.start, f.dur, true, f.data); err != nil {
		c.rec.p.log.Warn("recording: write", "error", err)
	}
}

func (c *recorder) current() *part {
	if len(c.parts) == 0 {
		return nil
	}
	return c.parts[len(c.parts)-1]
}

// openPart closes the open part and opens the next at key frame f (a
// zero f: no picture yet, a VP8 part of unknown size), writing any audio
// that waited for it.
func (c *recorder) openPart(f heldFrame) error {
	start := f.ms
	if len(c.parts) == 0 {
		start = 0 // the first part's zero is the recording's
	}
	if p := c.current(); p != nil {
		if err := closePart(p); err != nil {
			return err
		}
	}
	vt := mkv.Track{Number: trackVideo, CodecID: mkv.CodecVP8, Width: 640, Height: 360}
	ext := ".webm"
	if f.codec == codecH264 {
		nals := mkv.NALUnits(f.data)
		var sps, pps []byte
		for _, n := range nals {
			switch n[0] & 0x1f {
			case 7:
				sps = n
			case 8:
				pps = n
			}
		}
		cfg, err := mkv.AVCConfig(sps, pps)
		if err != nil {
			return fmt.Errorf("H.264 key frame without SPS and PPS: %w", err)
		}
		vt = mkv.Track{Number: trackVideo, CodecID: mkv.CodecH264, CodecPrivate: cfg, Width: 1280, Height: 720}
		if w, h, ok := mkv.H264Size(sps); ok {
			vt.Width, vt.Height = w, h
		}
		ext = ".mkv"
	} else if w, h, ok := mkv.VP8Size(f.data); ok {
		vt.Width, vt.Height = w, h
	}
	name := "recording" + ext
	if n := len(c.parts); n > 0 {
		name = fmt.Sprintf("recording-%d%s", n+1, ext)
	}
	path := filepath.Join(c.rec.dir, name)
	w, err := mkv.Create(path, c.rec.started.Add(time.Duration(start)*time.Millisecond), []mkv.Track{vt,
		{Number: trackAudio, CodecID: mkv.CodecOpus, CodecPrivate: opusHead, SampleRate: 48000, Channels: 2,
			SeekPreRoll: 80 * time.Millisecond}})
	if err != nil {
		return err
	}
	// A 20 ms silence at the part's zero, so its first block is there:
	// ffmpeg counts time from a file's first block, and frameTick's grid
	// must be ffmpeg's. (No CodecDelay for the same reason: it would
	// move the first audio block 6.5 ms before zero; the decoder's first
	// 6.5 ms are heard instead, an inaudible click at most.)
	if err := w.Write(trackAudio, 0, 20, true, opusSilence); err != nil {
		return err
	}
	c.audioEnd = max(c.audioEnd, start+20)
	c.parts = append(c.parts, &part{path: path, codec: f.codec, start: start, w: w})
	pending := c.pending
	c.pending = nil
	for _, a := range pending {
		c.writeAudio(a)
	}
	return nil
}

// close flushes the jitter buffers and closes every file; under the
// writer's lock.
func (c *recorder) close() (RecordingResult, error) {
	var errs []error
	if !c.closed {
		c.drainVideo(true)
		c.drainAudio(true)
		if h := c.held; h != nil {
			c.held = nil
			c.writeVideo(*h)
		}
		if len(c.parts) == 0 && len(c.pending) > 0 {
			if err := c.openPart(heldFrame{codec: codecVP8}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	c.closed = true
	var res RecordingResult
	for _, p := range c.parts {
		if err := closePart(p); err != nil {
			errs = append(errs, err)
		}
		res.Parts = append(res.Parts, RecordingPart{Path: p.path, Codec: p.codec, Start: time.Duration(p.start) * time.Millisecond, Duration: p.dur})
		res.Duration = max(res.Duration, time.Duration(p.start)*time.Millisecond+p.dur)
	}
	if len(res.Parts) > 0 {
		res.Main, res.Codec = res.Parts[0].Path, res.Parts[0].Codec
	}
	res.Stats = c.stats
	res.Stats.Dropped = c.rec.video.dropped.Load() + c.rec.audio.dropped.Load()
	sp, err := c.closeSpeakers()
	if err != nil {
		errs = append(errs, err)
	}
	res.Speakers = sp
	if len(res.Parts) == 0 {
		errs = append(errs, errNothingRecorded)
	}
	return res, errors.Join(errs...)
}

var errNothingRecorded = errors.New("nothing was recorded: the floor sent no picture or sound")
