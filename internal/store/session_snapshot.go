package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/meeting"
)

// Snapshot implements meeting.Store: the session's state, read in one
// repeatable-read transaction so it matches its Seq exactly.
func (db *DB) Snapshot(ctx context.Context, id meeting.ID) (meeting.Snapshot, error) {
	var snap meeting.Snapshot
	err := pgx.BeginTxFunc(ctx, db.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id, last_seq, status, current_item_id FROM meetings WHERE id = $1`, id).
			Scan(&snap.MeetingID, &snap.Seq, &snap.Status, &snap.CurrentItemID)
		if err != nil {
			return meetingNotFound(err)
		}
		if snap.Agenda, err = agenda(ctx, tx, id); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, user_id, hall_id, item_id, status, requested_at, granted_at, ended_at FROM speaking_requests
			WHERE meeting_id = $1 AND status IN ('waiting', 'speaking') ORDER BY requested_at, id`, id)
		if err != nil {
			return err
		}
		if snap.Queue, err = pgx.CollectRows(rows, pgx.RowToStructByPos[meeting.Request]); err != nil {
			return err
		}
		votes, err := loadVotes(ctx, tx, id)
		if err != nil {
			return err
		}
		for i := range votes {
			if votes[i].Status == "open" {
				v := votes[i]
				snap.Vote = &v
			} else {
				snap.LastVotes = append(snap.LastVotes, votes[i])
			}
		}
		rows, err = tx.Query(ctx, `SELECT hall_id, connected, since, muted, removed_at IS NOT NULL FROM session_halls WHERE meeting_id = $1 ORDER BY hall_id`, id)
		if err != nil {
			return err
		}
		if snap.Halls, err = pgx.CollectRows(rows, pgx.RowToStructByPos[meeting.HallState]); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT user_id, status, hall_id, since, joined_at, left_at FROM session_attendance WHERE meeting_id = $1 ORDER BY user_id`, id)
		if err != nil {
			return err
		}
		if snap.Attendance, err = pgx.CollectRows(rows, pgx.RowToStructByPos[meeting.Attendance]); err != nil {
			return err
		}
		var rec meeting.LiveRecording
		err = tx.QueryRow(ctx, `SELECT id, part, started_at FROM recordings WHERE meeting_id = $1 AND status = 'recording'`, id).
			Scan(&rec.ID, &rec.Part, &rec.StartedAt)
		switch {
		case err == nil:
			snap.Recording = &rec
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		return roomSnapshot(ctx, tx, id, &snap)
	})
	if err != nil {
		return meeting.Snapshot{}, fmt.Errorf("session snapshot %d: %w", id, err)
	}
	// Empty lists are [] for the browser, not null.
	snap.Queue, snap.LastVotes = nonNil(snap.Queue), nonNil(snap.LastVotes)
	snap.Halls, snap.Attendance, snap.People = nonNil(snap.Halls), nonNil(snap.Attendance), nonNil(snap.People)
	return snap, nil
}

func loadVotes(ctx context.Context, tx pgx.Tx, id meeting.ID) ([]meeting.Vote, error) {
	rows, err := tx.Query(ctx, `SELECT v.id, v.item_id, v.question, v.options, v.secret, v.voter_roles, v.status, v.opened_at, v.closed_at,
			(SELECT count(*) FROM vote_voters b WHERE b.vote_id = v.id),
			(SELECT count(*) FROM meeting_participants p WHERE p.meeting_id = v.meeting_id AND p.role = ANY(v.voter_roles)),
			v.base, v.rule, v.base_count, v.passed
		FROM votes v WHERE v.meeting_id = $1 ORDER BY v.id`, id)
	if err != nil {
		return nil, err
	}
	votes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (meeting.Vote, error) {
		var v meeting.Vote
		err := r.Scan(&v.ID, &v.ItemID, &v.Question, &v.Options, &v.Secret, &v.VoterRoles, &v.Status, &v.OpenedAt, &v.ClosedAt, &v.Ballots, &v.Eligible,
			&v.Base, &v.Rule, &v.BaseCount, &v.Passed)
		return v, err
	})
	if err != nil {
		return nil, err
	}
	for i := range votes {
		if votes[i].Counts, err = voteCounts(ctx, tx, votes[i].ID); err != nil {
			return nil, err
		}
	}
	return votes, nil
}

// EventsSince implements meeting.Store.
func (db *DB) EventsSince(ctx context.Context, id meeting.ID, seq int64, limit int) ([]meeting.Event, error) {
	rows, err := db.Pool.Query(ctx, `SELECT meeting_id, seq, at, type, actor_id, data FROM session_events
		WHERE meeting_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, id, seq, limit)
	if err != nil {
		return nil, fmt.Errorf("session events: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (meeting.Event, error) {
		var e meeting.Event
		err := r.Scan(&e.MeetingID, &e.Seq, &e.At, &e.Type, &e.ActorID, &e.Data)
		return e, err
	})
}

var _ meeting.Store = (*DB)(nil)

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
