package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/meeting"
	"github.com/cau-gov/cau/internal/notify"
)

const meetingColumns = `m.id, m.kind, m.title, m.description, m.place, m.status, m.starts_at, m.ends_at, m.unit_id, m.created_by,
	m.schedule_version, m.published_at, m.opened_at, m.closed_at, m.cancelled_at, m.cancel_reason, m.current_item_id, m.last_seq,
	m.created_at, m.updated_at`

func scanMeeting(row pgx.Row) (meeting.Meeting, error) {
	var m meeting.Meeting
	err := row.Scan(&m.ID, &m.Kind, &m.Title, &m.Description, &m.Place, &m.Status, &m.StartsAt, &m.EndsAt, &m.UnitID, &m.CreatedBy,
		&m.ScheduleVersion, &m.PublishedAt, &m.OpenedAt, &m.ClosedAt, &m.CancelledAt, &m.CancelReason, &m.CurrentItemID, &m.LastSeq,
		&m.CreatedAt, &m.UpdatedAt)
	return m, err
}

// meetingNotFound turns a missing row into the store's not-found.
func meetingNotFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("meeting: %w", ErrNotFound)
	}
	return err
}

// CreateMeeting implements meeting.Store.
func (db *DB) CreateMeeting(ctx context.Context, m meeting.Meeting, people []meeting.Participant, e audit.Entry) (meeting.Meeting, error) {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO meetings (kind, title, description, place, starts_at, ends_at, unit_id, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
			m.Kind, m.Title, m.Description, m.Place, m.StartsAt, m.EndsAt, m.UnitID, m.CreatedBy, m.CreatedAt).Scan(&m.ID)
		if err != nil {
			return constraintError(err)
		}
		for _, p := range people {
			if _, err := tx.Exec(ctx, `INSERT INTO meeting_participants (meeting_id, user_id, role, added_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (meeting_id, user_id) DO UPDATE SET role = EXCLUDED.role`, m.ID, p.UserID, p.Role, m.CreatedAt); err != nil {
				if err = constraintError(err); isRef(err) {
					return fault.Field(string(p.Role)+"_id", fault.NoSuch)
				}
				return err
			}
		}
		e.ObjectID = fmt.Sprint(m.ID)
		return AppendAudit(ctx, tx, e, m.CreatedAt)
	})
	if err != nil {
		return meeting.Meeting{}, fmt.Errorf("create meeting: %w", err)
	}
	return db.Meeting(ctx, m.ID)
}

// Meeting implements meeting.Store.
func (db *DB) Meeting(ctx context.Context, id meeting.ID) (meeting.Meeting, error) {
	m, err := scanMeeting(db.Pool.QueryRow(ctx, `SELECT `+meetingColumns+` FROM meetings m WHERE m.id = $1`, id))
	if err != nil {
		return m, fmt.Errorf("meeting %d: %w", id, meetingNotFound(err))
	}
	return m, nil
}

// MemberOf implements meeting.Store.
func (db *DB) MemberOf(ctx context.Context, id meeting.ID, user auth.UserID, halls []auth.HallID) (meeting.Meeting, []meeting.Role, []auth.HallID, error) {
	m, err := db.Meeting(ctx, id)
	if err != nil {
		return m, nil, nil, err
	}
	rows, err := db.Pool.Query(ctx, `SELECT role FROM meeting_participants WHERE meeting_id = $1 AND user_id = $2`, id, user)
	if err != nil {
		return m, nil, nil, fmt.Errorf("meeting roles: %w", err)
	}
	roles, err := pgx.CollectRows(rows, pgx.RowTo[meeting.Role])
	if err != nil {
		return m, nil, nil, fmt.Errorf("meeting roles: %w", err)
	}
	var invited []auth.HallID
	if len(halls) > 0 {
		rows, err := db.Pool.Query(ctx, `SELECT hall_id FROM meeting_halls WHERE meeting_id = $1 AND hall_id = ANY($2) ORDER BY hall_id`, id, halls)
		if err != nil {
			return m, nil, nil, fmt.Errorf("meeting halls: %w", err)
		}
		if invited, err = pgx.CollectRows(rows, pgx.RowTo[auth.HallID]); err != nil {
			return m, nil, nil, fmt.Errorf("meeting halls: %w", err)
		}
	}
	return m, roles, invited, nil
}

