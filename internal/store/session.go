package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/meeting"
)

// sess appends events to a meeting's log inside a transaction that holds
// the meeting's row lock, so sequence numbers are gap-free and ordered.
type sess struct {
	tx     pgx.Tx
	id     meeting.ID
	at     time.Time
	actor  *auth.UserID
	events []meeting.Event
}

func actorOf(id int64) *auth.UserID { u := auth.UserID(id); return &u }

func isRef(err error) bool { return errors.Is(err, ErrReferenced) }

func (s *sess) emit(ctx context.Context, typ string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	e := meeting.Event{MeetingID: s.id, At: s.at, Type: typ, ActorID: s.actor, Data: b}
	if err := s.tx.QueryRow(ctx, `UPDATE meetings SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq`, s.id).Scan(&e.Seq); err != nil {
		return fmt.Errorf("next event number: %w", err)
	}
	if _, err := s.tx.Exec(ctx, `INSERT INTO session_events (meeting_id, seq, at, type, actor_id, data) VALUES ($1, $2, $3, $4, $5, $6)`,
		s.id, e.Seq, e.At, e.Type, e.ActorID, b); err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	s.events = append(s.events, e)
	return nil
}

// Session implements meeting.Store: one command under the meeting's lock.
func (db *DB) Session(ctx context.Context, id meeting.ID, c meeting.Command) ([]meeting.Event, error) {
	var evs []meeting.Event
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		m, err := lockMeeting(ctx, tx, id, c.Allowed)
		if err != nil {
			return err
		}
		s := &sess{tx: tx, id: id, at: c.At, actor: c.Actor}
		if err := runCommand(ctx, s, m, c); err != nil {
			return err
		}
		if c.Audit != nil {
			if err := AppendAudit(ctx, tx, *c.Audit, c.At); err != nil {
				return err
			}
		}
		evs = s.events
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", c.Kind, err)
	}
	return evs, nil
}

func runCommand(ctx context.Context, s *sess, m meeting.Meeting, c meeting.Command) error {
	switch c.Kind {
	case meeting.CmdSetItem:
		return setItem(ctx, s, m, c.Item)
	case meeting.CmdRequestFloor:
		return requestFloor(ctx, s, m, c)
	case meeting.CmdWithdraw:
		return withdraw(ctx, s, c)
	case meeting.CmdGrant:
		return grant(ctx, s, c.Request)
	case meeting.CmdEndFloor:
		return endFloor(ctx, s, c.Request)
	case meeting.CmdOpenVote:
		return openVote(ctx, s, m, c)
	case meeting.CmdCastBallot:
		return castBallot(ctx, s, c)
	case meeting.CmdCloseVote:
		return closeVote(ctx, s, c.Vote)
	case meeting.CmdModerate:
		return moderate(ctx, s, c)
	case meeting.CmdRoom:
		return setRoom(ctx, s, c)
	case meeting.CmdHallPresence:
		return hallPresence(ctx, s, *c.Hall, c.Connected)
	case meeting.CmdAttendance:
		return attendance(ctx, s, c)
	}
	return fmt.Errorf("unknown session command %q", c.Kind)
}

func endCurrentItem(ctx context.Context, s *sess, cur *meeting.ItemID) error {
	if cur == nil {
		return nil
	}
	if _, err := s.tx.Exec(ctx, `UPDATE agenda_items SET ended_at = $2 WHERE id = $1`, *cur, s.at); err != nil {
		return err
	}
	return s.emit(ctx, meeting.EventItemEnded, map[string]any{"item_id": *cur, "ended_at": s.at})
}

