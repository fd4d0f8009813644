package recording

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cau-gov/cau/internal/jobs"
)

// TypeFinish is the asynq task that finishes a stopped part: remux the
// main file so a browser can seek in it (cues and duration; `-c copy`,
// never re-encoded), measure it, hash it, store it and the speakers'
// audio in the blob store, and write its chapters.
const TypeFinish = "recording:finish"

// finishTimeout bounds one finishing run: a remux copies the file once.
const finishTimeout = 30 * time.Minute

// FinishPayload names the part to finish.
type FinishPayload struct {
	RecordingID ID `json:"recording_id"`
}

// NewFinishTask builds the task: on the heavy queue, unique per part
// while queued (not kept after it ran: a part cut by a crash after a
// no-op run is queued again), retried a few times.
func NewFinishTask(id ID) (*asynq.Task, error) {
	b, err := json.Marshal(FinishPayload{RecordingID: id})
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeFinish, b, asynq.Queue(jobs.QueueHeavy), asynq.TaskID(fmt.Sprintf("%s:%d", TypeFinish, id)),
		asynq.MaxRetry(5), asynq.Timeout(finishTimeout)), nil
}

// AsynqEnqueuer queues finishing jobs with an asynq client.
type AsynqEnqueuer struct{ Client *asynq.Client }

// EnqueueFinish implements Enqueuer.
func (q AsynqEnqueuer) EnqueueFinish(ctx context.Context, id ID) error {
	t, err := NewFinishTask(id)
	if err != nil {
		return err
	}
	_, err = q.Client.EnqueueContext(ctx, t)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}

// FinishHandler is the job handler to register on the worker.
func (s *Service) FinishHandler() jobs.Handler {
	return jobs.Handler{Type: TypeFinish, Func: func(ctx context.Context, t *asynq.Task) error {
		var p FinishPayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil {
			return fmt.Errorf("%w: bad payload: %v", asynq.SkipRetry, err)
		}
		return s.Finish(ctx, p.RecordingID)
	}}
}

// Finish archives a stopped part. It is idempotent: a part not waiting
// for it is left alone. A part whose file cannot be read at all is marked
// failed (its files stay on disk for the administrators).
func (s *Service) Finish(ctx context.Context, id ID) error {
	r, err := s.Store.Recording(ctx, id)
	if err != nil {
		return fmt.Errorf("%w: load recording %d: %v", asynq.SkipRetry, id, err)
	}
	if r.Status != StatusProcessing {
		return nil
	}
	log := s.Log.With("recording_id", id, "meeting_id", r.MeetingID)
	a, err := s.archive(ctx, r)
	var bad *badFile
	if errors.As(err, &bad) {
		log.Error("recording cannot be finished", "error", err)
		if ferr := s.Store.RecordingFailed(ctx, id, bad.Error(), s.Now()); ferr != nil {
			return ferr
		}
		return nil
	}
	if err != nil {
		return err
	}
	e := entry(nil, "recording.archived", "recording", int64(id), map[string]any{"meeting_id": r.MeetingID, "part": r.Part,
		"size_bytes": a.Size, "duration_ms": a.DurationMS, "sha256": fmt.Sprintf("%x", a.SHA256)})
	if err := s.Store.RecordingArchived(ctx, id, a, e); err != nil {
		s.Blobs.Remove(a.BlobID) //nolint:errcheck // the retry stores it again
		return err
	}
	log.Info("recording archived", "size_bytes", a.Size, "duration_ms", a.DurationMS, "chapters", len(a.Chapters))
	// Only this part's files: the parts of one recording (a codec switch)
	// share the directory and are finished by jobs of their own.
	files := []string{a.source, a.seekable}
	for _, t := range r.Tracks {
		files = append(files, t.Path)
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			log.Warn("remove recorded file", "path", f, "error", err)
		}
	}
	os.Remove(r.Dir) // once empty
	return nil
}

