package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/meeting"
	"github.com/cau-gov/cau/internal/notify"
)

// recipientsCTE selects a meeting's invitees: its people and the operators
// of its halls, active accounts only; $2 (if not NULL) narrows them.
const recipientsCTE = `WITH r AS (
		SELECT user_id FROM meeting_participants WHERE meeting_id = $1
		UNION
		SELECT ur.user_id FROM user_roles ur JOIN meeting_halls mh ON mh.hall_id = ur.hall_id AND mh.meeting_id = $1
		WHERE ur.role = 'hall_operator'
	), rcpt AS (
		SELECT u.id, u.email FROM users u JOIN r ON r.user_id = u.id
		WHERE u.active AND ($2::bigint[] IS NULL OR u.id = ANY($2))
	) `

// insertNotices writes the in-app notice and the e-mail of n for each of
// the meeting's invitees (only), in tx; the dedup key makes each exist once
// per person. It returns the IDs of the new outbox rows, to enqueue after
// commit.
func insertNotices(ctx context.Context, tx pgx.Tx, id meeting.ID, n *notify.Template, only []int64, now time.Time) ([]int64, error) {
	var onlyArg any
	if only != nil {
		onlyArg = only
	}
	_, err := tx.Exec(ctx, recipientsCTE+`INSERT INTO notifications (user_id, meeting_id, kind, title, body, dedup_key, created_at, link)
		SELECT rcpt.id, $3, $4, $5, $6, $7 || ':' || rcpt.id, $8, $9 FROM rcpt ON CONFLICT (dedup_key) DO NOTHING`,
		id, onlyArg, n.MeetingID, n.Kind, n.Title, n.Body, n.DedupKey, now, n.Path)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	rows, err := tx.Query(ctx, recipientsCTE+`INSERT INTO email_outbox (dedup_key, user_id, to_addr, subject, body, created_at)
		SELECT $3 || ':' || rcpt.id, rcpt.id, rcpt.email, $4, $5, $6 FROM rcpt WHERE rcpt.email <> ''
		ON CONFLICT (dedup_key) DO NOTHING RETURNING id`,
		id, onlyArg, n.DedupKey, n.Title, n.Body, now)
	if err != nil {
		return nil, fmt.Errorf("e-mail outbox: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("e-mail outbox: %w", err)
	}
	return ids, nil
}

// Notifications returns a person's newest in-app notices.
func (db *DB) Notifications(ctx context.Context, user auth.UserID, unreadOnly bool, limit int) ([]notify.Notification, error) {
	rows, err := db.Pool.Query(ctx, `SELECT id, kind, meeting_id, title, body, created_at, read_at, link FROM notifications
		WHERE user_id = $1 AND (NOT $2 OR read_at IS NULL) ORDER BY id DESC LIMIT $3`, user, unreadOnly, limit)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[notify.Notification])
}

// MarkNotificationRead marks one of user's notices read (ErrNotFound if it is not theirs).
func (db *DB) MarkNotificationRead(ctx context.Context, user auth.UserID, id int64, at time.Time) error {
	tag, err := db.Pool.Exec(ctx, `UPDATE notifications SET read_at = coalesce(read_at, $3) WHERE id = $1 AND user_id = $2`, id, user, at)
	if err != nil {
		return fmt.Errorf("mark notification read: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("notification %d: %w", id, ErrNotFound)
	}
	return nil
}

// PendingEmails lists outbox rows not yet sent, oldest first.
func (db *DB) PendingEmails(ctx context.Context, limit int) ([]int64, error) {
	rows, err := db.Pool.Query(ctx, `SELECT id FROM email_outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("pending e-mails: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// SendEmail locks outbox row id, calls send unless it was sent already, and
// marks it sent in the same transaction: two jobs for one row send once. A
// send failure is counted on the row and returned (the job retries).
func (db *DB) SendEmail(ctx context.Context, id int64, now func() time.Time, send func(notify.Email) error) (sent bool, err error) {
	var sendErr error
	err = db.InTx(ctx, func(tx pgx.Tx) error {
		var (
			m      notify.Email
			sentAt *time.Time
		)
		err := tx.QueryRow(ctx, `SELECT id, dedup_key, to_addr, subject, body, sent_at FROM email_outbox WHERE id = $1 FOR UPDATE`, id).
			Scan(&m.ID, &m.DedupKey, &m.To, &m.Subject, &m.Body, &sentAt)
		if err != nil {
			return notFound(err, fmt.Sprintf("e-mail %d", id))
		}
		if sentAt != nil {
			return nil
		}
		if sendErr = send(m); sendErr != nil {
			_, err := tx.Exec(ctx, `UPDATE email_outbox SET attempts = attempts + 1, last_error = left($2, 1000) WHERE id = $1`, id, sendErr.Error())
			return err
		}
		sent = true
		_, err = tx.Exec(ctx, `UPDATE email_outbox SET sent_at = $2, attempts = attempts + 1, last_error = '' WHERE id = $1`, id, now())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("send e-mail %d: %w", id, err)
	}
	if sendErr != nil {
		return false, fmt.Errorf("send e-mail %d: %w", id, sendErr)
	}
	return sent, nil
}

// UnreadNotifications counts a person's unread in-app notices.
func (db *DB) UnreadNotifications(ctx context.Context, user auth.UserID) (int, error) {
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, user).Scan(&n); err != nil {
		return 0, fmt.Errorf("count unread notifications: %w", err)
	}
	return n, nil
}

// MarkAllNotificationsRead marks every unread notice of user read and says how many.
func (db *DB) MarkAllNotificationsRead(ctx context.Context, user auth.UserID, at time.Time) (int, error) {
	tag, err := db.Pool.Exec(ctx, `UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL`, user, at)
	if err != nil {
		return 0, fmt.Errorf("mark notifications read: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// ListenNotifications LISTENs to the notifications trigger's channel
// (migration 0010) on a connection of its own and calls ring with each
// recipient's id until ctx ends. A lost connection is retried every second;
// once LISTENing again it calls resync with the cause, because rings sent
// meanwhile were lost (the caller logs and wakes every stream).
func (db *DB) ListenNotifications(ctx context.Context, ring func(user int64), resync func(cause error)) {
	var lost error
	for ctx.Err() == nil {
		lost = db.listenOnce(ctx, ring, lost, resync)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (db *DB) listenOnce(ctx context.Context, ring func(user int64), lost error, resync func(error)) error {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection LISTENs: it must not go back to the pool for queries.
	pc := conn.Hijack()
	defer pc.Close(context.Background())
	if _, err := pc.Exec(ctx, `LISTEN cau_notifications`); err != nil {
		return err
	}
	if lost != nil {
		resync(lost)
	}
	for {
		n, err := pc.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if id, err := strconv.ParseInt(n.Payload, 10, 64); err == nil {
			ring(id)
		}
	}
}
