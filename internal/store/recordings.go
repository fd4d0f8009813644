package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/meeting"
	"github.com/cau-gov/cau/internal/recording"
)

const recordingColumns = `id, meeting_id, part, status, node_id, dir, started_at, stopped_at, started_by, stopped_by,
	stop_reason, main_path, codec, container, coalesce(blob_id, ''), size_bytes, sha256, duration_ms, chapters, error, archived_at`

func scanRecording(row pgx.Row) (recording.Recording, error) {
	var r recording.Recording
	var chapters []byte
	err := row.Scan(&r.ID, &r.MeetingID, &r.Part, &r.Status, &r.NodeID, &r.Dir, &r.StartedAt, &r.StoppedAt, &r.StartedBy, &r.StoppedBy,
		&r.StopReason, &r.MainPath, &r.Codec, &r.Container, &r.BlobID, &r.Size, &r.SHA256, &r.DurationMS, &chapters, &r.Error, &r.ArchivedAt)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(chapters, &r.Chapters); err != nil {
		return r, fmt.Errorf("recording %d chapters: %w", r.ID, err)
	}
	if r.Chapters == nil {
		r.Chapters = []recording.Chapter{}
	}
	if r.SHA256 != nil {
		r.SHA256Hex = fmt.Sprintf("%x", r.SHA256)
	}
	return r, nil
}

func notRecording(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return recording.ErrNotRecording
	}
	return err
}

// BeginRecording implements recording.Store.
func (db *DB) BeginRecording(ctx context.Context, r recording.Recording, e audit.Entry) (recording.Recording, []meeting.Event, error) {
	var evs []meeting.Event
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		m, err := lockMeeting(ctx, tx, r.MeetingID, nil)
		if err != nil {
			return err
		}
		if m.Status != meeting.StatusInSession {
			return recording.ErrNotInSession
		}
		var running bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM recordings WHERE meeting_id = $1 AND status = 'recording')`, r.MeetingID).Scan(&running); err != nil {
			return err
		}
		if running {
			return recording.ErrAlreadyRecording
		}
		err = tx.QueryRow(ctx, `INSERT INTO recordings (meeting_id, part, status, node_id, dir, started_at, started_by)
			VALUES ($1, (SELECT coalesce(max(part), 0) + 1 FROM recordings WHERE meeting_id = $1), 'recording', $2, $3, $4, $5)
			RETURNING id, part`, r.MeetingID, r.NodeID, r.Dir, r.StartedAt, r.StartedBy).Scan(&r.ID, &r.Part)
		if err != nil {
			return constraintError(err)
		}
		s := &sess{tx: tx, id: r.MeetingID, at: r.StartedAt, actor: r.StartedBy}
		if err := s.emit(ctx, recording.EventStarted, map[string]any{"recording_id": r.ID, "part": r.Part, "started_at": r.StartedAt}); err != nil {
			return err
		}
		e.Detail = withDetail(e.Detail, "recording_id", r.ID, "part", r.Part)
		evs = s.events
		return AppendAudit(ctx, tx, e, r.StartedAt)
	})
	if err != nil {
		return recording.Recording{}, nil, fmt.Errorf("begin recording: %w", err)
	}
	return r, evs, nil
}

func withDetail(d map[string]any, kv ...any) map[string]any {
	if d == nil {
		d = map[string]any{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		d[kv[i].(string)] = kv[i+1]
	}
	return d
}

// EndRecording implements recording.Store.
func (db *DB) EndRecording(ctx context.Context, id recording.ID, end recording.End, e *audit.Entry) ([]meeting.Event, []recording.ID, error) {
	var evs []meeting.Event
	var ids []recording.ID
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		ids = []recording.ID{id}
		var mid meeting.ID
		var part int
		var dir, node string
		var started time.Time
		if err := tx.QueryRow(ctx, `SELECT meeting_id, part, dir, node_id, started_at FROM recordings WHERE id = $1`, id).Scan(&mid, &part, &dir, &node, &started); err != nil {
			return notRecording(err)
		}
		// The meeting's lock orders this event among the session's.
		if _, err := lockMeeting(ctx, tx, mid, nil); err != nil {
			return err
		}
		// Each file after the first (a codec switch) ends the one before.
		next := end.Result.Next
		stop := end.At
		if len(next) > 0 && next[0].Start.After(started) {
			stop = next[0].Start
		}
		tag, err := tx.Exec(ctx, `UPDATE recordings SET status = 'processing', stopped_at = $2, stopped_by = $3, stop_reason = $4,
			main_path = $5, codec = $6, container = $7 WHERE id = $1 AND status = 'recording'`,
			id, stop, end.By, end.Reason, end.Result.Main, end.Result.Codec, containerOf(end.Result.Main))
		if err != nil {
			return constraintError(err)
		}
		if tag.RowsAffected() == 0 {
			return recording.ErrNotRecording
		}
		for i, seg := range next {
			segStop := end.At
			if i+1 < len(next) {
				segStop = next[i+1].Start
			}
			var nid recording.ID
			err := tx.QueryRow(ctx, `INSERT INTO recordings (meeting_id, part, status, node_id, dir, started_at, stopped_at, stopped_by, stop_reason,
				main_path, codec, container) VALUES ($1, (SELECT max(part) + 1 FROM recordings WHERE meeting_id = $1), 'processing', $2, $3, $4, $5, $6, $7, $8, $9, $10)
				RETURNING id`, mid, node, dir, seg.Start, segStop, end.By, end.Reason, seg.Path, seg.Codec, containerOf(seg.Path)).Scan(&nid)
			if err != nil {
				return constraintError(err)
			}
			ids = append(ids, nid)
		}
		for _, t := range end.Result.Speakers {
			if _, err := tx.Exec(ctx, `INSERT INTO recording_tracks (recording_id, identity, name, path, first_at, last_at)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, id, t.Identity, t.Name, t.Path, t.FirstAt, t.LastAt); err != nil {
				return constraintError(err)
			}
		}
		s := &sess{tx: tx, id: mid, at: end.At, actor: end.By}
		if err := s.emit(ctx, recording.EventStopped, map[string]any{"recording_id": id, "part": part, "reason": end.Reason, "stopped_at": end.At}); err != nil {
			return err
		}
		evs = s.events
		if e != nil {
			return AppendAudit(ctx, tx, *e, end.At)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("end recording %d: %w", id, err)
	}
	return evs, ids, nil
}

