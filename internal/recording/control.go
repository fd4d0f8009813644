package recording

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/meeting"
)

// mayControl reports whether p may start and stop the meeting's recording:
// its chair or secretary (or another organizer standing in for them).
func (s *Service) mayControl(ctx context.Context, p *auth.Principal, id meeting.ID) error {
	a, err := s.Meetings.Access(ctx, id, p)
	if fault.Is(err, fault.NotFound) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if !a.CanManage() {
		return ErrForbidden
	}
	return nil
}

// Start starts recording the meeting's session on this node: the running
// part is stored, every participant sees recording.started, and the audit
// log says who started it.
func (s *Service) Start(ctx context.Context, p *auth.Principal, id meeting.ID) (Recording, error) {
	if err := s.mayControl(ctx, p, id); err != nil {
		return Recording{}, err
	}
	// Checked before the SFU is asked (and again under the meeting's lock).
	in, err := s.Store.MeetingInSession(ctx, id)
	if err != nil {
		return Recording{}, err
	}
	if !in {
		return Recording{}, ErrNotInSession
	}
	if _, err := s.Store.RunningRecording(ctx, id); err == nil {
		return Recording{}, ErrAlreadyRecording
	} else if !errors.Is(err, ErrNotRecording) {
		return Recording{}, err
	}
	uid := p.UserID
	r, err := s.begin(ctx, id, &uid, entry(p, "recording.start", "meeting", int64(id), nil))
	if node, ok := s.forwardTo(ctx, err); ok {
		return s.forward(ctx, node, OpStart, p, id)
	}
	return r, err
}

// begin asks the SFU to record and stores the running part; a part the
// store refuses (a race with another start) is stopped and discarded.
func (s *Service) begin(ctx context.Context, id meeting.ID, by *auth.UserID, e audit.Entry) (Recording, error) {
	rec := s.recorder()
	if rec == nil {
		return Recording{}, ErrUnavailable
	}
	dir := s.partDir(id, s.Now())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Recording{}, fmt.Errorf("recording directory: %w", err)
	}
	c, err := rec.Start(meeting.RoomName(id), dir)
	if err != nil {
		os.RemoveAll(dir)
		return Recording{}, err
	}
	r := Recording{MeetingID: id, Status: StatusRecording, NodeID: s.Node, Dir: dir, StartedAt: c.StartedAt(), StartedBy: by}
	r, evs, err := s.Store.BeginRecording(ctx, r, e)
	if err != nil {
		c.Stop() //nolint:errcheck // discarded with its files
		os.RemoveAll(dir)
		return Recording{}, err
	}
	s.publish(ctx, evs)
	s.watch(r, c)
	s.Log.Info("recording started", "meeting_id", id, "recording_id", r.ID, "part", r.Part)
	return r, nil
}

// watch stops the part when the session closes (on any node) or the
// recorder ends by itself.
func (s *Service) watch(r Recording, c Capture) {
	ctx, cancel := context.WithCancel(context.Background())
	ru := &run{rec: r, capture: c, cancel: cancel}
	s.mu.Lock()
	s.running[r.ID] = ru
	s.mu.Unlock()
	var closed <-chan struct{}
	if s.Watcher != nil {
		closed = s.Watcher.WatchClose(ctx, r.MeetingID)
	}
	go func() {
		var reason string
		select {
		case <-ctx.Done():
			return
		case <-closed:
			reason = StopSessionClosed
		case reason = <-c.Ended():
			if reason == "" {
				reason = StopRoomEnded
			}
		}
		sctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
		defer stop()
		if err := s.end(sctx, ru, End{At: s.Now(), Reason: reason}, nil); err != nil && !errors.Is(err, ErrNotRecording) {
			s.Log.Error("stop recording", "meeting_id", r.MeetingID, "recording_id", r.ID, "reason", reason, "error", err)
		}
	}()
}

