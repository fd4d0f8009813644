package sfu_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
	"github.com/cau-gov/cau/sfu/whip"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// The floor carries whatever codec its hall publishes: a VP8 hall in the
// browser and an H.264 encoder over WHIP take turns, and one floor track
// follows them without renegotiating, in each codec's payload type, with
// one continuous sequence. A subscriber without the codec gets no picture
// rather than packets it cannot decode.
func TestFloorCarriesVP8AndH264(t *testing.T) {
	b := setup(t, sfu.Config{InitialBitrate: 5_000_000})
	const room = "meeting-264"
	whipURL := serveWHIP(t, b)
	spec := sfuclient.VideoSpec{Bitrates: []int{100_000, 250_000, 600_000}}

	// Both halls are silent: the floor moves only when pinned.
	vp8Hall := b.dial(t, room, "hall-vp8", sfuclient.Options{})
	publishHallLevel(t, vp8Hall, simulcastRIDs, spec, 127)
	publishWHIP(t, whipURL, b.token(t, room, "hall-h264", permPublish), webrtc.MimeTypeH264, spec)
	pin := func(hall sfu.ParticipantID) {
		t.Helper()
		if err := b.s.PinFloor(room, hall); err != nil {
			t.Fatal(err)
		}
	}
	// The VP8 hall has the floor before anyone subscribes to it: a new
	// floor subscriber starts from the cache at once, so a floor left to
	// chance (the H.264 hall, at times) would be its first picture.
	pin("hall-vp8")

	both := newFloorLog()
	sub := b.dial(t, room, "hall-both", sfuclient.Options{OnTrack: both.onTrack})
	vp8Log := newFloorLog()
	vp8Sub := b.dial(t, room, "hall-vp8only", sfuclient.Options{OnTrack: vp8Log.onTrack, VideoCodecs: []string{webrtc.MimeTypeVP8}})
	for _, c := range []*sfuclient.Client{sub, vp8Sub} {
		waitTrack(t, c, "hall-h264/camera")
		if err := c.Subscribe(sfu.FloorTrack, sfu.QualityHigh); err != nil {
			t.Fatal(err)
		}
	}
	// A lobby screen whose player decodes H.264 only.
	h264Log := newFloorLog()
	player, err := sfuclient.PlayWHEP(ctxT(t, 10*time.Second), whipURL+"/whep", b.token(t, room, "lobby", permSubscribe),
		sfuclient.Options{Logger: b.log, OnTrack: h264Log.onTrack, VideoCodecs: []string{webrtc.MimeTypeH264}}, 1)
	if err != nil {
		t.Fatalf("WHEP with H.264 only: %v", err)
	}
	t.Cleanup(func() { _ = player.Close(context.Background()) })

	both.waitKey(t, 0, false)
	vp8Log.waitKey(t, 0, false)

	// The encoder takes the floor: H.264 for who has it, a pause for the
	// VP8-only hall, the picture at last for the H.264-only player.
	fromBoth, fromH264, mark := both.count(), h264Log.count(), vp8Sub.Mark()
	pin("hall-h264")
	both.waitKey(t, fromBoth, true)
	h264Log.waitKey(t, fromH264, true)
	if _, err := vp8Sub.WaitFrom(ctxT(t, 5*time.Second), mark, sfuclient.IsType("layer", func(e sfu.LayerEvent) bool {
		return e.TrackID == sfu.FloorTrack && e.Quality == "off"
	})); err != nil {
		t.Fatalf("the VP8-only hall's floor never paused for the H.264 hall: %v", err)
	}
	settle(300 * time.Millisecond) // packets already on their way
	paused := vp8Log.count()
	settle(1500 * time.Millisecond)
	if n := vp8Log.mediaSince(paused); n > 0 {
		t.Errorf("the VP8-only hall got %d floor packets while the H.264 hall held the floor", n)
	}

	// And back to the VP8 hall.
	fromBoth, fromVP8 := both.count(), vp8Log.count()
	pin("hall-vp8")
	both.waitKey(t, fromBoth, false)
	vp8Log.waitKey(t, fromVP8, false)
	settle(300 * time.Millisecond)

	checkFloor(t, "both codecs", both.snapshot(), videoPTs(t, sub.DownConnection()), []bool{false, true, false})
	checkFloor(t, "VP8 only", vp8Log.snapshot(), videoPTs(t, vp8Sub.DownConnection()), []bool{false})
	checkFloor(t, "H.264-only player", h264Log.snapshot(), videoPTs(t, player.PC), []bool{true})
}