// containerOf is a recorded file's container by its name (” for none).
func containerOf(path string) string {
	switch {
	case path == "":
		return ""
	case strings.HasSuffix(path, ".mkv"):
		return "mkv"
	}
	return "webm"
}

// Recording implements recording.Store.
func (db *DB) Recording(ctx context.Context, id recording.ID) (recording.Recording, error) {
	r, err := scanRecording(db.Pool.QueryRow(ctx, `SELECT `+recordingColumns+` FROM recordings WHERE id = $1`, id))
	if err != nil {
		return r, notFound(err, "recording")
	}
	if r.Tracks, err = db.recordingTracks(ctx, id); err != nil {
		return r, err
	}
	return r, nil
}

func (db *DB) recordingTracks(ctx context.Context, id recording.ID) ([]recording.Track, error) {
	rows, err := db.Pool.Query(ctx, `SELECT identity, name, path, coalesce(blob_id, ''), size_bytes, sha256, first_at, last_at
		FROM recording_tracks WHERE recording_id = $1 ORDER BY first_at NULLS LAST, identity`, id)
	if err != nil {
		return nil, err
	}
	ts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[recording.Track])
	return nonNil(ts), err
}

// RunningRecording implements recording.Store.
func (db *DB) RunningRecording(ctx context.Context, id meeting.ID) (recording.Recording, error) {
	r, err := scanRecording(db.Pool.QueryRow(ctx, `SELECT `+recordingColumns+` FROM recordings WHERE meeting_id = $1 AND status = 'recording'`, id))
	return r, notRecording(err)
}