// ListMeetings implements meeting.Store.
func (db *DB) ListMeetings(ctx context.Context, f meeting.ListFilter) ([]meeting.Meeting, error) {
	q := `SELECT ` + meetingColumns + ` FROM meetings m WHERE ($1 OR m.created_by = $2
		OR EXISTS (SELECT 1 FROM meeting_participants p WHERE p.meeting_id = m.id AND p.user_id = $2)
		OR EXISTS (SELECT 1 FROM meeting_halls h WHERE h.meeting_id = m.id AND h.hall_id = ANY($3)))
		-- invitees see a meeting once it is published; its organizers always
		AND ($1 OR m.status <> 'draft' OR m.created_by = $2
			OR EXISTS (SELECT 1 FROM meeting_participants p WHERE p.meeting_id = m.id AND p.user_id = $2 AND p.role IN ('chair', 'secretary')))
		AND ($4::timestamptz IS NULL OR m.starts_at >= $4) AND ($5::timestamptz IS NULL OR m.starts_at < $5)
		AND ($7::boolean IS NULL OR (m.status = 'cancelled') = $7)
		ORDER BY m.starts_at, m.id LIMIT $6`
	halls := f.Halls
	if halls == nil {
		halls = []auth.HallID{}
	}
	rows, err := db.Pool.Query(ctx, q, f.All, f.User, halls, f.From, f.To, f.Limit, f.Cancelled)
	if err != nil {
		return nil, fmt.Errorf("list meetings: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (meeting.Meeting, error) { return scanMeeting(r) })
	if err != nil {
		return nil, fmt.Errorf("list meetings: %w", err)
	}
	return out, nil
}

// lockMeeting locks the meeting's row for the transaction and checks its
// status is one of allowed.
func lockMeeting(ctx context.Context, tx pgx.Tx, id meeting.ID, allowed []meeting.Status) (meeting.Meeting, error) {
	m, err := scanMeeting(tx.QueryRow(ctx, `SELECT `+meetingColumns+` FROM meetings m WHERE m.id = $1 FOR UPDATE`, id))
	if err != nil {
		return m, meetingNotFound(err)
	}
	if allowed != nil && !slices.Contains(allowed, m.Status) {
		return m, fmt.Errorf("%w: the meeting is %s", meeting.ErrInvalidState, m.Status)
	}
	return m, nil
}

// UpdateMeeting implements meeting.Store.
func (db *DB) UpdateMeeting(ctx context.Context, m meeting.Meeting, allowed []meeting.Status, e audit.Entry, n *notify.Template) (meeting.Meeting, []int64, error) {
	var ids []int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		old, err := lockMeeting(ctx, tx, m.ID, allowed)
		if err != nil {
			return err
		}
		// m.ScheduleVersion is the version the caller read, plus one if it
		// moved the time: a reschedule committed meanwhile is a conflict,
		// not a second notice under the same key.
		moved := !old.StartsAt.Equal(m.StartsAt) || !old.EndsAt.Equal(m.EndsAt)
		if (moved && old.ScheduleVersion+1 != m.ScheduleVersion) || (!moved && old.ScheduleVersion != m.ScheduleVersion) {
			return fmt.Errorf("%w: the meeting's time changed meanwhile; reload it", meeting.ErrInvalidState)
		}
		_, err = tx.Exec(ctx, `UPDATE meetings SET kind = $2, title = $3, description = $4, place = $5, starts_at = $6, ends_at = $7,
			schedule_version = $8, updated_at = $9 WHERE id = $1`,
			m.ID, m.Kind, m.Title, m.Description, m.Place, m.StartsAt, m.EndsAt, m.ScheduleVersion, m.UpdatedAt)
		if err != nil {
			return constraintError(err)
		}
		if n != nil {
			if ids, err = insertNotices(ctx, tx, m.ID, n, nil, m.UpdatedAt); err != nil {
				return err
			}
		}
		return AppendAudit(ctx, tx, e, m.UpdatedAt)
	})
	if err != nil {
		return meeting.Meeting{}, nil, fmt.Errorf("update meeting: %w", err)
	}
	m, err = db.Meeting(ctx, m.ID)
	return m, ids, err
}

