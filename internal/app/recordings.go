package app

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"time"

	"github.com/cau-gov/cau/internal/httpapi"
	"github.com/cau-gov/cau/internal/jobs"
	"github.com/cau-gov/cau/internal/live"
	"github.com/cau-gov/cau/internal/meeting"
	"github.com/cau-gov/cau/internal/recording"
	"github.com/cau-gov/cau/internal/store"
)

// wireRecordings builds the recordings service: files written under
// $CAU_DATA_DIR/recordings while recording, archived in the documents'
// blob store by the finishing job; the retention job runs hourly. The
// recorder is the SFU's (set by setupSFU when this node runs one).
func (a *App) wireRecordings(deps *httpapi.Deps, handlers *[]jobs.Handler, now func() time.Time) {
	cfg := a.Config
	// The media links' key is derived from the access-token key: nothing
	// new to provision, and it rotates with it.
	key := sha256.Sum256(append([]byte("cau recording media links\x00"), a.AccessKey.Seed()...))
	a.Recordings = recording.New(recording.Config{
		Store: a.DB, Meetings: a.Meetings, Blobs: a.Blobs, Publisher: a.Live,
		Watcher: liveWatcher{hub: a.Live, db: a.DB}, Enqueue: recording.AsynqEnqueuer{Client: a.Jobs},
		Dir: filepath.Join(cfg.DataDir, "recordings"), Node: cfg.Node.ID, Retention: cfg.Recording.Retention(),
		LinkKey: key[:], FFmpeg: cfg.Recording.FFmpeg, FFprobe: cfg.Recording.FFprobe,
		Log: a.Log.With("component", "recordings"), Now: now,
	})
	deps.Recordings = a.Recordings
	schedule := recording.NewRetentionSchedule(a.Recordings, a.Jobs)
	*handlers = append(*handlers, a.Recordings.FinishHandler(), schedule.Handler())
	a.onServe("schedule recording retention", schedule.Start)
	a.onServe("recover recordings cut by a restart", func(ctx context.Context) (int, error) {
		if a.SFU == nil {
			return 0, nil // recordings run on SFU nodes; theirs recover them
		}
		return a.Recordings.Recover(ctx)
	})
	ctx, stop := context.WithCancel(context.Background())
	go a.Recordings.RunResume(ctx)
	a.closers = append(a.closers, stop)
}

// liveWatcher tells the recordings service when a meeting's session
// closes, from the live hub (every node hears every node's events).
type liveWatcher struct {
	hub *live.Hub
	db  *store.DB
}

func (w liveWatcher) WatchClose(ctx context.Context, id meeting.ID) <-chan struct{} {
	closed := make(chan struct{})
	go func() {
		for ctx.Err() == nil {
			sub := w.hub.Subscribe(id, false)
			// Closed before subscribing is caught here.
			if in, err := w.db.MeetingInSession(ctx, id); err == nil && !in {
				w.hub.Unsubscribe(sub)
				close(closed)
				return
			}
			for done := false; !done; {
				select {
				case <-ctx.Done():
					w.hub.Unsubscribe(sub)
					return
				case e, ok := <-sub.C:
					if !ok {
						done = true // dropped for lagging: subscribe again
						break
					}
					if e.Type == meeting.EventSessionClosed {
						w.hub.Unsubscribe(sub)
						close(closed)
						return
					}
				}
			}
		}
	}()
	return closed
}