func (db *DB) recordingsWhere(ctx context.Context, where string, args ...any) ([]recording.Recording, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+recordingColumns+` FROM recordings WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	rs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (recording.Recording, error) { return scanRecording(r) })
	if err != nil {
		return nil, err
	}
	for i := range rs {
		if rs[i].Tracks, err = db.recordingTracks(ctx, rs[i].ID); err != nil {
			return nil, err
		}
	}
	return nonNil(rs), nil
}

// MeetingRecordings implements recording.Store.
func (db *DB) MeetingRecordings(ctx context.Context, id meeting.ID) ([]recording.Recording, error) {
	return db.recordingsWhere(ctx, `meeting_id = $1 ORDER BY part`, id)
}

// RecordingsRunningOn implements recording.Store.
func (db *DB) RecordingsRunningOn(ctx context.Context, node string) ([]recording.Recording, error) {
	return db.recordingsWhere(ctx, `status = 'recording' AND node_id = $1 ORDER BY id`, node)
}

// ProcessingRecordings implements recording.Store.
func (db *DB) ProcessingRecordings(ctx context.Context) ([]recording.ID, error) {
	rows, err := db.Pool.Query(ctx, `SELECT id FROM recordings WHERE status = 'processing' ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[recording.ID])
}

// SessionEvents implements recording.Store.
func (db *DB) SessionEvents(ctx context.Context, id meeting.ID, until time.Time) ([]meeting.Event, error) {
	rows, err := db.Pool.Query(ctx, `SELECT meeting_id, seq, at, type, actor_id, data FROM session_events
		WHERE meeting_id = $1 AND at <= $2 ORDER BY seq`, id, until)
	if err != nil {
		return nil, fmt.Errorf("session events: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (meeting.Event, error) {
		var e meeting.Event
		err := r.Scan(&e.MeetingID, &e.Seq, &e.At, &e.Type, &e.ActorID, &e.Data)
		return e, err
	})
}

// SpeakerNames implements recording.Store.
func (db *DB) SpeakerNames(ctx context.Context, id meeting.ID) (recording.Names, error) {
	n := recording.Names{Users: map[auth.UserID]string{}, Halls: map[auth.HallID]string{}}
	rows, err := db.Pool.Query(ctx, `SELECT u.id, u.full_name FROM meeting_participants p JOIN users u ON u.id = p.user_id WHERE p.meeting_id = $1`, id)
	if err != nil {
		return n, err
	}
	var uid auth.UserID
	var name string
	if _, err := pgx.ForEachRow(rows, []any{&uid, &name}, func() error { n.Users[uid] = name; return nil }); err != nil {
		return n, err
	}
	rows, err = db.Pool.Query(ctx, `SELECT h.id, h.name FROM meeting_halls mh JOIN halls h ON h.id = mh.hall_id WHERE mh.meeting_id = $1`, id)
	if err != nil {
		return n, err
	}
	var hid auth.HallID
	_, err = pgx.ForEachRow(rows, []any{&hid, &name}, func() error { n.Halls[hid] = name; return nil })
	return n, err
}

// RecordingArchived implements recording.Store.
func (db *DB) RecordingArchived(ctx context.Context, id recording.ID, a recording.Archive, e audit.Entry) error {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE recordings SET status = 'ready', blob_id = $2, size_bytes = $3, sha256 = $4, duration_ms = $5,
			chapters = $6, chapters_vtt = $7, archived_at = $8, error = '' WHERE id = $1 AND status = 'processing'`,
			id, a.BlobID, a.Size, a.SHA256, a.DurationMS, recording.MarshalChapters(a.Chapters), a.ChaptersVTT, a.At)
		if err != nil {
			return constraintError(err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: recording %d is not waiting to be archived", ErrNotFound, id)
		}
		for _, t := range a.Tracks {
			if _, err := tx.Exec(ctx, `UPDATE recording_tracks SET blob_id = $3, size_bytes = $4, sha256 = $5 WHERE recording_id = $1 AND identity = $2`,
				id, t.Identity, t.BlobID, t.Size, t.SHA256); err != nil {
				return constraintError(err)
			}
		}
		return AppendAudit(ctx, tx, e, a.At)
	})
	if err != nil {
		return fmt.Errorf("archive recording %d: %w", id, err)
	}
	return nil
}

// RecordingFailed implements recording.Store.
func (db *DB) RecordingFailed(ctx context.Context, id recording.ID, reason string, at time.Time) error {
	_, err := db.Pool.Exec(ctx, `UPDATE recordings SET status = 'failed', error = $2, archived_at = $3 WHERE id = $1 AND status = 'processing'`, id, reason, at)
	if err != nil {
		return fmt.Errorf("mark recording %d failed: %w", id, err)
	}
	return nil
}

// RecordRecordingRead implements recording.Store.
func (db *DB) RecordRecordingRead(ctx context.Context, r recording.Read, e audit.Entry) error {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO recording_reads (recording_id, user_id, kind, at) VALUES ($1, $2, $3, $4)`,
			r.RecordingID, r.UserID, r.Kind, r.At); err != nil {
			return constraintError(err)
		}
		return AppendAudit(ctx, tx, e, r.At)
	})
	if err != nil {
		return fmt.Errorf("record recording read: %w", err)
	}
	return nil
}

