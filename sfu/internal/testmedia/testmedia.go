// Package testmedia makes real encoded media for the recorder's tests and
// checks recorded files, with ffmpeg and ffprobe (deploy/local/ffmpeg.sh
// installs them; the tests skip without them).
package testmedia

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/h264reader"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// Need skips t when ffmpeg or ffprobe is missing.
func Need(t testing.TB) {
	t.Helper()
	for _, b := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed (deploy/local/ffmpeg.sh installs it): %v", b, err)
		}
	}
}

// Kinds of media Encode makes.
const (
	VP8  = "vp8"
	H264 = "h264"
	Opus = "opus"
)

var (
	cacheMu sync.Mutex
	cache   = map[string]string{}
)

// Encode returns a file of secs seconds of a test picture (640x360, 30
// fps: VP8 in IVF, H.264 Constrained Baseline in Annex B, a key frame
// every 2 s) or a tone (Opus in Ogg, 20 ms frames), made once per
// process; variant makes different pictures or tones.
func Encode(t testing.TB, kind string, secs, variant int) string {
	t.Helper()
	Need(t)
	key := fmt.Sprintf("%s-%d-%d", kind, secs, variant)
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if p, ok := cache[key]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "cau-testmedia-")
	if err != nil {
		t.Fatal(err)
	}
	d := strconv.Itoa(secs)
	var args []string
	var out string
	switch kind {
	case VP8:
		out = filepath.Join(dir, key+".ivf")
		args = []string{"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=640x360:rate=30:duration=%s", d),
			"-vf", fmt.Sprintf("hue=h=%d", variant*90), "-c:v", "libvpx", "-b:v", "600k", "-g", "60", "-deadline", "realtime", "-cpu-used", "8",
			"-error-resilient", "1", "-auto-alt-ref", "0", "-lag-in-frames", "0", out}
	case H264:
		out = filepath.Join(dir, key+".h264")
		args = []string{"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=640x360:rate=30:duration=%s", d),
			"-vf", fmt.Sprintf("hue=h=%d", variant*90), "-c:v", "libx264", "-profile:v", "baseline", "-level", "3.1", "-preset", "ultrafast",
			"-tune", "zerolatency", "-threads", "1", "-x264-params", "slices=1:sliced-threads=0", "-g", "60", "-bsf:v", "h264_mp4toannexb", "-f", "h264", out}
	case Opus:
		out = filepath.Join(dir, key+".ogg")
		args = []string{"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=%d:sample_rate=48000:duration=%s", 300+100*variant, d),
			"-ac", "2", "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", "-page_duration", "20000", out}
	default:
		t.Fatalf("testmedia: kind %q", kind)
	}
	cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-v", "error", "-y"}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", kind, err, b)
	}
	cache[key] = out
	return out
}

// Frames reads the frames (VP8 frames, H.264 access units in Annex B, or
// Opus packets) of a file Encode made.
func Frames(t testing.TB, kind, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	switch kind {
	case VP8:
		r, _, err := ivfreader.NewWith(f)
		if err != nil {
			t.Fatal(err)
		}
		for {
			fr, _, err := r.ParseNextFrame()
			if err != nil {
				break
			}
			out = append(out, fr)
		}
	case H264:
		r, err := h264reader.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		// An access unit ends with its slice: SPS and PPS go with the
		// slice after them.
		var au []byte
		for {
			n, err := r.NextNAL()
			if err != nil {
				break
			}
			au = append(au, 0, 0, 0, 1)
			au = append(au, n.Data...)
			if typ := n.Data[0] & 0x1f; typ == 1 || typ == 5 {
				out = append(out, au)
				au = nil
			}
		}
	case Opus:
		r, _, err := oggreader.NewWith(f)
		if err != nil {
			t.Fatal(err)
		}
		for {
			// Encode asks for a page per 20 ms: a packet per page.
			page, hdr, err := r.ParseNextPage()
			if errors.Is(err, io.EOF) || err != nil {
				break
			}
			if hdr.GranulePosition == 0 || bytes.HasPrefix(page, []byte("OpusTags")) {
				continue // OpusTags
			}
			out = append(out, page)
		}
	}
	if len(out) == 0 {
		t.Fatalf("testmedia: no frames in %s", path)
	}
	return out
}

// Stream is what ffprobe says of one stream of a file.
type Stream struct {
	Type     string // video, audio
	Codec    string // vp8, h264, opus
	Duration time.Duration
	Packets  int
}

// Probe returns the streams of path, each with the duration from its
// first packet's time to the end of its last.
func Probe(t testing.TB, path string) []Stream {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_streams", "-show_packets", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var r struct {
		Streams []struct {
			Index     int    `json:"index"`
			CodecType string `json:"codec_type"`
			CodecName string `json:"codec_name"`
		} `json:"streams"`
		Packets []struct {
			Stream   int    `json:"stream_index"`
			PTS      string `json:"pts_time"`
			Duration string `json:"duration_time"`
		} `json:"packets"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	streams := make([]Stream, len(r.Streams))
	first := make([]float64, len(r.Streams))
	end := make([]float64, len(r.Streams))
	for i, s := range r.Streams {
		streams[i] = Stream{Type: s.CodecType, Codec: s.CodecName}
		first[i] = -1
	}
	for _, p := range r.Packets {
		pts, err := strconv.ParseFloat(p.PTS, 64)
		if err != nil || p.Stream >= len(streams) {
			continue
		}
		d, _ := strconv.ParseFloat(p.Duration, 64)
		if first[p.Stream] < 0 {
			first[p.Stream] = pts
		}
		end[p.Stream] = max(end[p.Stream], pts+d)
		streams[p.Stream].Packets++
	}
	for i := range streams {
		if first[i] >= 0 {
			streams[i].Duration = time.Duration((end[i] - first[i]) * float64(time.Second))
		}
	}
	return streams
}

// End is the time of the end of the last packet of path's first stream
// of typ, from the file's time zero.
func End(t testing.TB, path, typ string) time.Duration {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", typ[:1]+":0", "-show_entries", "packet=pts_time,duration_time",
		"-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var end float64
	for _, line := range bytes.Split(out, []byte("\n")) {
		var pts, d float64
		parts := bytes.SplitN(line, []byte(","), 2)
		if len(parts) < 1 || len(parts[0]) == 0 {
			continue
		}
		pts, _ = strconv.ParseFloat(string(parts[0]), 64)
		if len(parts) == 2 {
			d, _ = strconv.ParseFloat(string(bytes.TrimSpace(parts[1])), 64)
		}
		end = max(end, pts+d)
	}
	return time.Duration(end * float64(time.Second))
}

// Decode decodes every stream of path and returns what ffmpeg printed at
// level error: nothing for a clean file.
func Decode(t testing.TB, path string) string {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput()
	if err != nil {
		return fmt.Sprintf("ffmpeg: %v\n%s", err, out)
	}
	return string(out)
}
