package store

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/docnum"
	"github.com/cau-gov/cau/internal/minutes"
	"github.com/cau-gov/cau/internal/wording"
)

const minutesColumns = `m.id, m.meeting_id, m.unit_id, m.body, m.version, m.status, m.approved_by, m.approved_at,
	m.content_hash, coalesce(m.doc_symbol, ''),
	coalesce((SELECT symbol FROM doc_numbers d WHERE d.object = 'minutes-notice:' || m.meeting_id), ''),
	m.updated_at, m.updated_by,
	coalesce((SELECT json_agg(json_build_object('unit_id', n.unit_id, 'name', u.name, 'conclusions', n.conclusions)
		ORDER BY u.id)
		FROM minutes_notice_units n JOIN units u ON u.id = n.unit_id
		WHERE n.minutes_id = m.id), '[]'),
	coalesce((SELECT json_agg(json_build_object('kind', f.kind, 'blob_id', f.blob_id, 'sha256', encode(f.sha256, 'hex'),
		'size', f.size, 'signed', f.signed, 'created_at', f.created_at) ORDER BY f.kind)
		FROM minutes_files f WHERE f.minutes_id = m.id), '[]'),
	(SELECT distributed_at FROM minutes_distributions d WHERE d.minutes_id = m.id)`

func scanMinutes(row pgx.CollectableRow) (minutes.Minutes, error) {
	var m minutes.Minutes
	var body, units, files []byte
	var hash []byte
	err := row.Scan(&m.ID, &m.MeetingID, &m.UnitID, &body, &m.Version, &m.Status, &m.ApprovedBy, &m.ApprovedAt,
		&hash, &m.Symbol, &m.NoticeSymbol, &m.UpdatedAt, &m.UpdatedBy, &units, &files, &m.DistributedAt)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(units, &m.NoticeUnits); err != nil {
		return m, fmt.Errorf("decode notice units: %w", err)
	}
	// File's JSON hides the blob ID from API clients, so decode it here.
	var fs []struct {
		minutes.File
		BlobID string `json:"blob_id"`
	}
	if err := json.Unmarshal(files, &fs); err != nil {
		return m, fmt.Errorf("decode minutes files: %w", err)
	}
	m.Files = make([]minutes.File, len(fs))
	for i, f := range fs {
		m.Files[i] = f.File
		m.Files[i].BlobID, m.Files[i].MinutesID = f.BlobID, m.ID
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
		return m, notFound(err, fmt.Sprintf("minutes of meeting %d", id))
	}
	return m, inTreeOrder(ctx, q, m.NoticeUnits)
}

// inTreeOrder sorts a notice's units in the tree's order ("Nơi nhận" lists
// them so: "Phường 2" before "Phường 10", a district's communes after it).
func inTreeOrder(ctx context.Context, q Querier, us []minutes.NoticeUnit) error {
	if len(us) < 2 {
		return nil
	}
	places, err := unitPlaces(ctx, q)
	if err != nil {
		return err
	}
	slices.SortFunc(us, func(a, b minutes.NoticeUnit) int { return cmp.Compare(places[a.UnitID], places[b.UnitID]) })
	return nil
}