// seekableFile is a new file for a part's remuxed copy, beside its
// source, of a name no other run shares: a job asynq re-ran while the
// first still ran (its lease lapsed on a starved machine) overwrote the
// same name under the first's ffprobe ("duration N/A").
func seekableFile(r Recording, source string) (string, error) {
	f, err := os.CreateTemp(r.Dir, fmt.Sprintf("finished-%d-*%s", r.ID, filepath.Ext(source)))
	if err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

// badFile is a recorded file that cannot be finished (not retried).
type badFile struct{ msg string }

func (e *badFile) Error() string { return e.msg }

func (s *Service) archive(ctx context.Context, r Recording) (Archive, error) {
	main := r.MainPath
	if main == "" {
		// Cut by a crash: the recorder never said; take what it wrote.
		main = findMain(r.Dir)
	}
	if main == "" {
		return Archive{}, &badFile{fmt.Sprintf("no recorded file in %s", r.Dir)}
	}
	ext := strings.TrimPrefix(filepath.Ext(main), ".")
	if ext != "webm" && ext != "mkv" {
		return Archive{}, &badFile{fmt.Sprintf("unknown container %q", main)}
	}
	seekable, err := seekableFile(r, main)
	if err != nil {
		return Archive{}, err
	}
	done := false
	defer func() {
		if !done {
			os.Remove(seekable)
		}
	}()
	// -c copy: the streams are remuxed as they are; the muxer writes the
	// cues and the duration a live-written file lacks. A file cut by a
	// crash is remuxed as far as it decodes.
	out, err := exec.CommandContext(ctx, s.FFmpeg, "-nostdin", "-v", "error", "-y", "-i", main, "-map", "0", "-c", "copy", seekable).CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return Archive{}, ctx.Err()
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return Archive{}, &badFile{fmt.Sprintf("remux: %v: %s", err, bytes.TrimSpace(out))}
		}
		return Archive{}, fmt.Errorf("run %s: %w", s.FFmpeg, err) // not installed: retried
	}
	dur, err := s.probeDuration(ctx, seekable)
	if err != nil {
		return Archive{}, err
	}
	a := Archive{DurationMS: dur.Milliseconds(), At: s.Now(), source: main, seekable: seekable}
	if a.BlobID, a.Size, a.SHA256, err = s.store(seekable); err != nil {
		return Archive{}, err
	}
	for _, t := range r.Tracks {
		if t.Path == "" {
			continue
		}
		id, size, sum, err := s.store(t.Path)
		if errors.Is(err, os.ErrNotExist) {
			continue // the speaker's file was never written
		}
		if err != nil {
			s.Blobs.Remove(a.BlobID) //nolint:errcheck
			return Archive{}, err
		}
		t.BlobID, t.Size, t.SHA256 = id, &size, sum
		a.Tracks = append(a.Tracks, t)
	}
	evs, err := s.Store.SessionEvents(ctx, r.MeetingID, *r.StoppedAt)
	if err != nil {
		return Archive{}, err
	}
	names, err := s.Store.SpeakerNames(ctx, r.MeetingID)
	if err != nil {
		return Archive{}, err
	}
	a.Chapters = Chapters(r, evs, names)
	a.ChaptersVTT = VTT(a.Chapters, dur)
	done = true
	return a, nil
}

// findMain is the largest .webm or .mkv the recorder wrote in dir.
func findMain(dir string) string {
	var best string
	var size int64 = -1
	for _, pat := range []string{"*.webm", "*.mkv"} {
		ms, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, m := range ms {
			if strings.HasPrefix(filepath.Base(m), "finished-") {
				continue
			}
			if st, err := os.Stat(m); err == nil && st.Size() > size {
				best, size = m, st.Size()
			}
		}
	}
	return best
}

// probeDuration asks ffprobe for a file's duration.
func (s *Service) probeDuration(ctx context.Context, path string) (time.Duration, error) {
	out, err := exec.CommandContext(ctx, s.FFprobe, "-v", "error", "-show_entries", "format=duration",
		"-of", "default=noprint_wrappers=1:nokey=1", path).Output()
	if err != nil {
		return 0, &badFile{fmt.Sprintf("ffprobe: %v", err)}
	}
	sec, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		return 0, &badFile{fmt.Sprintf("ffprobe duration %q", bytes.TrimSpace(out))}
	}
	return time.Duration(sec * float64(time.Second)), nil
}

// store encrypts a file into the blob store, hashing it on the way.
func (s *Service) store(path string) (string, int64, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, nil, err
	}
	defer f.Close()
	w, err := s.Blobs.Create()
	if err != nil {
		return "", 0, nil, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), f)
	if err != nil {
		w.Abort()
		return "", 0, nil, fmt.Errorf("store %s: %w", path, err)
	}
	if err := w.Commit(); err != nil {
		return "", 0, nil, err
	}
	return w.ID(), n, h.Sum(nil), nil
}