// Transition implements meeting.Store.
func (db *DB) Transition(ctx context.Context, id meeting.ID, t meeting.Transition) (meeting.Meeting, []meeting.Event, []int64, error) {
	var (
		ids []int64
		evs []meeting.Event
	)
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		m, err := lockMeeting(ctx, tx, id, t.From)
		if err != nil {
			return err
		}
		s := &sess{tx: tx, id: id, at: t.At, actor: &t.Actor}
		if t.Require != "" {
			var ok bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM meeting_participants WHERE meeting_id = $1 AND role = $2)`, id, t.Require).Scan(&ok); err != nil {
				return err
			}
			if !ok {
				return meeting.ErrChairRequired
			}
		}
		switch t.To {
		case meeting.StatusPublished:
			_, err = tx.Exec(ctx, `UPDATE meetings SET status = 'published', published_at = $2, updated_at = $2 WHERE id = $1`, id, t.At)
		case meeting.StatusCancelled:
			_, err = tx.Exec(ctx, `UPDATE meetings SET status = 'cancelled', cancelled_at = $2, cancel_reason = $3, updated_at = $2 WHERE id = $1`, id, t.At, t.Reason)
			if err == nil {
				// Halls connect before the session opens: tell their screens.
				err = s.emit(ctx, meeting.EventMeetingChanged, map[string]any{"status": meeting.StatusCancelled, "reason": t.Reason, "cancelled_at": t.At})
			}
		case meeting.StatusInSession:
			_, err = tx.Exec(ctx, `UPDATE meetings SET status = 'in_session', opened_at = $2, updated_at = $2 WHERE id = $1`, id, t.At)
			if err == nil {
				err = s.emit(ctx, meeting.EventSessionOpened, map[string]any{"opened_at": t.At})
			}
		case meeting.StatusEnded:
			err = closeSession(ctx, s, m)
		default:
			return fmt.Errorf("%w: no transition to %s", meeting.ErrInvalidState, t.To)
		}
		if err != nil {
			return err
		}
		if t.Notice != nil {
			if ids, err = insertNotices(ctx, tx, id, t.Notice, nil, t.At); err != nil {
				return err
			}
		}
		t.Audit.ObjectID = fmt.Sprint(id)
		evs = s.events
		return AppendAudit(ctx, tx, t.Audit, t.At)
	})
	if err != nil {
		return meeting.Meeting{}, nil, nil, fmt.Errorf("meeting %d to %s: %w", id, t.To, err)
	}
	m, err := db.Meeting(ctx, id)
	return m, evs, ids, err
}

// closeSession ends the current item and speaker, then the meeting. An
// open vote must be closed first: its result belongs in the minutes.
func closeSession(ctx context.Context, s *sess, m meeting.Meeting) error {
	var open bool
	if err := s.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM votes WHERE meeting_id = $1 AND status = 'open')`, s.id).Scan(&open); err != nil {
		return err
	}
	if open {
		return fmt.Errorf("%w: close the open vote first", meeting.ErrInvalidState)
	}
	if err := endSpeaker(ctx, s); err != nil {
		return err
	}
	if err := endCurrentItem(ctx, s, m.CurrentItemID); err != nil {
		return err
	}
	if _, err := s.tx.Exec(ctx, `UPDATE meetings SET status = 'ended', closed_at = $2, current_item_id = NULL, updated_at = $2 WHERE id = $1`, s.id, s.at); err != nil {
		return err
	}
	return s.emit(ctx, meeting.EventSessionClosed, map[string]any{"closed_at": s.at})
}

// Participants implements meeting.Store.
func (db *DB) Participants(ctx context.Context, id meeting.ID) ([]meeting.Participant, error) {
	rows, err := db.Pool.Query(ctx, `SELECT p.user_id, u.full_name, u.email, u.unit_id, p.role, p.hall_id, un.name
		FROM meeting_participants p JOIN users u ON u.id = p.user_id JOIN units un ON un.id = u.unit_id
		WHERE p.meeting_id = $1 ORDER BY p.role, u.full_name`, id)
	if err != nil {
		return nil, fmt.Errorf("participants: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[meeting.Participant])
}

// MeetingHalls implements meeting.Store.
func (db *DB) MeetingHalls(ctx context.Context, id meeting.ID) ([]meeting.Hall, error) {
	rows, err := db.Pool.Query(ctx, `SELECT h.id, h.unit_id, h.code, h.name FROM meeting_halls mh JOIN halls h ON h.id = mh.hall_id
		WHERE mh.meeting_id = $1 ORDER BY h.name`, id)
	if err != nil {
		return nil, fmt.Errorf("meeting halls: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[meeting.Hall])
}

// HallName implements meeting.Store.
func (db *DB) HallName(ctx context.Context, hall auth.HallID) (string, error) {
	var name string
	if err := db.Pool.QueryRow(ctx, `SELECT name FROM halls WHERE id = $1`, hall).Scan(&name); err != nil {
		return "", fmt.Errorf("hall %d: %w", hall, meetingNotFound(err))
	}
	return name, nil
}

// InviteHalls implements meeting.Store.
func (db *DB) InviteHalls(ctx context.Context, id meeting.ID, sel meeting.HallSelection, allowed []meeting.Status, e audit.Entry, n *notify.Template) (int, []int64, error) {
	var (
		added int
		ids   []int64
	)
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockMeeting(ctx, tx, id, allowed); err != nil {
			return err
		}
		now := time.Now()
		var hallIDs []int64
		if sel.UnitID != nil {
			rows, err := tx.Query(ctx, `WITH RECURSIVE sub AS (
					SELECT id, level FROM units WHERE id = $1 AND active
					UNION ALL
					SELECT u.id, u.level FROM units u JOIN sub ON u.parent_id = sub.id WHERE $2 AND u.active
				) SELECT h.id FROM halls h JOIN sub ON sub.id = h.unit_id WHERE h.active AND ($3 = '' OR sub.level = $3)`,
				*sel.UnitID, sel.IncludeDescendants, sel.Level)
			if err != nil {
				return err
			}
			if hallIDs, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
				return err
			}
		}
		if len(sel.HallIDs) > 0 {
			rows, err := tx.Query(ctx, `SELECT id FROM halls WHERE id = ANY($1) AND active`, sel.HallIDs)
			if err != nil {
				return err
			}
			found, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				return err
			}
			if len(found) != len(slices.Compact(slices.Sorted(slices.Values(sel.HallIDs)))) {
				return fault.Field("hall_ids", fault.NoSuch)
			}
			hallIDs = append(hallIDs, found...)
		}
		rows, err := tx.Query(ctx, `INSERT INTO meeting_halls (meeting_id, hall_id, added_at) SELECT $1, unnest($2::bigint[]), $3
			ON CONFLICT DO NOTHING RETURNING hall_id`, id, hallIDs, now)
		if err != nil {
			return constraintError(err)
		}
		newHalls, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		added = len(newHalls)
		if n != nil && added > 0 {
			rows, err := tx.Query(ctx, `SELECT DISTINCT user_id FROM user_roles WHERE role = 'hall_operator' AND hall_id = ANY($1)`, newHalls)
			if err != nil {
				return err
			}
			ops, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				return err
			}
			if ids, err = insertNotices(ctx, tx, id, n, ops, now); err != nil {
				return err
			}
		}
		e.Detail["added"] = added
		return AppendAudit(ctx, tx, e, now)
	})
	if err != nil {
		return 0, nil, fmt.Errorf("invite halls: %w", err)
	}
	return added, ids, nil
}