// MeetingRole implements minutes.Store.
func (db *DB) MeetingRole(ctx context.Context, id minutes.MeetingID, user auth.UserID) (string, error) {
	var exists bool
	var role *string
	err := db.Pool.QueryRow(ctx, `SELECT true, (SELECT role FROM meeting_participants WHERE meeting_id = $1 AND user_id = $2)
		FROM meetings WHERE id = $1`, id, user).Scan(&exists, &role)
	if err != nil {
		return "", notFound(err, fmt.Sprintf("meeting %d", id))
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
		units, err := concernedUnits(ctx, tx, id, m.Body)
		if err != nil {
			return err
		}
		ids := make([]int64, len(units))
		for i, u := range units {
			ids[i] = int64(u.UnitID)
			if _, err := tx.Exec(ctx, `INSERT INTO minutes_notice_units (minutes_id, unit_id, conclusions) VALUES ($1, $2, $3)`,
				m.ID, u.UnitID, u.Conclusions); err != nil {
				return fmt.Errorf("record notice unit: %w", err)
			}
		}
		e.Detail = map[string]any{"version": base, "symbol": n.Symbol, "content_hash": hash, "notice_unit_ids": ids}
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
// each, keyed so a retried approval never repeats them. The PDFs are
// rendered, signed and stored by the minutes:distribute job.
func notifyApproved(ctx context.Context, tx pgx.Tx, id minutes.MeetingID, symbol, title string, now time.Time) error {
	subject := wording.T(wording.MinutesApprovedTitle, symbol)
	key := fmt.Sprintf("minutes.approved:%d:", id)
	body := wording.T(wording.MinutesApprovedBody, title, symbol, fmt.Sprintf("/meetings/%d/minutes", id))
	if _, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, meeting_id, kind, title, body, dedup_key, created_at, link)
		SELECT p.user_id, $1, 'minutes.approved', $2, $3, $5 || p.user_id, $4, '/meetings/' || $1::bigint || '/minutes'
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

// concernedUnitsSQL resolves the units the conclusion notice goes to: the
// units named on the conclusions ($2 conclusion numbers paired with $3
// unit IDs) and the lead and coordinating units of the meeting's tasks
// that were not cancelled, per conclusion ($4 conclusions exist). Closed
// units are left out. concernedUnits puts them in the tree's order.
const concernedUnitsSQL = `WITH c(n, unit_id) AS (
		SELECT n, unit_id FROM unnest($2::int[], $3::bigint[]) AS x(n, unit_id)
		UNION
		SELECT t.source_conclusion, t.lead_unit_id FROM tasks t
		WHERE t.source_meeting_id = $1 AND t.cancelled_at IS NULL AND t.source_conclusion BETWEEN 1 AND $4
		UNION
		SELECT t.source_conclusion, tu.unit_id FROM tasks t JOIN task_units tu ON tu.task_id = t.id
		WHERE t.source_meeting_id = $1 AND t.cancelled_at IS NULL AND t.source_conclusion BETWEEN 1 AND $4)
	SELECT u.id, u.name, array_agg(c.n ORDER BY c.n)
	FROM c JOIN units u ON u.id = c.unit_id
	WHERE u.active
	GROUP BY u.id, u.name
	ORDER BY u.id`

func concernedUnits(ctx context.Context, q Querier, id minutes.MeetingID, b minutes.Body) ([]minutes.NoticeUnit, error) {
	if len(b.Conclusions) == 0 {
		return []minutes.NoticeUnit{}, nil
	}
	var ns []int32
	var us []int64
	for _, c := range b.Conclusions {
		for _, u := range c.UnitIDs {
			ns, us = append(ns, int32(c.Number)), append(us, int64(u))
		}
	}
	rows, err := q.Query(ctx, concernedUnitsSQL, id, ns, us, len(b.Conclusions))
	if err != nil {
		return nil, fmt.Errorf("resolve notice units: %w", err)
	}
	units, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (minutes.NoticeUnit, error) {
		var u minutes.NoticeUnit
		err := row.Scan(&u.UnitID, &u.Name, &u.Conclusions)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("resolve notice units: %w", err)
	}
	return units, inTreeOrder(ctx, q, units)
}

// ConcernedUnits implements minutes.Store.
func (db *DB) ConcernedUnits(ctx context.Context, id minutes.MeetingID, b minutes.Body) ([]minutes.NoticeUnit, error) {
	return concernedUnits(ctx, db.Pool, id, b)
}

// MissingUnits implements minutes.Store.
func (db *DB) MissingUnits(ctx context.Context, ids []auth.UnitID) ([]auth.UnitID, error) {
	rows, err := db.Pool.Query(ctx, `SELECT DISTINCT x FROM unnest($1::bigint[]) x
		WHERE NOT EXISTS (SELECT 1 FROM units u WHERE u.id = x AND u.active) ORDER BY x`, ids)
	if err != nil {
		return nil, fmt.Errorf("check units: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[auth.UnitID])
}

// AddMinutesFile implements minutes.Store.
func (db *DB) AddMinutesFile(ctx context.Context, f minutes.File) (bool, error) {
	sum, err := hex.DecodeString(f.SHA256)
	if err != nil {
		return false, fmt.Errorf("minutes file hash: %w", err)
	}
	tag, err := db.Pool.Exec(ctx, `INSERT INTO minutes_files (minutes_id, kind, blob_id, sha256, size, signed, created_at)
		SELECT m.id, $2, $3, $4, $5, $6, $7 FROM minutes m WHERE m.id = $1 AND m.status = 'approved'
		ON CONFLICT (minutes_id, kind) DO NOTHING`, f.MinutesID, f.Kind, f.BlobID, sum, f.Size, f.Signed, f.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("record minutes file: %w", constraintError(err))
	}
	return tag.RowsAffected() == 1, nil
}

// DistributeMinutes implements minutes.Store: the distribution mark, the
// notices of every concerned unit's active users (in-app and outbox, one
// per person: dedup key minutes.notice:<meeting>:<user>) and the audit row
// in one transaction, done once.
func (db *DB) DistributeMinutes(ctx context.Context, id minutes.MeetingID, notices []minutes.UnitNotice, e audit.Entry, now time.Time) (bool, error) {
	done := false
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO minutes_distributions (minutes_id, distributed_at)
			SELECT id, $2 FROM minutes WHERE meeting_id = $1 AND status = 'approved'
			ON CONFLICT (minutes_id) DO NOTHING`, id, now)
		if err != nil {
			return fmt.Errorf("mark minutes distributed: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil // distributed before (or not approved: the job checked)
		}
		key := fmt.Sprintf("minutes.notice:%d:", id)
		recipients := int64(0)
		for _, n := range notices {
			tag, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, meeting_id, kind, title, body, dedup_key, created_at, link)
				SELECT u.id, $1, 'minutes.notice', $3, $4, $5 || u.id, $6, '/meetings/' || $1::bigint || '/minutes' FROM users u WHERE u.unit_id = $2 AND u.active
				ON CONFLICT (dedup_key) DO NOTHING`, id, n.UnitID, n.Title, n.Body, key, now)
			if err != nil {
				return fmt.Errorf("notify unit %d: %w", n.UnitID, err)
			}
			recipients += tag.RowsAffected()
			if _, err := tx.Exec(ctx, `INSERT INTO email_outbox (dedup_key, user_id, to_addr, subject, body, created_at)
				SELECT $4 || u.id, u.id, u.email, $2, $3, $5 FROM users u WHERE u.unit_id = $1 AND u.active AND u.email <> ''
				ON CONFLICT (dedup_key) DO NOTHING`, n.UnitID, n.Title, n.Body, key, now); err != nil {
				return fmt.Errorf("e-mail unit %d: %w", n.UnitID, err)
			}
		}
		if e.Detail == nil {
			e.Detail = map[string]any{}
		}
		e.Detail["recipients"] = recipients
		if err := AppendAudit(ctx, tx, e, now); err != nil {
			return err
		}
		done = true
		return nil
	})
	return done, err
}

// UndistributedMinutes implements minutes.Store.
func (db *DB) UndistributedMinutes(ctx context.Context) ([]minutes.MeetingID, error) {
	rows, err := db.Pool.Query(ctx, `SELECT m.meeting_id FROM minutes m
		WHERE m.status = 'approved' AND NOT EXISTS (SELECT 1 FROM minutes_distributions d WHERE d.minutes_id = m.id)
		ORDER BY m.approved_at`)
	if err != nil {
		return nil, fmt.Errorf("undistributed minutes: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[minutes.MeetingID])
}