// serveWHIP serves b's SFU over WHIP and WHEP with b's test tokens, and
// returns the base URL.
func serveWHIP(t *testing.T, b bundle) string {
	t.Helper()
	authorize := func(_ *http.Request, token string) (sfu.Grant, error) {
		g, ok := b.tokens.Load(token)
		if !ok {
			return sfu.Grant{}, errors.New("unknown token")
		}
		return g.(sfu.Grant), nil
	}
	h := whip.NewHandler(b.s, authorize, b.log)
	mux := http.NewServeMux()
	for _, p := range []string{"/whip", "/whip/", "/whep", "/whep/"} {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// publishWHIP publishes a simulcast camera in mime and silent audio over
// WHIP, as a hall's hardware encoder does, until the test ends.
func publishWHIP(t *testing.T, base, token, mime string, spec sfuclient.VideoSpec) {
	t.Helper()
	enc, err := sfuclient.PublishWHIP(ctxT(t, 10*time.Second), base+"/whip", token, sfuclient.Options{},
		sfuclient.WHIPPublication{VideoMime: mime, RIDs: simulcastRIDs, Audio: true})
	if err != nil {
		t.Fatalf("WHIP publish %s: %v", mime, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); sfuclient.SendVideo(ctx, enc.Video, spec) }()
	go func() { defer wg.Done(); sfuclient.SendAudio(ctx, enc.Audio, func() int { return 127 }) }()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		_ = enc.Close(context.Background())
	})
}

func settle(d time.Duration) {
	tm := time.NewTimer(d)
	<-tm.C
}

// floorPacket is one packet received on the floor track.
type floorPacket struct {
	pt    uint8
	seq   uint16
	ts    uint32
	media bool // not a padding probe
	frame sfuclient.Frame
	synth bool // the payload parsed as synthetic video
}

func (p floorPacket) codec() string {
	if p.frame.H264 {
		return "H264"
	}
	return "VP8"
}

// floorLog keeps every packet of a subscriber's floor track, in order of
// arrival.
type floorLog struct {
	mu      sync.Mutex
	pkts    []floorPacket
	changed chan struct{}
}

func newFloorLog() *floorLog { return &floorLog{changed: make(chan struct{})} }

func (f *floorLog) onTrack(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	// A payload type the receiver did not negotiate comes with an error
	// from pion: ReadPackets keeps the packet, to be caught.
	go sfuclient.ReadPackets(t, func(p *rtp.Packet) {
		if t.ID() != string(sfu.FloorTrack) {
			return
		}
		fp := floorPacket{pt: p.PayloadType, seq: p.SequenceNumber, ts: p.Timestamp, media: len(p.Payload) > 0}
		if fp.media {
			fp.frame, fp.synth = sfuclient.ParseSynthetic(p.Payload)
		}
		f.mu.Lock()
		f.pkts = append(f.pkts, fp)
		close(f.changed)
		f.changed = make(chan struct{})
		f.mu.Unlock()
	})
}

func (f *floorLog) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pkts)
}

func (f *floorLog) snapshot() []floorPacket {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.pkts)
}

// mediaSince counts the media packets received after the first from.
func (f *floorLog) mediaSince(from int) int {
	n := 0
	for _, p := range f.snapshot()[from:] {
		if p.media {
			n++
		}
	}
	return n
}

// waitKey waits for the start of a key frame in the given codec among
// the packets received after the first from.
func (f *floorLog) waitKey(t *testing.T, from int, h264 bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		f.mu.Lock()
		found := slices.ContainsFunc(f.pkts[from:], func(p floorPacket) bool {
			return p.synth && p.frame.Keyframe && p.frame.H264 == h264
		})
		ch := f.changed
		f.mu.Unlock()
		if found {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no %s key frame on the floor within 5s (%d packets since)", map[bool]string{false: "VP8", true: "H.264"}[h264], f.count()-from)
		}
	}
}

