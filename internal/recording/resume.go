package recording

import (
	"context"
	"errors"
	"time"

	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/meeting"
)

// resumeEvery is how often a cut recording tries to start its next part:
// the room comes back as soon as the first hall reconnects.
const resumeEvery = 2 * time.Second

// Recover runs at start: parts this node was recording when it stopped
// without closing them (a crash) are ended as interrupted and queued for
// finishing from what is on disk, their meetings are remembered so a new
// part starts when the session's room is back, and parts whose finishing
// job was lost are queued again. It returns how many parts it queued.
func (s *Service) Recover(ctx context.Context) (int, error) {
	cut, err := s.Store.RecordingsRunningOn(ctx, s.Node)
	if err != nil {
		return 0, err
	}
	for _, r := range cut {
		e := entry(nil, "recording.interrupted", "meeting", int64(r.MeetingID), map[string]any{"recording_id": r.ID, "part": r.Part})
		evs, _, err := s.Store.EndRecording(ctx, r.ID, End{At: s.Now(), Reason: StopInterrupted}, &e)
		if err != nil && !errors.Is(err, ErrNotRecording) {
			return 0, err
		}
		s.publish(ctx, evs)
		s.mu.Lock()
		if s.resume == nil {
			s.resume = map[meeting.ID]bool{}
		}
		s.resume[r.MeetingID] = true
		s.mu.Unlock()
	}
	ids, err := s.Store.ProcessingRecordings(ctx)
	if err != nil {
		return 0, err
	}
	if s.Enqueue != nil {
		for _, id := range ids {
			if err := s.Enqueue.EnqueueFinish(ctx, id); err != nil {
				return 0, err
			}
		}
	}
	return len(ids), nil
}

// RunResume starts the next part of every recording Recover found cut,
// once its session's call is back on this node, until ctx ends. A session
// closed meanwhile is not resumed.
func (s *Service) RunResume(ctx context.Context) {
	t := time.NewTicker(resumeEvery)
	defer t.Stop()
	for {
		s.mu.Lock()
		pending := make([]meeting.ID, 0, len(s.resume))
		for id := range s.resume {
			pending = append(pending, id)
		}
		s.mu.Unlock()
		for _, id := range pending {
			if s.resumeOne(ctx, id) {
				s.mu.Lock()
				delete(s.resume, id)
				s.mu.Unlock()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// resumeOne tries to start a meeting's next part; it reports whether the
// meeting needs no more tries.
func (s *Service) resumeOne(ctx context.Context, id meeting.ID) bool {
	in, err := s.Store.MeetingInSession(ctx, id)
	if err != nil || !in {
		return err == nil || fault.Is(err, fault.NotFound)
	}
	e := entry(nil, "recording.resume", "meeting", int64(id), nil)
	_, err = s.begin(ctx, id, nil, e)
	switch {
	case err == nil, errors.Is(err, ErrAlreadyRecording):
		return true
	case errors.Is(err, ErrNoRoom), errors.Is(err, ErrElsewhere), errors.Is(err, ErrUnavailable):
		return false // the call (or the SFU) is not back here yet
	default:
		s.Log.Warn("resume recording", "meeting_id", id, "error", err)
		return false
	}
}

// Resuming reports whether a meeting waits for its next part (tests).
func (s *Service) Resuming(id meeting.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resume[id]
}
