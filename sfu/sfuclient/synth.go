package sfuclient

import (
	"context"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/cau-gov/cau/sfu/red"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Synthetic media: VP8 packets with valid payload descriptors (RFC 7741)
// and frame headers, or H.264 packetized by RFC 6184 (h264.go), so the
// SFU's key frame detection and layer switching work as with a browser
// or an encoder, and a marker after the header naming the layer and frame
// so a receiver can check what it got; and Opus-sized audio packets with
// an audio level.

// synthMagic starts the marker the synthetic video payloads carry.
const synthMagic = 0xCA

// VideoSpec describes a synthetic video publication.
type VideoSpec struct {
	Bitrates    []int         // bit/s per layer, lowest first
	FPS         int           // frames per second, default 30
	KeyInterval time.Duration // periodic key frames, default 3 s
	// IgnorePLI sends key frames only periodically, as some encoders do
	// (and as a publisher on a congested uplink seems to).
	IgnorePLI bool
}

// Frame describes what a synthetic packet says of itself.
type Frame struct {
	Layer    int
	Keyframe bool // first packet of a key frame
	Start    bool // first packet of a frame
	H264     bool // H.264 (else VP8)
	// PictureID is VP8's 15-bit picture ID, as the receiver got it.
	PictureID uint16
}

// ParseSynthetic reads the marker of a synthetic VP8 or H.264 payload.
// They cannot be confused: an H.264 NAL unit's first bit (forbidden_zero)
// is 0, a synthetic VP8 descriptor's (X, extensions present) is 1.
func ParseSynthetic(payload []byte) (Frame, bool) {
	if len(payload) > 0 && payload[0]&0x80 == 0 {
		return parseH264(payload)
	}
	if len(payload) < 4 || payload[0]&0x80 == 0 || payload[1]&0x80 == 0 || payload[2]&0x80 == 0 {
		return Frame{}, false
	}
	f := Frame{Start: payload[0]&0x10 != 0, PictureID: uint16(payload[2]&0x7f)<<8 | uint16(payload[3])}
	i := 4
	if f.Start {
		if len(payload) <= i {
			return Frame{}, false
		}
		f.Keyframe = payload[i]&0x01 == 0
		if f.Keyframe {
			i += 10
		} else {
			i += 3
		}
	}
	if len(payload) < i+2 || payload[i] != synthMagic {
		return Frame{}, false
	}
	f.Layer = int(payload[i+1])
	return f, true
}

// vp8Frame returns the packets' payloads of one synthetic frame.
func vp8Frame(layer int, pictureID uint16, key bool, size int) [][]byte {
	const maxPayload = 1000
	var out [][]byte
	for first := true; first || size > 0; first = false {
		n := min(size, maxPayload)
		size -= n
		b := make([]byte, 0, n+20)
		s := byte(0)
		if first {
			s = 0x10
		}
		b = append(b, 0x80|s, 0x80, 0x80|byte(pictureID>>8)&0x7f, byte(pictureID))
		if first {
			if key {
				// frame tag (key, show_frame), start code, 640x360
				b = append(b, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01)
			} else {
				b = append(b, 0x11, 0x02, 0x00)
			}
		}
		b = append(b, synthMagic, byte(layer))
		for len(b) < n+4 {
			b = append(b, byte(rand.Uint32()))
		}
		out = append(out, b)
	}
	return out
}

// SendVideo sends synthetic video in pub's codec (VP8 or H.264) on every
// layer of pub until ctx ends, with periodic key frames and one at once
// when the SFU asks; a layer the SFU paused is skipped (its timestamps go
// on) and starts again with a key frame.
func SendVideo(ctx context.Context, pub *Publication, spec VideoSpec) {
	h264 := strings.EqualFold(pub.tracks[0].Codec().MimeType, webrtc.MimeTypeH264)
	if spec.FPS == 0 {
		spec.FPS = 30
	}
	if spec.KeyInterval == 0 {
		spec.KeyInterval = 3 * time.Second
	}
	n := pub.Layers()
	seq := make([]uint16, n)
	ts := make([]uint32, n)
	pid := make([]uint16, n)
	for i := range n {
		seq[i], ts[i], pid[i] = uint16(rand.Uint32()), rand.Uint32(), uint16(rand.Uint32())&0x7fff
	}
	tick := time.NewTicker(time.Second / time.Duration(spec.FPS))
	defer tick.Stop()
	lastKey := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			periodic := now.Sub(lastKey) >= spec.KeyInterval
			if periodic {
				lastKey = now
			}
			for i := range n {
				if !pub.Active(i) {
					ts[i] += uint32(90000 / spec.FPS)
					continue
				}
				pli := pub.KeyframeRequested(i) && !spec.IgnorePLI
				key := pub.Resumed(i) || periodic || pli
				rate := spec.Bitrates[min(i, len(spec.Bitrates)-1)]
				size := rate / 8 / spec.FPS
				if key {
					size *= 3
				}
				var pkts [][]byte
				if h264 {
					pkts = H264Frame(i, key, size)
				} else {
					pkts = vp8Frame(i, pid[i], key, size)
				}
				for j, payload := range pkts {
					// The payload type is the negotiated one: the track sets it.
					p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq[i], Timestamp: ts[i],
						Marker: j == len(pkts)-1}, Payload: payload}
					seq[i]++
					_ = pub.WriteRTP(i, p, -1)
				}
				ts[i] += uint32(90000 / spec.FPS)
				pid[i] = (pid[i] + 1) & 0x7fff
			}
		}
	}
}

