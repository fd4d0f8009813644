package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/minutes"
)

// Proceedings implements minutes.Store: it reads back what the meetings
// schema recorded about a session. Hall presence comes from the session log
// (hall.connected / hall.disconnected events carry {"hall_id"}); the rest
// from the tables the session commands maintain.
func (db *DB) Proceedings(ctx context.Context, id minutes.MeetingID) (minutes.Proceedings, error) {
	s := minutes.Proceedings{MeetingID: id}
	err := db.Pool.QueryRow(ctx, `SELECT unit_id, title, place, opened_at, closed_at FROM meetings WHERE id = $1`, id).
		Scan(&s.UnitID, &s.Title, &s.Place, &s.OpenedAt, &s.ClosedAt)
	if err != nil {
		return s, notFound(err, fmt.Sprintf("meeting %d", id))
	}

	rows, err := db.Pool.Query(ctx, `SELECT u.id, u.full_name, u.position, p.role, coalesce(a.status, ''), p.hall_id, a.joined_at, a.left_at
		FROM meeting_participants p JOIN users u ON u.id = p.user_id
		LEFT JOIN session_attendance a ON a.meeting_id = p.meeting_id AND a.user_id = p.user_id
		WHERE p.meeting_id = $1
		ORDER BY array_position(ARRAY['chair','secretary','presenter','delegate','guest','observer'], p.role), u.full_name`, id)
	if err != nil {
		return s, fmt.Errorf("session people: %w", err)
	}
	if s.People, err = pgx.CollectRows(rows, pgx.RowToStructByPos[minutes.SessionPerson]); err != nil {
		return s, err
	}

	rows, err = db.Pool.Query(ctx, `SELECT h.id, h.name FROM meeting_halls mh JOIN halls h ON h.id = mh.hall_id
		WHERE mh.meeting_id = $1 ORDER BY h.name`, id)
	if err != nil {
		return s, fmt.Errorf("session halls: %w", err)
	}
	if s.Halls, err = pgx.CollectRows(rows, pgx.RowToStructByPos[minutes.SessionHall]); err != nil {
		return s, err
	}

	rows, err = db.Pool.Query(ctx, `SELECT (data->>'hall_id')::bigint, type = 'hall.connected', at FROM session_events
		WHERE meeting_id = $1 AND type IN ('hall.connected', 'hall.disconnected') AND data ? 'hall_id' ORDER BY seq`, id)
	if err != nil {
		return s, fmt.Errorf("session hall events: %w", err)
	}
	if s.HallEvents, err = pgx.CollectRows(rows, pgx.RowToStructByPos[minutes.HallEvent]); err != nil {
		return s, err
	}

	// Who caused which event (the SFU's hall and online reports and secret
	// ballots name nobody): acting in the session is attending it.
	rows, err = db.Pool.Query(ctx, `SELECT actor_id, at FROM session_events
		WHERE meeting_id = $1 AND actor_id IS NOT NULL ORDER BY seq`, id)
	if err != nil {
		return s, fmt.Errorf("session acts: %w", err)
	}
	if s.Acts, err = pgx.CollectRows(rows, pgx.RowToStructByPos[minutes.Act]); err != nil {
		return s, err
	}

	rows, err = db.Pool.Query(ctx, `SELECT i.id, i.position, i.title,
			coalesce(pu.full_name || coalesce(', ' || un.name, ''), un.name, ''), i.started_at, i.ended_at
		FROM agenda_items i LEFT JOIN users pu ON pu.id = i.presenter_user_id LEFT JOIN units un ON un.id = i.presenter_unit_id
		WHERE i.meeting_id = $1 ORDER BY i.position`, id)
	if err != nil {
		return s, fmt.Errorf("session items: %w", err)
	}
	if s.Items, err = pgx.CollectRows(rows, pgx.RowToStructByPos[minutes.SessionItem]); err != nil {
		return s, err
	}

	rows, err = db.Pool.Query(ctx, `SELECT r.item_id, coalesce(u.full_name, ''), coalesce(h.name, ''), r.granted_at, r.ended_at
		FROM speaking_requests r LEFT JOIN users u ON u.id = r.user_id LEFT JOIN halls h ON h.id = r.hall_id
		WHERE r.meeting_id = $1 AND r.granted_at IS NOT NULL ORDER BY r.granted_at, r.id`, id)
	if err != nil {
		return s, fmt.Errorf("session floors: %w", err)
	}
	if s.Floors, err = pgx.CollectRows(rows, pgx.RowToStructByPos[minutes.Floor]); err != nil {
		return s, err
	}

	rows, err = db.Pool.Query(ctx, `SELECT v.item_id, v.question, v.secret, v.options,
			coalesce((SELECT jsonb_object_agg(c.choice, c.n) FROM vote_counts c WHERE c.vote_id = v.id), '{}'),
			(SELECT count(*) FROM vote_voters vv WHERE vv.vote_id = v.id),
			(SELECT count(*) FROM meeting_participants p WHERE p.meeting_id = v.meeting_id AND p.role = ANY(v.voter_roles)),
			v.opened_at, v.base, v.rule, v.base_count, v.passed
		FROM votes v WHERE v.meeting_id = $1 AND v.status = 'closed' ORDER BY v.opened_at, v.id`, id)
	if err != nil {
		return s, fmt.Errorf("session votes: %w", err)
	}
	s.Votes, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (minutes.SessionVote, error) {
		var v minutes.SessionVote
		var counts []byte
		var ballots, eligible int64
		if err := row.Scan(&v.ItemID, &v.Question, &v.Secret, &v.Options, &counts, &ballots, &eligible, &v.OpenedAt, &v.Base, &v.Rule, &v.BaseCount, &v.Passed); err != nil {
			return v, err
		}
		v.Ballots, v.Eligible = int(ballots), int(eligible)
		return v, json.Unmarshal(counts, &v.Counts)
	})
	return s, err
}