func setItem(ctx context.Context, s *sess, m meeting.Meeting, item *meeting.ItemID) error {
	if item != nil && m.CurrentItemID != nil && *item == *m.CurrentItemID {
		return fmt.Errorf("%w: the item is already on screen", meeting.ErrInvalidState)
	}
	var title string
	var pos int
	if item != nil {
		err := s.tx.QueryRow(ctx, `SELECT title, position FROM agenda_items WHERE id = $1 AND meeting_id = $2`, *item, s.id).Scan(&title, &pos)
		if err != nil {
			return meetingNotFound(err)
		}
	}
	if err := endCurrentItem(ctx, s, m.CurrentItemID); err != nil {
		return err
	}
	if _, err := s.tx.Exec(ctx, `UPDATE meetings SET current_item_id = $2 WHERE id = $1`, s.id, item); err != nil {
		return err
	}
	if item == nil {
		return nil
	}
	// started_at keeps the first start; ended_at is cleared while on screen again.
	if _, err := s.tx.Exec(ctx, `UPDATE agenda_items SET started_at = coalesce(started_at, $2), ended_at = NULL WHERE id = $1`, *item, s.at); err != nil {
		return err
	}
	return s.emit(ctx, meeting.EventItemStarted, map[string]any{"item_id": *item, "position": pos, "title": title, "started_at": s.at})
}

