package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/meeting"
)

// RoomControl implements meeting.Store.
func (db *DB) RoomControl(ctx context.Context, id meeting.ID) (meeting.RoomControl, error) {
	var rc meeting.RoomControl
	err := db.Pool.QueryRow(ctx, `SELECT room_state, secretary_moderates,
			EXISTS (SELECT 1 FROM meeting_participants p WHERE p.meeting_id = m.id AND p.role = 'chair')
		FROM meetings m WHERE m.id = $1`, id).Scan(&rc.State, &rc.SecretaryModerates, &rc.HasChair)
	if err != nil {
		return rc, fmt.Errorf("room control of meeting %d: %w", id, meetingNotFound(err))
	}
	return rc, nil
}

// Standing implements meeting.Store.
func (db *DB) Standing(ctx context.Context, id meeting.ID, t meeting.Target) (meeting.Standing, error) {
	var st meeting.Standing
	var err error
	if t.HallID != nil {
		err = db.Pool.QueryRow(ctx, `SELECT muted, removed_at IS NOT NULL, connected FROM session_halls WHERE meeting_id = $1 AND hall_id = $2`,
			id, *t.HallID).Scan(&st.Muted, &st.Removed, &st.Present)
	} else {
		err = db.Pool.QueryRow(ctx, `SELECT coalesce(m.muted, false), coalesce(m.removed_at IS NOT NULL, false), coalesce(a.status IN ('in_hall', 'online'), false)
			FROM (SELECT 1) one
			LEFT JOIN session_people m ON m.meeting_id = $1 AND m.user_id = $2
			LEFT JOIN session_attendance a ON a.meeting_id = $1 AND a.user_id = $2`, id, *t.UserID).Scan(&st.Muted, &st.Removed, &st.Present)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return meeting.Standing{}, nil
	}
	if err != nil {
		return st, fmt.Errorf("standing in meeting %d: %w", id, err)
	}
	return st, nil
}

// moderate applies a moderation to a hall (session_halls) or a person
// (session_people), creating the row for one not connected yet.
func moderate(ctx context.Context, s *sess, c meeting.Command) error {
	if c.Hall != nil {
		if err := requireInvitedHall(ctx, s, *c.Hall); err != nil {
			return err
		}
		if _, err := s.tx.Exec(ctx, `INSERT INTO session_halls (meeting_id, hall_id, connected, since) VALUES ($1, $2, false, $3)
			ON CONFLICT (meeting_id, hall_id) DO NOTHING`, s.id, *c.Hall, s.at); err != nil {
			return err
		}
		return applyModeration(ctx, s, c, "session_halls", "hall_id", int64(*c.Hall), meeting.EventHallMuted)
	}
	var one int
	err := s.tx.QueryRow(ctx, `SELECT 1 FROM meeting_participants WHERE meeting_id = $1 AND user_id = $2`, s.id, *c.User).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fault.Field("user_id", fault.NotInvited)
	}
	if err != nil {
		return err
	}
	if _, err := s.tx.Exec(ctx, `INSERT INTO session_people (meeting_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, s.id, *c.User); err != nil {
		return err
	}
	return applyModeration(ctx, s, c, "session_people", "user_id", int64(*c.User), meeting.EventPersonMuted)
}

// applyModeration changes the row of table keyed by (meeting_id, key) and
// appends the events. table and key are constants of moderate, never input.
func applyModeration(ctx context.Context, s *sess, c meeting.Command, table, key string, who int64, mutedEvent string) error {
	var muted, removed bool
	q := fmt.Sprintf(`SELECT muted, removed_at IS NOT NULL FROM %s WHERE meeting_id = $1 AND %s = $2 FOR UPDATE`, table, key)
	if err := s.tx.QueryRow(ctx, q, s.id, who).Scan(&muted, &removed); err != nil {
		return err
	}
	ref := map[string]any{key: who}
	with := func(k string, v any) map[string]any {
		out := map[string]any{key: who, k: v}
		return out
	}
	setMuted := func(v bool) error {
		if _, err := s.tx.Exec(ctx, fmt.Sprintf(`UPDATE %s SET muted = $3 WHERE meeting_id = $1 AND %s = $2`, table, key), s.id, who, v); err != nil {
			return err
		}
		return s.emit(ctx, mutedEvent, with("muted", v))
	}
	switch c.Action {
	case meeting.ActMute, meeting.ActUnmute:
		return setMuted(c.Action == meeting.ActMute)
	case meeting.ActAskUnmute:
		if muted {
			if err := setMuted(false); err != nil {
				return err
			}
		}
		return s.emit(ctx, meeting.EventUnmuteRequested, ref)
	case meeting.ActRemove:
		if removed {
			return fmt.Errorf("%w: already removed from the call", meeting.ErrInvalidState)
		}
		if _, err := s.tx.Exec(ctx, fmt.Sprintf(`UPDATE %s SET removed_at = $3 WHERE meeting_id = $1 AND %s = $2`, table, key), s.id, who, s.at); err != nil {
			return err
		}
		return s.emit(ctx, meeting.EventRemoved, with("at", s.at))
	case meeting.ActReadmit:
		if !removed {
			return fmt.Errorf("%w: not removed from the call", meeting.ErrInvalidState)
		}
		if _, err := s.tx.Exec(ctx, fmt.Sprintf(`UPDATE %s SET removed_at = NULL WHERE meeting_id = $1 AND %s = $2`, table, key), s.id, who); err != nil {
			return err
		}
		return s.emit(ctx, meeting.EventReadmitted, with("at", s.at))
	}
	return fmt.Errorf("unknown moderation %q", c.Action)
}

// setRoom changes the call's state and who moderates.
func setRoom(ctx context.Context, s *sess, c meeting.Command) error {
	var state string
	var sec bool
	if err := s.tx.QueryRow(ctx, `SELECT room_state, secretary_moderates FROM meetings WHERE id = $1`, s.id).Scan(&state, &sec); err != nil {
		return err
	}
	next, nextSec := state, sec
	if c.RoomState != "" {
		next = c.RoomState
	}
	if c.SecretaryModerates != nil {
		nextSec = *c.SecretaryModerates
	}
	if next == state && nextSec == sec {
		return fmt.Errorf("%w: the room is already %s", meeting.ErrInvalidState, state)
	}
	if _, err := s.tx.Exec(ctx, `UPDATE meetings SET room_state = $2, secretary_moderates = $3 WHERE id = $1`, s.id, next, nextSec); err != nil {
		return err
	}
	return s.emit(ctx, meeting.EventRoomChanged, map[string]any{"state": next, "secretary_moderates": nextSec, "at": s.at})
}

// roomSnapshot reads the call's moderation for the snapshot.
func roomSnapshot(ctx context.Context, tx pgx.Tx, id meeting.ID, snap *meeting.Snapshot) error {
	err := tx.QueryRow(ctx, `SELECT room_state, secretary_moderates,
			EXISTS (SELECT 1 FROM meeting_participants p WHERE p.meeting_id = m.id AND p.role = 'chair')
		FROM meetings m WHERE m.id = $1`, id).Scan(&snap.Room.State, &snap.Room.SecretaryModerates, &snap.Room.HasChair)
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT user_id, muted, removed_at IS NOT NULL FROM session_people WHERE meeting_id = $1 ORDER BY user_id`, id)
	if err != nil {
		return err
	}
	snap.People, err = pgx.CollectRows(rows, pgx.RowToStructByPos[meeting.PersonState])
	return err
}
