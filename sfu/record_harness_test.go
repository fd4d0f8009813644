package sfu_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/internal/testmedia"
	"github.com/cau-gov/cau/sfu/sfuclient"
	"github.com/pion/logging"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"
)

// realHall publishes real encoded media in a loop: a test picture (VP8
// or H.264, a key frame every second, and one at once when the SFU asks:
// it skips ahead to the file's next key frame, as an encoder makes one)
// and an Opus tone at the level the test sets (-dBov: 30 speaking, 127
// silent).
type realHall struct {
	level atomic.Int32
	// paused layers send nothing (a browser stops its top layer when its
	// uplink is short).
	paused [3]atomic.Bool
	// spoke records when the level last changed to speaking and back.
	mu    sync.Mutex
	spans [][2]time.Time
}

func (h *realHall) speak(on bool) {
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if on {
		h.level.Store(30)
		h.spans = append(h.spans, [2]time.Time{now})
	} else {
		h.level.Store(127)
		if n := len(h.spans); n > 0 && h.spans[n-1][1].IsZero() {
			h.spans[n-1][1] = now
		}
	}
}

// spoken is how long the hall spoke between from and to.
func (h *realHall) spoken(from, to time.Time) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	var d time.Duration
	for _, s := range h.spans {
		a, b := s[0], s[1]
		if b.IsZero() || b.After(to) {
			b = to
		}
		if a.Before(from) {
			a = from
		}
		if b.After(a) {
			d += b.Sub(a)
		}
	}
	return d
}

// publishReal publishes as realHall says, the picture on each of rids
// (simulcast layers, lowest first: the same frames on each) or alone.
func publishReal(t *testing.T, c *sfuclient.Client, kind string, variant int, rids ...string) *realHall {
	t.Helper()
	mime := webrtc.MimeTypeVP8
	var pay rtp.Payloader = &codecs.VP8Payloader{EnablePictureID: true}
	if kind == testmedia.H264 {
		mime, pay = webrtc.MimeTypeH264, &codecs.H264Payloader{}
	}
	frames := testmedia.Frames(t, kind, testmedia.Encode(t, kind, 10, variant))
	opus := testmedia.Frames(t, testmedia.Opus, testmedia.Encode(t, testmedia.Opus, 10, variant))
	audio, err := c.PublishAudio(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatalf("publish audio: %v", err)
	}
	video, err := c.PublishVideo(ctxT(t, 10*time.Second), sfu.SourceCamera, mime, rids...)
	if err != nil {
		t.Fatalf("publish video: %v", err)
	}
	var keys []int
	for i, f := range frames {
		if isKey(kind, f) {
			keys = append(keys, i)
		}
	}
	h := &realHall{}
	h.level.Store(127)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		// A microphone makes 50 packets a second whatever the load: a
		// tick the scheduler missed is made up at the next.
		seq, ts := uint16(1000*variant), uint32(7777*variant)
		var frames sfuclient.AudioFrames
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		begin := time.Now()
		for i := 0; ; {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			for due := int(time.Since(begin) / (20 * time.Millisecond)); i < due; i++ {
				// As RED (the frame after copies of the two before) when the
				// client negotiated it.
				payload := frames.Next(opus[i%len(opus)], audio.RED)
				p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: seq, Timestamp: ts}, Payload: payload}
				_ = audio.WriteRTP(0, p, int(h.level.Load()))
				seq++
				ts += 960
			}
		}
	}()
	go func() {
		defer wg.Done()
		// A camera captures a frame every 33.3 ms whatever the load, and
		// stamps it with its capture time; a frame the encoder had no
		// time for is skipped.
		seqs, ts0 := make([]uint16, video.Layers()), uint32(99999*variant)
		for l := range seqs {
			seqs[l] = uint16(3000*variant + 10000*l)
		}
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		begin := time.Now()
		i, last := 0, -1
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			n := int(time.Since(begin) * 30 / time.Second)
			if n == last {
				continue
			}
			last = n
			ts := ts0 + uint32(n*3000)
			asked := false
			for l := range seqs {
				asked = video.KeyframeRequested(l) || asked
			}
			if asked {
				for _, k := range keys { // the next key frame, at once
					if k > i%len(frames) {
						i += k - i%len(frames)
						break
					}
				}
			}
			pkts := pay.Payload(1000, frames[i%len(frames)])
			for l := range seqs {
				if h.paused[l].Load() {
					continue
				}
				for j, payload := range pkts {
					p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seqs[l], Timestamp: ts, Marker: j == len(pkts)-1}, Payload: payload}
					_ = video.WriteRTP(l, p, -1)
					seqs[l]++
				}
			}
			i++
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return h
}

func isKey(kind string, f []byte) bool {
	if kind == testmedia.VP8 {
		return f[0]&0x01 == 0
	}
	return strings.Contains(string(f), "\x00\x00\x01\x65") || strings.Contains(string(f), "\x00\x00\x01\x67")
}

// lossyNet is a virtual network whose packets to the SFU are lost at
// lossPercent: the publishers' upstream.
func lossyNet(t *testing.T, lossPercent int) (sfuNet, pubNet *vnet.Net) {
	t.Helper()
	wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", LoggerFactory: logging.NewDefaultLoggerFactory()})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(ip string) *vnet.Net {
		n, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	sfuNet, pubNet = mk("10.0.0.1"), mk("10.0.0.2")
	loss, err := vnet.NewLossFilter(sfuNet, lossPercent)
	if err != nil {
		t.Fatal(err)
	}
	if err := wan.AddNet(loss); err != nil {
		t.Fatal(err)
	}
	if err := wan.AddNet(pubNet); err != nil {
		t.Fatal(err)
	}
	if err := wan.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wan.Stop() })
	return sfuNet, pubNet
}

// within fails t unless got is want ± tol.
func within(t *testing.T, what string, got, want, tol time.Duration) {
	t.Helper()
	if got < want-tol || got > want+tol {
		t.Errorf("%s = %v, want %v ± %v", what, got.Round(time.Millisecond), want.Round(time.Millisecond), tol)
	} else {
		t.Logf("%s = %v (want %v ± %v)", what, got.Round(time.Millisecond), want.Round(time.Millisecond), tol)
	}
}

// recordDir is where a test records: $KEEP_DIR to look at the files
// after, else a temporary directory.
func recordDir(t *testing.T) string {
	if d := os.Getenv("KEEP_DIR"); d != "" {
		return filepath.Join(d, t.Name())
	}
	return t.TempDir()
}