func requestFloor(ctx context.Context, s *sess, m meeting.Meeting, c meeting.Command) error {
	var id int64
	err := s.tx.QueryRow(ctx, `INSERT INTO speaking_requests (meeting_id, user_id, hall_id, item_id, requested_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		s.id, c.User, c.Hall, m.CurrentItemID, s.at).Scan(&id)
	if err != nil {
		if errors.Is(constraintError(err), ErrConflict) {
			return fmt.Errorf("%w: a request is already waiting", meeting.ErrInvalidState)
		}
		return err
	}
	return s.emit(ctx, meeting.EventSpeakRequested, map[string]any{"request_id": id, "user_id": c.User, "hall_id": c.Hall,
		"item_id": m.CurrentItemID, "requested_at": s.at})
}

func loadRequest(ctx context.Context, s *sess, id meeting.RequestID) (meeting.Request, error) {
	var r meeting.Request
	err := s.tx.QueryRow(ctx, `SELECT id, user_id, hall_id, item_id, status, requested_at, granted_at, ended_at FROM speaking_requests
		WHERE id = $1 AND meeting_id = $2`, id, s.id).Scan(&r.ID, &r.UserID, &r.HallID, &r.ItemID, &r.Status, &r.RequestedAt, &r.GrantedAt, &r.EndedAt)
	return r, meetingNotFound(err)
}

func withdraw(ctx context.Context, s *sess, c meeting.Command) error {
	r, err := loadRequest(ctx, s, c.Request)
	if err != nil {
		return err
	}
	if c.OnlyOwn {
		own := (r.UserID != nil && c.User != nil && *r.UserID == *c.User) || (r.UserID == nil && r.HallID != nil && slices.Contains(c.Halls, *r.HallID))
		if !own {
			return meeting.ErrForbidden
		}
	}
	if r.Status != "waiting" {
		return fmt.Errorf("%w: the request is %s", meeting.ErrInvalidState, r.Status)
	}
	if _, err := s.tx.Exec(ctx, `UPDATE speaking_requests SET status = 'withdrawn', ended_at = $2 WHERE id = $1`, r.ID, s.at); err != nil {
		return err
	}
	return s.emit(ctx, meeting.EventSpeakWithdrawn, map[string]any{"request_id": r.ID, "withdrawn_at": s.at})
}

// endSpeaker ends the current speaker's turn, if any.
func endSpeaker(ctx context.Context, s *sess) error {
	var id int64
	err := s.tx.QueryRow(ctx, `UPDATE speaking_requests SET status = 'done', ended_at = $2 WHERE meeting_id = $1 AND status = 'speaking' RETURNING id`, s.id, s.at).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.emit(ctx, meeting.EventSpeakEnded, map[string]any{"request_id": id, "ended_at": s.at})
}

func grant(ctx context.Context, s *sess, id meeting.RequestID) error {
	r, err := loadRequest(ctx, s, id)
	if err != nil {
		return err
	}
	if r.Status != "waiting" {
		return fmt.Errorf("%w: the request is %s", meeting.ErrInvalidState, r.Status)
	}
	if err := endSpeaker(ctx, s); err != nil {
		return err
	}
	if _, err := s.tx.Exec(ctx, `UPDATE speaking_requests SET status = 'speaking', granted_at = $2 WHERE id = $1`, r.ID, s.at); err != nil {
		return err
	}
	// The picture to pin: the request's hall, else the hall the person sits
	// in (checked in), else their own browser if they joined from it
	// (online), else the hall they were invited from, else their own browser.
	hall := r.HallID
	if hall == nil && r.UserID != nil {
		err := s.tx.QueryRow(ctx, `SELECT CASE a.status WHEN 'in_hall' THEN a.hall_id WHEN 'online' THEN NULL
				ELSE (SELECT hall_id FROM meeting_participants WHERE meeting_id = $1 AND user_id = $2) END
			FROM (SELECT 1) one LEFT JOIN session_attendance a ON a.meeting_id = $1 AND a.user_id = $2`, s.id, *r.UserID).Scan(&hall)
		if err != nil {
			return err
		}
	}
	return s.emit(ctx, meeting.EventSpeakGranted, map[string]any{"request_id": r.ID, "user_id": r.UserID, "hall_id": hall, "granted_at": s.at})
}

func endFloor(ctx context.Context, s *sess, id meeting.RequestID) error {
	r, err := loadRequest(ctx, s, id)
	if err != nil {
		return err
	}
	if r.Status != "speaking" {
		return fmt.Errorf("%w: the request is %s, not speaking", meeting.ErrInvalidState, r.Status)
	}
	return endSpeaker(ctx, s)
}

func openVote(ctx context.Context, s *sess, m meeting.Meeting, c meeting.Command) error {
	var id int64
	err := s.tx.QueryRow(ctx, `INSERT INTO votes (meeting_id, item_id, question, options, secret, voter_roles, opened_at, opened_by, base, rule)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`, s.id, m.CurrentItemID, c.Question, c.Options, c.Secret, c.VoterRoles, s.at, c.Actor,
		c.Base, c.Rule).Scan(&id)
	if err != nil {
		if errors.Is(constraintError(err), ErrConflict) {
			return fmt.Errorf("%w: another vote is open", meeting.ErrInvalidState)
		}
		return err
	}
	if _, err := s.tx.Exec(ctx, `INSERT INTO vote_counts (vote_id, choice) SELECT $1, unnest($2::text[])`, id, c.Options); err != nil {
		return err
	}
	eligible, err := eligibleVoters(ctx, s, c.VoterRoles)
	if err != nil {
		return err
	}
	return s.emit(ctx, meeting.EventVoteOpened, map[string]any{"vote_id": id, "item_id": m.CurrentItemID, "question": c.Question,
		"options": c.Options, "secret": c.Secret, "voter_roles": c.VoterRoles, "eligible": eligible, "opened_at": s.at,
		"base": c.Base, "rule": c.Rule})
}

func eligibleVoters(ctx context.Context, s *sess, roles []meeting.Role) (int, error) {
	var n int
	err := s.tx.QueryRow(ctx, `SELECT count(*) FROM meeting_participants WHERE meeting_id = $1 AND role = ANY($2)`, s.id, roles).Scan(&n)
	return n, err
}

type voteRow struct {
	secret  bool
	status  string
	options []string
	roles   []meeting.Role
	base    meeting.Base
	rule    meeting.Rule
}

func loadVote(ctx context.Context, s *sess, id meeting.VoteID) (voteRow, error) {
	var v voteRow
	err := s.tx.QueryRow(ctx, `SELECT secret, status, options, voter_roles, base, rule FROM votes WHERE id = $1 AND meeting_id = $2 FOR UPDATE`, id, s.id).
		Scan(&v.secret, &v.status, &v.options, &v.roles, &v.base, &v.rule)
	return v, meetingNotFound(err)
}

// presentVoters counts the voters of a vote present now: checked in (in a
// hall or online) or having cast a ballot of it.
func presentVoters(ctx context.Context, s *sess, id meeting.VoteID, roles []meeting.Role) (int, error) {
	var n int
	err := s.tx.QueryRow(ctx, `SELECT count(*) FROM meeting_participants p WHERE p.meeting_id = $1 AND p.role = ANY($2)
		AND (EXISTS (SELECT 1 FROM session_attendance a WHERE a.meeting_id = p.meeting_id AND a.user_id = p.user_id AND a.status IN ('in_hall', 'online'))
			OR EXISTS (SELECT 1 FROM vote_voters b WHERE b.vote_id = $3 AND b.voter_id = p.user_id))`, s.id, roles, id).Scan(&n)
	return n, err
}

func castBallot(ctx context.Context, s *sess, c meeting.Command) error {
	v, err := loadVote(ctx, s, c.Vote)
	if err != nil {
		return err
	}
	if v.status != "open" {
		return fmt.Errorf("%w: the vote is closed", meeting.ErrInvalidState)
	}
	if !slices.ContainsFunc(c.VoterRoles, func(r meeting.Role) bool { return slices.Contains(v.roles, r) }) {
		return meeting.ErrForbidden
	}
	if !slices.Contains(v.options, c.Choice) {
		return fault.Field("choice", fault.UnknownValue)
	}
	// The unique key of vote_voters is what makes it one ballot per voter.
	if _, err := s.tx.Exec(ctx, `INSERT INTO vote_voters (vote_id, voter_id) VALUES ($1, $2)`, c.Vote, *c.User); err != nil {
		if errors.Is(constraintError(err), ErrConflict) {
			return meeting.ErrAlreadyVoted
		}
		return err
	}
	if !v.secret {
		if _, err := s.tx.Exec(ctx, `INSERT INTO vote_ballots (vote_id, voter_id, choice, cast_at) VALUES ($1, $2, $3, $4)`, c.Vote, *c.User, c.Choice, s.at); err != nil {
			return err
		}
	}
	if _, err := s.tx.Exec(ctx, `UPDATE vote_counts SET n = n + 1 WHERE vote_id = $1 AND choice = $2`, c.Vote, c.Choice); err != nil {
		return err
	}
	var ballots int
	if err := s.tx.QueryRow(ctx, `SELECT count(*) FROM vote_voters WHERE vote_id = $1`, c.Vote).Scan(&ballots); err != nil {
		return err
	}
	if v.secret {
		// Neither the voter nor the time of a secret ballot enters the log:
		// only that one more ballot is in.
		s.actor = nil
		return s.emit(ctx, meeting.EventVoteBallot, map[string]any{"vote_id": c.Vote, "ballots": ballots})
	}
	if err := s.emit(ctx, meeting.EventVoteBallot, map[string]any{"vote_id": c.Vote, "ballots": ballots}); err != nil {
		return err
	}
	counts, err := voteCounts(ctx, s.tx, c.Vote)
	if err != nil {
		return err
	}
	return s.emit(ctx, meeting.EventVoteTally, map[string]any{"vote_id": c.Vote, "ballots": ballots, "counts": counts})
}

func voteCounts(ctx context.Context, q Querier, id meeting.VoteID) (map[string]int, error) {
	rows, err := q.Query(ctx, `SELECT choice, n FROM vote_counts WHERE vote_id = $1`, id)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	var (
		choice string
		n      int
	)
	_, err = pgx.ForEachRow(rows, []any{&choice, &n}, func() error { counts[choice] = n; return nil })
	return counts, err
}

func closeVote(ctx context.Context, s *sess, id meeting.VoteID) error {
	v, err := loadVote(ctx, s, id)
	if err != nil {
		return err
	}
	if v.status != "open" {
		return fmt.Errorf("%w: the vote is already closed", meeting.ErrInvalidState)
	}
	if _, err := s.tx.Exec(ctx, `UPDATE votes SET status = 'closed', closed_at = $2 WHERE id = $1`, id, s.at); err != nil {
		return err
	}
	// Rewriting every count row in this transaction leaves no count row
	// whose system columns point at one voter's transaction.
	if _, err := s.tx.Exec(ctx, `UPDATE vote_counts SET n = n WHERE vote_id = $1`, id); err != nil {
		return err
	}
	counts, err := voteCounts(ctx, s.tx, id)
	if err != nil {
		return err
	}
	var ballots int
	if err := s.tx.QueryRow(ctx, `SELECT count(*) FROM vote_voters WHERE vote_id = $1`, id).Scan(&ballots); err != nil {
		return err
	}
	eligible, err := eligibleVoters(ctx, s, v.roles)
	if err != nil {
		return err
	}
	present, err := presentVoters(ctx, s, id, v.roles)
	if err != nil {
		return err
	}
	passed, base := meeting.Decide(v.rule, v.base, meeting.Tally{For: counts[v.options[0]], Ballots: ballots, Present: present, Eligible: eligible})
	if _, err := s.tx.Exec(ctx, `UPDATE votes SET base_count = $2, passed = $3 WHERE id = $1`, id, base, passed); err != nil {
		return err
	}
	return s.emit(ctx, meeting.EventVoteClosed, map[string]any{"vote_id": id, "closed_at": s.at, "counts": counts,
		"ballots": ballots, "eligible": eligible, "secret": v.secret, "base": v.base, "rule": v.rule, "base_count": base, "passed": passed})
}

func requireInvitedHall(ctx context.Context, s *sess, hall auth.HallID) error {
	var ok bool
	if err := s.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM meeting_halls WHERE meeting_id = $1 AND hall_id = $2)`, s.id, hall).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return fault.Field("hall_id", fault.NotInvited)
	}
	return nil
}