// checkFloor checks a floor log: no sequence number missing from first
// to last (retransmissions count), each packet in its codec's negotiated
// payload type (padding in one of them), each change of codec on a key
// frame with the timestamp moving on, and the codecs in the order want
// (false VP8, true H.264).
func checkFloor(t *testing.T, name string, pkts []floorPacket, pts map[string]uint8, want []bool) {
	t.Helper()
	if len(pkts) == 0 {
		t.Errorf("%s: no floor packets", name)
		return
	}
	// Order by sequence number, unwrapped from the first arrival.
	type at struct {
		ext int64
		p   floorPacket
	}
	var ordered []at
	seen := map[int64]bool{}
	last := int64(pkts[0].seq)
	for _, p := range pkts {
		ext := last + int64(int16(p.seq-uint16(last)))
		last = ext
		if !seen[ext] {
			seen[ext] = true
			ordered = append(ordered, at{ext, p})
		}
	}
	slices.SortFunc(ordered, func(a, b at) int { return int(a.ext - b.ext) })
	if span := ordered[len(ordered)-1].ext - ordered[0].ext + 1; span != int64(len(ordered)) {
		t.Errorf("%s: %d sequence numbers missing of %d", name, span-int64(len(ordered)), span)
	}
	var codecs []bool
	var prev *floorPacket
	for i := range ordered {
		p := ordered[i].p
		if !p.media {
			if !slices.Contains([]uint8{pts["VP8"], pts["H264"]}, p.pt) {
				t.Errorf("%s: padding with payload type %d, negotiated %v", name, p.pt, pts)
			}
			continue
		}
		wantPT, ok := pts[p.codec()]
		if !p.synth || !ok || p.pt != wantPT {
			t.Fatalf("%s: packet %d: %s (synthetic %v) with payload type %d, negotiated %v", name, ordered[i].ext, p.codec(), p.synth, p.pt, pts)
		}
		if prev == nil || prev.frame.H264 != p.frame.H264 {
			if prev != nil && (!p.frame.Keyframe || int32(p.ts-prev.ts) <= 0) {
				t.Errorf("%s: %s → %s at %d: key frame %v, timestamp %+d", name, prev.codec(), p.codec(), ordered[i].ext, p.frame.Keyframe, int32(p.ts-prev.ts))
			}
			codecs = append(codecs, p.frame.H264)
		}
		prev = &ordered[i].p
	}
	if !slices.Equal(codecs, want) {
		t.Errorf("%s: codecs in order %v, want %v (true: H.264)", name, codecs, want)
	}
	t.Logf("%s: %d packets, codecs %v, payload types %v", name, len(ordered), codecs, pts)
}

// videoPTs reads the video payload types negotiated on pc, by codec name.
func videoPTs(t *testing.T, pc *webrtc.PeerConnection) map[string]uint8 {
	t.Helper()
	desc := pc.CurrentLocalDescription()
	if desc == nil {
		t.Fatal("no local description")
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(desc.SDP); err != nil {
		t.Fatal(err)
	}
	out := map[string]uint8{}
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media != "video" || m.MediaName.Port.Value == 0 {
			continue
		}
		for _, a := range m.Attributes {
			var pt uint8
			var enc string
			if a.Key != "rtpmap" {
				continue
			}
			if _, err := fmt.Sscanf(a.Value, "%d %s", &pt, &enc); err == nil {
				name, _, _ := strings.Cut(enc, "/")
				if _, dup := out[strings.ToUpper(name)]; !dup {
					out[strings.ToUpper(name)] = pt
				}
			}
		}
		break
	}
	return out
}

// The SFU knows the synthetic H.264 key frames for what they are: their
// first packet (the SPS) starts one, and nothing of a delta frame does,
// whole or fragmented.
func TestSyntheticH264Keyframes(t *testing.T) {
	for layer := range 3 {
		for _, size := range []int{300, 5000} {
			key := sfuclient.H264Frame(layer, true, size)
			if !sfu.IsH264Keyframe(key[0]) {
				t.Errorf("layer %d, %d bytes: SPS %x not a key frame", layer, size, key[0])
			}
			if sfu.IsH264Keyframe(key[1]) {
				t.Errorf("layer %d: PPS %x taken for a key frame", layer, key[1])
			}
			if !sfu.IsH264Keyframe(key[2]) {
				t.Errorf("layer %d, %d bytes: first IDR packet %x… not a key frame", layer, size, key[2][:2])
			}
			for i, p := range sfuclient.H264Frame(layer, false, size) {
				if sfu.IsH264Keyframe(p) {
					t.Errorf("layer %d, %d bytes: delta packet %d (%x…) taken for a key frame", layer, size, i, p[:2])
				}
			}
		}
	}
}
