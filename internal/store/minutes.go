package store

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/docnum"
	"github.com/cau-gov/cau/internal/minutes"
)

const minutesColumns = `m.id, m.meeting_id, m.unit_id, m.body, m.version, m.status, m.approved_by, m.approved_at,
	m.content_hash, coalesce(m.doc_symbol, ''),
	coalesce((SELECT symbol FROM doc_numbers d WHERE d.object = 'minutes-notice:' || m.meeting_id), ''),
	m.updated_at, m.updated_by`

func scanMinutes(row pgx.CollectableRow) (minutes.Minutes, error) {
	var m minutes.Minutes
	var body []byte
	var hash []byte
	err := row.Scan(&m.ID, &m.MeetingID, &m.UnitID, &body, &m.Version, &m.Status, &m.ApprovedBy, &m.ApprovedAt,
		&hash, &m.Symbol, &m.NoticeSymbol, &m.UpdatedAt, &m.UpdatedBy)
	if err != nil {
		return m, err
	}
	if len(hash) > 0 {
		m.ContentHash = hex.EncodeToString(hash)
	}
	if err := json.Unmarshal(body, &m.Body); err != nil {
		return m, fmt.Errorf("decode minutes body: %w", err)
	}
	return m, nil
}

// Minutes implements minutes.Store.
func (db *DB) Minutes(ctx context.Context, id minutes.MeetingID) (minutes.Minutes, error) {
	return getMinutes(ctx, db.Pool, id, "")
}

func getMinutes(ctx context.Context, q Querier, id minutes.MeetingID, lock string) (minutes.Minutes, error) {
	rows, err := q.Query(ctx, `SELECT `+minutesColumns+` FROM minutes m WHERE m.meeting_id = $1`+lock, id)
	if err != nil {
		return minutes.Minutes{}, fmt.Errorf("get minutes: %w", err)
	}
	m, err := pgx.CollectExactlyOneRow(rows, scanMinutes)
	if err != nil {
		return m, fmt.Errorf("minutes of meeting %d: %w", id, notFoundAs(err, minutes.ErrNotFound))
	}
	return m, nil
}

// MeetingRole implements minutes.Store.
func (db *DB) MeetingRole(ctx context.Context, id minutes.MeetingID, user auth.UserID) (string, error) {
	var exists bool
	var role *string
	err := db.Pool.QueryRow(ctx, `SELECT true, (SELECT role FROM meeting_participants WHERE meeting_id = $1 AND user_id = $2)
		FROM meetings WHERE id = $1`, id, user).Scan(&exists, &role)
	if err != nil {
		return "", fmt.Errorf("meeting %d: %w", id, notFoundAs(err, minutes.ErrNotFound))
	}
	if role == nil {
		return "", nil
	}
	return *role, nil
}

// CreateMinutes implements minutes.Store.
func (db *DB) CreateMinutes(ctx context.Context, m minutes.Minutes, e audit.Entry, now time.Time) (minutes.Minutes, error) {
	body, err := json.Marshal(m.Body)
	if err != nil {
		return m, err
	}
	err = db.InTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO minutes (meeting_id, unit_id, body, version, status, created_at, updated_at, updated_by)
			VALUES ($1, $2, $3, 1, 'draft', $4, $4, $5) ON CONFLICT (meeting_id) DO NOTHING RETURNING id`,
			m.MeetingID, m.UnitID, body, now, e.ActorID).Scan(&m.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("minutes of meeting %d: %w", m.MeetingID, minutes.ErrExists)
		} else if err != nil {
			return fmt.Errorf("insert minutes: %w", constraintError(err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO minutes_revisions (minutes_id, version, body, saved_by, saved_at) VALUES ($1, 1, $2, $3, $4)`,
			m.ID, body, e.ActorID, now); err != nil {
			return err
		}
		return AppendAudit(ctx, tx, e, now)
	})
	if err != nil {
		return m, err
	}
	return db.Minutes(ctx, m.MeetingID)
}

// lockDraft locks the minutes row and checks it is a draft at version base.
func lockDraft(ctx context.Context, tx pgx.Tx, id minutes.MeetingID, base int) (minutes.Minutes, error) {
	m, err := getMinutes(ctx, tx, id, " FOR UPDATE")
	if err != nil {
		return m, err
	}
	if m.Status != minutes.StatusDraft {
		return m, fmt.Errorf("minutes of meeting %d: %w", id, minutes.ErrLocked)
	}
	if m.Version != base {
		return m, fmt.Errorf("minutes of meeting %d are at version %d, not %d: %w", id, m.Version, base, minutes.ErrVersionConflict)
	}
	return m, nil
}

