package mkv_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu/internal/testmedia"
	"github.com/cau-gov/cau/sfu/mkv"
)

var opusHead = []byte{'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0}

// writeFile muxes secs seconds of real VP8 (or H.264) and Opus.
func writeFile(t *testing.T, kind string, secs int) (string, time.Duration) {
	t.Helper()
	video := testmedia.Frames(t, kind, testmedia.Encode(t, kind, secs, 0))
	audio := testmedia.Frames(t, testmedia.Opus, testmedia.Encode(t, testmedia.Opus, secs, 0))
	vt := mkv.Track{Number: 1, CodecID: mkv.CodecVP8, Width: 640, Height: 360}
	name := "a.webm"
	var conv func([]byte) []byte
	if kind == testmedia.H264 {
		nals := mkv.NALUnits(video[0])
		cfg, err := mkv.AVCConfig(nals[0], nals[1])
		if err != nil {
			t.Fatal(err)
		}
		w, h, ok := mkv.H264Size(nals[0])
		if !ok || w != 640 || h != 360 {
			t.Fatalf("H264Size = %d×%d %v, want 640×360", w, h, ok)
		}
		vt = mkv.Track{Number: 1, CodecID: mkv.CodecH264, CodecPrivate: cfg, Width: w, Height: h}
		name = "a.mkv"
		conv = func(b []byte) []byte { return mkv.AVCC(mkv.NALUnits(b)) }
	} else if w, h, ok := mkv.VP8Size(video[0]); !ok || w != 640 || h != 360 {
		t.Fatalf("VP8Size = %d×%d %v, want 640×360", w, h, ok)
	}
	path := filepath.Join(os.Getenv("KEEP_DIR"), name)
	if os.Getenv("KEEP_DIR") == "" {
		path = filepath.Join(t.TempDir(), name)
	}
	w, err := mkv.Create(path, time.Now(), []mkv.Track{vt,
		{Number: 2, CodecID: mkv.CodecOpus, CodecPrivate: opusHead, SampleRate: 48000, Channels: 2, CodecDelay: 6500 * time.Microsecond, SeekPreRoll: 80 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	vi, ai := 0, 0
	for vi < len(video) || ai < len(audio) {
		vms, ams := int64(vi)*1000/30, int64(ai)*20
		if vi < len(video) && (ai >= len(audio) || vms <= ams) {
			f := video[vi]
			key := false
			if kind == testmedia.H264 {
				key = bytes.Contains(f, []byte{0, 0, 1, 0x65}) || bytes.Contains(f, []byte{0, 0, 1, 0x67})
				f = conv(f)
			} else {
				_, _, key = mkv.VP8Size(f)
			}
			if err := w.Write(1, vms, 33, key, f); err != nil {
				t.Fatal(err)
			}
			vi++
			continue
		}
		if err := w.Write(2, ams, 20, true, audio[ai]); err != nil {
			t.Fatal(err)
		}
		ai++
	}
	d := w.Duration()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path, d
}

func TestWriterDecodes(t *testing.T) {
	testmedia.Need(t)
	for _, kind := range []string{testmedia.VP8, testmedia.H264} {
		t.Run(kind, func(t *testing.T) {
			path, d := writeFile(t, kind, 6)
			if d < 5900*time.Millisecond || d > 6100*time.Millisecond {
				t.Errorf("Duration = %v, want 6 s", d)
			}
			if msg := testmedia.Decode(t, path); msg != "" {
				t.Errorf("ffmpeg -v error printed:\n%s", msg)
			}
			streams := testmedia.Probe(t, path)
			if len(streams) != 2 || streams[0].Codec != kind || streams[1].Codec != "opus" {
				t.Fatalf("streams = %+v, want %s and opus", streams, kind)
			}
			for _, s := range streams {
				if s.Duration < 5900*time.Millisecond || s.Duration > 6100*time.Millisecond {
					t.Errorf("%s lasts %v, want 6 s ±100 ms", s.Codec, s.Duration)
				}
			}
		})
	}
}

// TestWriterCut: a file cut at any byte (a crash) still decodes up to the
// cut; ffmpeg may only say the file ended early.
func TestWriterCut(t *testing.T) {
	testmedia.Need(t)
	path, _ := writeFile(t, testmedia.VP8, 6)
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, frac := range []float64{0.13, 0.5, 0.77, 0.999} {
		cut := int(float64(len(whole)) * frac)
		p := filepath.Join(t.TempDir(), "cut.webm")
		if err := os.WriteFile(p, whole[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(testmedia.Decode(t, p)), "\n") {
			if line != "" && !truncationWarning(line) {
				t.Errorf("cut at %d of %d bytes: ffmpeg printed %q", cut, len(whole), line)
			}
		}
		streams := testmedia.Probe(t, p)
		if len(streams) != 2 || streams[0].Packets == 0 {
			t.Fatalf("cut at %d: streams %+v", cut, streams)
		}
		want := time.Duration(frac * 6 * float64(time.Second))
		if got := testmedia.End(t, p, "video"); got < want-1500*time.Millisecond {
			t.Errorf("cut at %.0f%%: video ends at %v, want about %v", frac*100, got, want)
		}
	}
}

// truncationWarning: what ffmpeg says of a file that ends mid-element.
func truncationWarning(line string) bool {
	for _, s := range []string{"truncated", "Truncated", "EOF", "end of file", "Invalid data found", "Read error", "ended prematurely"} {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// TestWriterBumpsRepeatedTimes: blocks of a track at the same or an
// earlier millisecond are moved just after the last, so every track's
// times strictly increase.
func TestWriterBumpsRepeatedTimes(t *testing.T) {
	testmedia.Need(t)
	audio := testmedia.Frames(t, testmedia.Opus, testmedia.Encode(t, testmedia.Opus, 6, 0))
	path := filepath.Join(t.TempDir(), "a.webm")
	w, err := mkv.Create(path, time.Now(), []mkv.Track{{Number: 1, CodecID: mkv.CodecOpus, CodecPrivate: opusHead, SampleRate: 48000, Channels: 2}})
	if err != nil {
		t.Fatal(err)
	}
	for i, ms := range []int64{0, 20, 20, 20, 10, 100} {
		if err := w.Write(1, ms, 20, true, audio[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=pts", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Fields(string(out)), []string{"0", "20", "21", "22", "23", "100"}; !slices.Equal(got, want) {
		t.Errorf("packet times %v, want %v", got, want)
	}
	if err := w.Write(1, 200, 20, true, audio[0]); err == nil {
		t.Error("Write after Close: no error")
	}
}