// Stop stops the meeting's running recording; the finishing job then
// archives it.
func (s *Service) Stop(ctx context.Context, p *auth.Principal, id meeting.ID) (Recording, error) {
	if err := s.mayControl(ctx, p, id); err != nil {
		return Recording{}, err
	}
	r, err := s.Store.RunningRecording(ctx, id)
	if err != nil {
		return Recording{}, err
	}
	s.mu.Lock()
	ru := s.running[r.ID]
	s.mu.Unlock()
	if ru == nil {
		// The part runs on another node, which is asked to stop it. (One
		// cut by a crash there and not yet noticed is stopped by its node
		// when the session closes.)
		err := error(&Elsewhere{Node: r.NodeID})
		if node, ok := s.forwardTo(ctx, err); ok && node != s.Node {
			return s.forward(ctx, node, OpStop, p, id)
		}
		return Recording{}, fmt.Errorf("recording %d: %w", r.ID, err)
	}
	uid := p.UserID
	e := entry(p, "recording.stop", "meeting", int64(id), map[string]any{"recording_id": r.ID, "part": r.Part})
	if err := s.end(ctx, ru, End{At: s.Now(), By: &uid, Reason: StopByPerson}, &e); err != nil {
		return Recording{}, err
	}
	return s.Store.Recording(ctx, r.ID)
}

// end stops a capture once, stores the stop and queues the finishing job.
func (s *Service) end(ctx context.Context, ru *run, end End, e *audit.Entry) error {
	var err error = ErrNotRecording
	ru.once.Do(func() {
		ru.cancel()
		s.mu.Lock()
		delete(s.running, ru.rec.ID)
		s.mu.Unlock()
		res, serr := ru.capture.Stop()
		if serr != nil {
			// The files are closed as far as they go; the job finishes
			// what is there.
			s.Log.Warn("recorder stop", "recording_id", ru.rec.ID, "error", serr)
		}
		end.Result = res
		if e == nil {
			se := entry(nil, "recording.stop", "meeting", int64(ru.rec.MeetingID),
				map[string]any{"recording_id": ru.rec.ID, "part": ru.rec.Part, "reason": end.Reason})
			e = &se
		}
		var evs []meeting.Event
		var ids []ID
		evs, ids, err = s.Store.EndRecording(ctx, ru.rec.ID, end, e)
		if err != nil {
			return
		}
		s.publish(ctx, evs)
		s.Log.Info("recording stopped", "meeting_id", ru.rec.MeetingID, "recording_id", ru.rec.ID, "reason", end.Reason, "parts", len(ids))
		for _, id := range ids {
			if s.Enqueue == nil {
				break
			}
			if qerr := s.Enqueue.EnqueueFinish(ctx, id); qerr != nil {
				// Recover re-queues it at the next start.
				s.Log.Warn("queue recording finish", "recording_id", id, "error", qerr)
			}
		}
	})
	return err
}

// StopAll stops this node's recordings (server shutdown): each part is
// closed properly and queued for finishing.
func (s *Service) StopAll(ctx context.Context) {
	s.mu.Lock()
	runs := make([]*run, 0, len(s.running))
	for _, ru := range s.running {
		runs = append(runs, ru)
	}
	s.mu.Unlock()
	for _, ru := range runs {
		if err := s.end(ctx, ru, End{At: s.Now(), Reason: StopShutdown}, nil); err != nil && !errors.Is(err, ErrNotRecording) {
			s.Log.Error("stop recording at shutdown", "recording_id", ru.rec.ID, "error", err)
		}
	}
}

// Running reports whether a recording of this node runs (tests).
func (s *Service) Running(id ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running[id] != nil
}

// SetRecorder sets the SFU's recorder (the app, once the SFU is built;
// tests, a recorder of prepared files).
func (s *Service) SetRecorder(r Recorder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Recorder = r
}

func (s *Service) recorder() Recorder {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Recorder
}