// SaveMinutes implements minutes.Store.
func (db *DB) SaveMinutes(ctx context.Context, id minutes.MeetingID, base int, b minutes.Body, by auth.UserID, e audit.Entry, now time.Time) (minutes.Minutes, error) {
	body, err := json.Marshal(b)
	if err != nil {
		return minutes.Minutes{}, err
	}
	err = db.InTx(ctx, func(tx pgx.Tx) error {
		m, err := lockDraft(ctx, tx, id, base)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE minutes SET body = $2, version = version + 1, updated_at = $3, updated_by = $4 WHERE id = $1`,
			m.ID, body, now, by); err != nil {
			return constraintError(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO minutes_revisions (minutes_id, version, body, saved_by, saved_at) VALUES ($1, $2, $3, $4, $5)`,
			m.ID, base+1, body, by, now); err != nil {
			return err
		}
		return AppendAudit(ctx, tx, e, now)
	})
	if err != nil {
		return minutes.Minutes{}, err
	}
	return db.Minutes(ctx, id)
}

// ApproveMinutes implements minutes.Store: the BB number (and the TB
// number of the conclusion notice, when there are conclusions) come from
// the unit's counters locked in this transaction, so a failed approval
// leaves no gap.
func (db *DB) ApproveMinutes(ctx context.Context, id minutes.MeetingID, base int, by auth.UserID, a minutes.Approval, e audit.Entry, now time.Time) (minutes.Minutes, error) {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		m, err := lockDraft(ctx, tx, id, base)
		if err != nil {
			return err
		}
		n, err := AllocateNumber(ctx, tx, m.UnitID, a.Year, docnum.Minutes, a.Issuer, fmt.Sprintf("minutes:%d", id), now)
		if err != nil {
			return err
		}
		if len(m.Body.Conclusions) > 0 {
			if _, err := AllocateNumber(ctx, tx, m.UnitID, a.Year, docnum.Notice, a.Issuer, fmt.Sprintf("minutes-notice:%d", id), now); err != nil {
				return err
			}
		}
		hash, err := minutes.Hash(m.Body, n.Symbol)
		if err != nil {
			return err
		}
		raw, _ := hex.DecodeString(hash)
		if _, err := tx.Exec(ctx, `UPDATE minutes SET status = 'approved', approved_by = $2, approved_at = $3, content_hash = $4,
			doc_number = $5, doc_symbol = $6, updated_at = $3, updated_by = $2 WHERE id = $1`,
			m.ID, by, now, raw, n.Seq, n.Symbol); err != nil {
			return constraintError(err)
		}
		e.Detail = map[string]any{"version": base, "symbol": n.Symbol, "content_hash": hash}
		if err := AppendAudit(ctx, tx, e, now); err != nil {
			return err
		}
		return notifyApproved(ctx, tx, id, n.Symbol, m.Body.Title, now)
	})
	if err != nil {
		return minutes.Minutes{}, err
	}
	return db.Minutes(ctx, id)
}

// MinutesRevisions lists the saved versions' numbers, authors and times.
func (db *DB) MinutesRevisions(ctx context.Context, id minutes.MeetingID) ([]int, error) {
	rows, err := db.Pool.Query(ctx, `SELECT r.version FROM minutes_revisions r JOIN minutes m ON m.id = r.minutes_id
		WHERE m.meeting_id = $1 ORDER BY r.version`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int])
}

// notifyApproved tells every participant, in the approval's transaction,
// that the minutes are approved: an in-app notice and an e-mail outbox row
// each, keyed so a retried approval never repeats them. The PDF itself is
// rendered on request (deterministic, signed when configured).
func notifyApproved(ctx context.Context, tx pgx.Tx, id minutes.MeetingID, symbol, title string, now time.Time) error {
	subject := "Biên bản số " + symbol + " đã được phê duyệt"
	key := fmt.Sprintf("minutes.approved:%d:", id)
	body := "Biên bản " + title + " (số " + symbol + ") đã được chủ trì phê duyệt. Xem tại /meetings/" + fmt.Sprint(id) + "/minutes."
	if _, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, meeting_id, kind, title, body, dedup_key, created_at)
		SELECT p.user_id, $1, 'minutes.approved', $2, $3, $5 || p.user_id, $4
		FROM meeting_participants p WHERE p.meeting_id = $1
		ON CONFLICT (dedup_key) DO NOTHING`, id, subject, body, now, key); err != nil {
		return fmt.Errorf("notify approval: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO email_outbox (dedup_key, user_id, to_addr, subject, body, created_at)
		SELECT $5 || u.id, u.id, u.email, $2, $3, $4
		FROM meeting_participants p JOIN users u ON u.id = p.user_id
		WHERE p.meeting_id = $1 AND u.email <> '' AND u.active
		ON CONFLICT (dedup_key) DO NOTHING`, id, subject, body, now, key); err != nil {
		return fmt.Errorf("e-mail approval: %w", err)
	}
	return nil
}