// SendAudio sends 20 ms Opus-sized packets (about 32 kbit/s) at the given
// level (-dBov, 0 loudest, 127 silent) until ctx ends; as RED with the two
// frames before each, as Chromium sends it, when pub.RED. level may change
// while it runs.
func SendAudio(ctx context.Context, pub *Publication, level func() int) {
	const frame = 20 * time.Millisecond
	// A ticker drops ticks its reader was too busy to take, so on a loaded
	// machine the sender fell behind the clock and tests counting frames
	// over a window saw fewer than were spoken. The frames due go out by
	// the wall clock instead: the ones missed are sent late (up to half a
	// second of them; a longer stall is a gap, as a real encoder's).
	const catchUp = 25
	seq, ts := uint16(rand.Uint32()), rand.Uint32()
	tick := time.NewTicker(frame)
	defer tick.Stop()
	var frames AudioFrames
	start, sent := time.Now(), int64(0)
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			due := int64(now.Sub(start) / frame)
			if late := due - sent; late > catchUp {
				ts += uint32(960 * (late - catchUp))
				sent = due - catchUp
			}
			for ; sent < due; sent++ {
				payload := make([]byte, 80)
				for i := range payload {
					payload[i] = byte(rand.Uint32())
				}
				payload[0] = 0x78 // Opus TOC: SILK+CELT hybrid-ish, 20 ms
				p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: seq, Timestamp: ts}, Payload: frames.Next(payload, pub.RED)}
				seq++
				ts += 960
				_ = pub.WriteRTP(0, p, level())
			}
		}
	}
}

// AudioFrames builds the payloads of successive 20 ms Opus frames: the
// frame itself, or RED (RFC 2198) carrying the two frames before it.
type AudioFrames struct {
	prev [2][]byte // the frames before, oldest first
}

// Next is the payload of frame (kept: not to be changed after).
func (a *AudioFrames) Next(frame []byte, asRED bool) []byte {
	defer func() { a.prev[0], a.prev[1] = a.prev[1], frame }()
	if !asRED {
		return frame
	}
	var blocks []red.Block
	for i, f := range a.prev {
		if f != nil {
			blocks = append(blocks, red.Block{PT: 111, TSOffset: uint16(960 * (2 - i)), Data: f})
		}
	}
	out, err := red.Append(nil, blocks, red.Block{PT: 111, Data: frame})
	if err != nil {
		return frame // cannot happen: 20 ms frames of under 1 KiB
	}
	return out
}
