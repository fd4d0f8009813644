package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/meeting"
)

const itemColumns = `id, meeting_id, position, title, description, presenter_user_id, presenter_unit_id, planned_minutes, started_at, ended_at, planned_at`

// Agenda implements meeting.Store.
func (db *DB) Agenda(ctx context.Context, id meeting.ID) ([]meeting.Item, error) {
	return agenda(ctx, db.Pool, id)
}

func agenda(ctx context.Context, q Querier, id meeting.ID) ([]meeting.Item, error) {
	rows, err := q.Query(ctx, `SELECT `+itemColumns+` FROM agenda_items WHERE meeting_id = $1 ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("agenda: %w", err)
	}
	items, err := pgx.CollectRows(rows, pgx.RowToStructByPos[meeting.Item])
	if err != nil {
		return nil, fmt.Errorf("agenda: %w", err)
	}
	if items == nil {
		items = []meeting.Item{}
	}
	return items, nil
}

// agendaTx runs fn on a locked meeting; during a session the new agenda is
// appended to the event log so every browser follows.
func (db *DB) agendaTx(ctx context.Context, id meeting.ID, allowed []meeting.Status, e audit.Entry, fn func(tx pgx.Tx, m meeting.Meeting) error) ([]meeting.Event, error) {
	var evs []meeting.Event
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		m, err := lockMeeting(ctx, tx, id, allowed)
		if err != nil {
			return err
		}
		if err := fn(tx, m); err != nil {
			return err
		}
		now := time.Now()
		if m.Status == meeting.StatusInSession {
			items, err := agenda(ctx, tx, id)
			if err != nil {
				return err
			}
			s := &sess{tx: tx, id: id, at: now}
			if e.ActorID != nil {
				s.actor = actorOf(*e.ActorID)
			}
			if err := s.emit(ctx, meeting.EventAgendaChanged, map[string]any{"agenda": items}); err != nil {
				return err
			}
			evs = s.events
		}
		return AppendAudit(ctx, tx, e, now)
	})
	return evs, err
}

// AddItem implements meeting.Store.
func (db *DB) AddItem(ctx context.Context, it meeting.Item, allowed []meeting.Status, e audit.Entry) (meeting.Item, []meeting.Event, error) {
	evs, err := db.agendaTx(ctx, it.MeetingID, allowed, e, func(tx pgx.Tx, m meeting.Meeting) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM agenda_items WHERE meeting_id = $1`, it.MeetingID).Scan(&n); err != nil {
			return err
		}
		if n >= 200 {
			return fault.Field("title", fault.OutOfRange)
		}
		if it.Position == 0 || it.Position > n+1 {
			it.Position = n + 1
		}
		if _, err := tx.Exec(ctx, `UPDATE agenda_items SET position = position + 1 WHERE meeting_id = $1 AND position >= $2`, it.MeetingID, it.Position); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO agenda_items (meeting_id, position, title, description, presenter_user_id, presenter_unit_id, planned_minutes, planned_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			it.MeetingID, it.Position, it.Title, it.Description, it.PresenterUserID, it.PresenterUnitID, it.PlannedMinutes, it.PlannedAt).Scan(&it.ID)
		return presenterError(err)
	})
	if err != nil {
		return meeting.Item{}, nil, fmt.Errorf("add agenda item: %w", err)
	}
	return it, evs, nil
}

func presenterError(err error) error {
	if err == nil {
		return nil
	}
	err = constraintError(err)
	if isRef(err) {
		return &fault.Invalid{Fields: map[string]fault.Problem{"presenter_user_id": fault.NoSuch, "presenter_unit_id": fault.NoSuch}}
	}
	return err
}

// UpdateItem implements meeting.Store.
func (db *DB) UpdateItem(ctx context.Context, it meeting.Item, allowed []meeting.Status, e audit.Entry) (meeting.Item, []meeting.Event, error) {
	evs, err := db.agendaTx(ctx, it.MeetingID, allowed, e, func(tx pgx.Tx, m meeting.Meeting) error {
		tag, err := tx.Exec(ctx, `UPDATE agenda_items SET title = $3, description = $4, presenter_user_id = $5, presenter_unit_id = $6,
			planned_minutes = $7, planned_at = $8, updated_at = now() WHERE id = $1 AND meeting_id = $2`,
			it.ID, it.MeetingID, it.Title, it.Description, it.PresenterUserID, it.PresenterUnitID, it.PlannedMinutes, it.PlannedAt)
		if err != nil {
			return presenterError(err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("agenda item %d: %w", it.ID, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return meeting.Item{}, nil, fmt.Errorf("update agenda item: %w", err)
	}
	rows, err := db.Pool.Query(ctx, `SELECT `+itemColumns+` FROM agenda_items WHERE id = $1`, it.ID)
	if err != nil {
		return meeting.Item{}, nil, err
	}
	it, err = pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[meeting.Item])
	return it, evs, meetingNotFound(err)
}

// MoveItem implements meeting.Store.
func (db *DB) MoveItem(ctx context.Context, id meeting.ID, item meeting.ItemID, position int, allowed []meeting.Status, e audit.Entry) ([]meeting.Event, error) {
	return db.agendaTx(ctx, id, allowed, e, func(tx pgx.Tx, m meeting.Meeting) error {
		var from, n int
		err := tx.QueryRow(ctx, `SELECT position, (SELECT count(*) FROM agenda_items WHERE meeting_id = $2) FROM agenda_items WHERE id = $1 AND meeting_id = $2`,
			item, id).Scan(&from, &n)
		if err != nil {
			return meetingNotFound(err)
		}
		if position > n {
			return fault.Field("position", fault.OutOfRange)
		}
		// The unique (meeting_id, position) key is deferred: shift, then place.
		if position < from {
			_, err = tx.Exec(ctx, `UPDATE agenda_items SET position = position + 1 WHERE meeting_id = $1 AND position >= $2 AND position < $3`, id, position, from)
		} else {
			_, err = tx.Exec(ctx, `UPDATE agenda_items SET position = position - 1 WHERE meeting_id = $1 AND position > $3 AND position <= $2`, id, position, from)
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE agenda_items SET position = $2, updated_at = now() WHERE id = $1`, item, position)
		return err
	})
}

// RemoveItem implements meeting.Store. An item that has started stays (it
// is part of the record).
func (db *DB) RemoveItem(ctx context.Context, id meeting.ID, item meeting.ItemID, allowed []meeting.Status, e audit.Entry) ([]meeting.Event, error) {
	return db.agendaTx(ctx, id, allowed, e, func(tx pgx.Tx, m meeting.Meeting) error {
		var pos int
		var started *time.Time
		err := tx.QueryRow(ctx, `SELECT position, started_at FROM agenda_items WHERE id = $1 AND meeting_id = $2`, item, id).Scan(&pos, &started)
		if err != nil {
			return meetingNotFound(err)
		}
		if started != nil {
			return fmt.Errorf("%w: the item has started; it stays in the record", meeting.ErrInvalidState)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM agenda_items WHERE id = $1`, item); err != nil {
			return constraintError(err)
		}
		_, err = tx.Exec(ctx, `UPDATE agenda_items SET position = position - 1 WHERE meeting_id = $1 AND position > $2`, id, pos)
		return err
	})
}
