// Package recordingtest is a recorder for tests of what surrounds the
// SFU's: it "records" by copying a WebM made once by ffmpeg into the
// part's directory when the part starts (so a crash leaves a file, as
// with the real recorder), and can end a part by itself.
package recordingtest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/recording"
)

// Need skips the test when ffmpeg or ffprobe is missing
// (deploy/local/ffmpeg.sh installs them).
func Need(t testing.TB) {
	t.Helper()
	for _, b := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed (deploy/local/ffmpeg.sh)", b)
		}
	}
}

var (
	madeMu sync.Mutex
	made   = map[string]string{}
)

// WebM returns a VP8 + Opus file of the given length and video bitrate
// (a moving test pattern with its clock, a tone), made once per process.
// Like the recorder's live output it is written as a stream (no cues, no
// duration) so the finishing job has something to do.
func WebM(t testing.TB, seconds int, bitrate string) string {
	t.Helper()
	Need(t)
	key := fmt.Sprintf("%d-%s", seconds, bitrate)
	madeMu.Lock()
	defer madeMu.Unlock()
	if p, ok := made[key]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "cau-recordingtest-")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "source-"+key+".webm")
	cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=640x360:rate=25:duration=%d", seconds),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:duration=%d", seconds),
		"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", bitrate, "-g", "50",
		"-c:a", "libopus", "-live", "1", "-f", "webm", p)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	made[key] = p
	return p
}

// Recorder copies Source into each part's directory.
type Recorder struct {
	Source string
	// Refuse, when set, is Start's error (a room not on this node…).
	Refuse error
	// SwitchAfter, when set, makes every part end in two files, the second
	// from this long after the start (as a floor switching codec does).
	SwitchAfter time.Duration

	mu    sync.Mutex
	parts []*Capture
}

// Start implements recording.Recorder.
func (r *Recorder) Start(room, dir string) (recording.Capture, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Refuse != nil {
		return nil, r.Refuse
	}
	main := filepath.Join(dir, "floor.webm")
	if err := copyFile(r.Source, main); err != nil {
		return nil, err
	}
	c := &Capture{Room: room, Dir: dir, main: main, started: time.Now(), ended: make(chan string, 1), switchAfter: r.SwitchAfter}
	if r.SwitchAfter > 0 {
		if err := copyFile(r.Source, filepath.Join(dir, "floor-2.webm")); err != nil {
			return nil, err
		}
	}
	r.parts = append(r.parts, c)
	return c, nil
}

// Last is the last part started.
func (r *Recorder) Last() *Capture {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.parts) == 0 {
		return nil
	}
	return r.parts[len(r.parts)-1]
}

// Capture is one recorded part.
type Capture struct {
	Room, Dir string
	main      string
	started   time.Time
	ended     chan string
	// switchAfter: see Recorder.SwitchAfter.
	switchAfter time.Duration

	mu      sync.Mutex
	stopped bool
	Stops   int
}

// StartedAt implements recording.Capture.
func (c *Capture) StartedAt() time.Time { return c.started }

// Ended implements recording.Capture.
func (c *Capture) Ended() <-chan string { return c.ended }

// End makes the part stop by itself (the room ended, a shutdown).
func (c *Capture) End(reason string) { c.ended <- reason }

// Stop implements recording.Capture.
func (c *Capture) Stop() (recording.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Stops++
	c.stopped = true
	res := recording.Result{Main: c.main, Codec: "VP8", Duration: time.Since(c.started)}
	if c.switchAfter > 0 {
		res.Next = []recording.Segment{{Path: filepath.Join(c.Dir, "floor-2.webm"), Codec: "VP8", Start: c.started.Add(c.switchAfter)}}
	}
	return res, nil
}

// Stopped reports whether Stop ran.
func (c *Capture) Stopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