// RemoveHall implements meeting.Store.
func (db *DB) RemoveHall(ctx context.Context, id meeting.ID, hall auth.HallID, allowed []meeting.Status, e audit.Entry) error {
	return db.meetingChange(ctx, id, allowed, e, `DELETE FROM meeting_halls WHERE meeting_id = $1 AND hall_id = $2`, id, hall)
}

// RemoveParticipant implements meeting.Store.
func (db *DB) RemoveParticipant(ctx context.Context, id meeting.ID, user auth.UserID, allowed []meeting.Status, e audit.Entry) error {
	return db.meetingChange(ctx, id, allowed, e, `DELETE FROM meeting_participants WHERE meeting_id = $1 AND user_id = $2`, id, user)
}

// meetingChange runs one statement that must touch a row, under the meeting's lock, audited.
func (db *DB) meetingChange(ctx context.Context, id meeting.ID, allowed []meeting.Status, e audit.Entry, sql string, args ...any) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockMeeting(ctx, tx, id, allowed); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, sql, args...)
		if err != nil {
			return constraintError(err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: no such invitation", ErrNotFound)
		}
		return AppendAudit(ctx, tx, e, time.Now())
	})
}

// SetParticipant implements meeting.Store.
func (db *DB) SetParticipant(ctx context.Context, id meeting.ID, p meeting.Participant, allowed []meeting.Status, e audit.Entry, n *notify.Template) ([]int64, error) {
	var ids []int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockMeeting(ctx, tx, id, allowed); err != nil {
			return err
		}
		now := time.Now()
		var active bool
		if err := tx.QueryRow(ctx, `SELECT active FROM users WHERE id = $1`, p.UserID).Scan(&active); err != nil || !active {
			return fault.Field("user_id", fault.NoSuch)
		}
		if p.HallID != nil {
			var ok bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM meeting_halls WHERE meeting_id = $1 AND hall_id = $2)`, id, *p.HallID).Scan(&ok); err != nil {
				return err
			}
			if !ok {
				return fault.Field("hall_id", fault.NotInvited)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO meeting_participants (meeting_id, user_id, role, hall_id, added_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (meeting_id, user_id) DO UPDATE SET role = EXCLUDED.role, hall_id = EXCLUDED.hall_id`,
			id, p.UserID, p.Role, p.HallID, now); err != nil {
			return constraintError(err)
		}
		if n != nil {
			var err error
			if ids, err = insertNotices(ctx, tx, id, n, []int64{int64(p.UserID)}, now); err != nil {
				return err
			}
		}
		return AppendAudit(ctx, tx, e, now)
	})
	if err != nil {
		return nil, fmt.Errorf("set participant: %w", err)
	}
	return ids, nil
}