// RecordingReads implements recording.Store: newest first.
func (db *DB) RecordingReads(ctx context.Context, id recording.ID) ([]recording.Read, error) {
	rows, err := db.Pool.Query(ctx, `SELECT r.recording_id, r.user_id, u.full_name, r.kind, r.at
		FROM recording_reads r JOIN users u ON u.id = r.user_id WHERE r.recording_id = $1 ORDER BY r.at DESC, r.id DESC`, id)
	if err != nil {
		return nil, err
	}
	rs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[recording.Read])
	return nonNil(rs), err
}

// LegalHold implements recording.Store.
func (db *DB) LegalHold(ctx context.Context, id meeting.ID) (recording.Hold, bool, error) {
	var h recording.Hold
	err := db.Pool.QueryRow(ctx, `SELECT meeting_id, reason, set_by, set_at FROM legal_holds WHERE meeting_id = $1`, id).
		Scan(&h.MeetingID, &h.Reason, &h.SetBy, &h.SetAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, false, nil
	}
	return h, err == nil, err
}

// SetLegalHold implements recording.Store.
func (db *DB) SetLegalHold(ctx context.Context, h recording.Hold, e audit.Entry) error {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO legal_holds (meeting_id, reason, set_by, set_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (meeting_id) DO UPDATE SET reason = EXCLUDED.reason, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at`,
			h.MeetingID, h.Reason, h.SetBy, h.SetAt); err != nil {
			return constraintError(err)
		}
		return AppendAudit(ctx, tx, e, h.SetAt)
	})
	if err != nil {
		return fmt.Errorf("set legal hold: %w", err)
	}
	return nil
}

// ClearLegalHold implements recording.Store.
func (db *DB) ClearLegalHold(ctx context.Context, id meeting.ID, e audit.Entry) error {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM legal_holds WHERE meeting_id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return recording.ErrNoHold
		}
		return AppendAudit(ctx, tx, e, time.Now())
	})
	if err != nil {
		return fmt.Errorf("clear legal hold: %w", err)
	}
	return nil
}

// ExpiredRecordings implements recording.Store.
func (db *DB) ExpiredRecordings(ctx context.Context, cutoff time.Time) ([]recording.Recording, error) {
	return db.recordingsWhere(ctx, `status IN ('ready', 'failed') AND stopped_at < $1
		AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.meeting_id = recordings.meeting_id) ORDER BY id`, cutoff)
}

// DeleteRecording implements recording.Store.
func (db *DB) DeleteRecording(ctx context.Context, id recording.ID, e audit.Entry) (bool, error) {
	deleted := false
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		// Checked again under the hold's row: a hold set since the list wins.
		tag, err := tx.Exec(ctx, `DELETE FROM recordings r WHERE r.id = $1
			AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.meeting_id = r.meeting_id)`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		deleted = true
		return AppendAudit(ctx, tx, e, time.Now())
	})
	if err != nil {
		return false, fmt.Errorf("delete recording %d: %w", id, err)
	}
	return deleted, nil
}

// MeetingInSession implements recording.Store.
func (db *DB) MeetingInSession(ctx context.Context, id meeting.ID) (bool, error) {
	var st meeting.Status
	if err := db.Pool.QueryRow(ctx, `SELECT status FROM meetings WHERE id = $1`, id).Scan(&st); err != nil {
		return false, meetingNotFound(err)
	}
	return st == meeting.StatusInSession, nil
}

var _ recording.Store = (*DB)(nil)