func hallPresence(ctx context.Context, s *sess, hall auth.HallID, connected bool) error {
	if err := requireInvitedHall(ctx, s, hall); err != nil {
		return err
	}
	tag, err := s.tx.Exec(ctx, `INSERT INTO session_halls (meeting_id, hall_id, connected, since) VALUES ($1, $2, $3, $4)
		ON CONFLICT (meeting_id, hall_id) DO UPDATE SET connected = EXCLUDED.connected, since = EXCLUDED.since
		WHERE session_halls.connected <> EXCLUDED.connected`, s.id, hall, connected, s.at)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return nil // no change: a reconnect seen twice
	}
	typ := meeting.EventHallDisconnected
	if connected {
		typ = meeting.EventHallConnected
	}
	return s.emit(ctx, typ, map[string]any{"hall_id": hall, "at": s.at})
}

func attendance(ctx context.Context, s *sess, c meeting.Command) error {
	var role string
	err := s.tx.QueryRow(ctx, `SELECT role FROM meeting_participants WHERE meeting_id = $1 AND user_id = $2`, s.id, *c.User).Scan(&role)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return fault.Field("user_id", fault.NotInvited)
		}
		return err
	}
	if c.Hall != nil {
		if err := requireInvitedHall(ctx, s, *c.Hall); err != nil {
			return err
		}
	}
	// joined_at keeps the first arrival; left_at is the last departure of
	// one who had arrived, cleared on coming back.
	q := `INSERT INTO session_attendance (meeting_id, user_id, status, hall_id, since, marked_by, joined_at)
		VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $3 <> 'absent' THEN $5::timestamptz END)
		ON CONFLICT (meeting_id, user_id) DO UPDATE SET status = EXCLUDED.status, hall_id = EXCLUDED.hall_id, since = EXCLUDED.since, marked_by = EXCLUDED.marked_by,
			joined_at = CASE WHEN EXCLUDED.status <> 'absent' THEN coalesce(session_attendance.joined_at, EXCLUDED.since) ELSE session_attendance.joined_at END,
			left_at = CASE WHEN EXCLUDED.status = 'absent' AND session_attendance.joined_at IS NOT NULL THEN EXCLUDED.since END
		WHERE (session_attendance.status, session_attendance.hall_id) IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.hall_id)`
	if c.Actor == nil && c.Attendance == meeting.AttendOnline {
		// Joining online does not undo an operator's check-in in a hall.
		q += ` AND session_attendance.status <> 'in_hall'`
	}
	if c.Actor == nil && c.Attendance == meeting.AttendAbsent {
		// Leaving one's own browser makes absent only who was online.
		q += ` AND session_attendance.status = 'online'`
	}
	tag, err := s.tx.Exec(ctx, q, s.id, *c.User, c.Attendance, c.Hall, s.at, c.Actor)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	return s.emit(ctx, meeting.EventAttendance, map[string]any{"user_id": *c.User, "status": c.Attendance, "hall_id": c.Hall, "at": s.at})
}
