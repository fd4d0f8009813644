package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/document"
	"github.com/cau-gov/cau/internal/meeting"
	"github.com/cau-gov/cau/internal/notify"
)

// CreateDocument inserts a document with its first version and its
// allowed users, the audit entry (its ObjectID set to the new ID) and,
// when the meeting is published or in session, the notices of notice, in
// one transaction.
func (db *DB) CreateDocument(ctx context.Context, d document.Document, e audit.Entry, notice func(document.ID, string) *notify.Template) (document.ID, []int64, error) {
	var (
		id    document.ID
		mails []int64
	)
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		// The meeting's row is read under a share lock: a publication
		// committing meanwhile either sees this document or is seen here,
		// so its invitees hear of it once, from one or the other.
		var status meeting.Status
		var title string
		if err := tx.QueryRow(ctx, `SELECT status, title FROM meetings WHERE id = $1 FOR SHARE`, d.MeetingID).Scan(&status, &title); err != nil {
			return notFound(err, "meeting")
		}
		err := tx.QueryRow(ctx, `
			INSERT INTO documents (meeting_id, item_id, title, confidential, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
			d.MeetingID, d.ItemID, d.Title, d.Confidential, d.CreatedBy, d.CreatedAt).Scan(&id)
		if err != nil {
			return constraintError(err)
		}
		if err := insertVersion(ctx, tx, id, d.Versions[0]); err != nil {
			return err
		}
		for _, u := range d.AllowedUserIDs {
			if _, err := tx.Exec(ctx, `INSERT INTO document_access (document_id, user_id) VALUES ($1, $2)`, id, u); err != nil {
				return constraintError(err)
			}
		}
		if notice != nil && (status == meeting.StatusPublished || status == meeting.StatusInSession) {
			var only []int64 // every invitee
			if d.Confidential {
				only = []int64{} // the named people among them, maybe nobody
				for _, u := range d.AllowedUserIDs {
					only = append(only, int64(u))
				}
			}
			if mails, err = insertNotices(ctx, tx, meeting.ID(d.MeetingID), notice(id, title), only, d.CreatedAt); err != nil {
				return err
			}
		}
		e.ObjectID = fmt.Sprint(id)
		return AppendAudit(ctx, tx, e, d.CreatedAt)
	})
	if err != nil {
		return 0, nil, fmt.Errorf("create document: %w", err)
	}
	return id, mails, nil
}

func insertVersion(ctx context.Context, q Querier, id document.ID, v document.Version) error {
	_, err := q.Exec(ctx, `
		INSERT INTO document_versions (document_id, version, filename, file_type, size_bytes, sha256, blob_id,
			conversion, uploaded_by, uploaded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		id, v.Number, v.Filename, v.FileType, v.Size, v.SHA256, v.BlobID, v.Conversion, v.UploadedBy, v.UploadedAt)
	return constraintError(err)
}

// AddVersion appends the next version of a document and the audit entry;
// the document row is locked so concurrent uploads get distinct numbers.
func (db *DB) AddVersion(ctx context.Context, id document.ID, v document.Version, e audit.Entry) (int, error) {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT id FROM documents WHERE id = $1 FOR UPDATE`, id).Scan(new(int64)); err != nil {
			return notFound(err, "document")
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) + 1 FROM document_versions WHERE document_id = $1`, id).Scan(&v.Number); err != nil {
			return err
		}
		if err := insertVersion(ctx, tx, id, v); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE documents SET updated_at = $2 WHERE id = $1`, id, v.UploadedAt); err != nil {
			return err
		}
		e.Detail["version"] = v.Number
		return AppendAudit(ctx, tx, e, v.UploadedAt)
	})
	if err != nil {
		return 0, fmt.Errorf("add document version: %w", err)
	}
	return v.Number, nil
}

const documentColumns = `d.id, d.meeting_id, d.item_id, d.title, d.confidential, d.created_by, d.created_at, d.updated_at,
	coalesce((SELECT array_agg(a.user_id ORDER BY a.user_id) FROM document_access a WHERE a.document_id = d.id), '{}')`

func scanDocument(row pgx.Row) (document.Document, error) {
	var d document.Document
	var allowed []int64
	err := row.Scan(&d.ID, &d.MeetingID, &d.ItemID, &d.Title, &d.Confidential, &d.CreatedBy, &d.CreatedAt, &d.UpdatedAt, &allowed)
	for _, u := range allowed {
		d.AllowedUserIDs = append(d.AllowedUserIDs, auth.UserID(u))
	}
	return d, err
}

const versionColumns = `document_id, version, filename, file_type, size_bytes, sha256, blob_id, coalesce(pdf_blob_id, ''),
	conversion, conversion_error, converted_at, uploaded_by, uploaded_at`

// versions loads the versions of the given documents, newest first.
func versions(ctx context.Context, q Querier, ids []document.ID) (map[document.ID][]document.Version, error) {
	rows, err := q.Query(ctx, `SELECT `+versionColumns+` FROM document_versions
		WHERE document_id = ANY($1) ORDER BY document_id, version DESC`, ids)
	if err != nil {
		return nil, fmt.Errorf("document versions: %w", err)
	}
	out := map[document.ID][]document.Version{}
	_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
		var id document.ID
		var v document.Version
		err := row.Scan(&id, &v.Number, &v.Filename, &v.FileType, &v.Size, &v.SHA256, &v.BlobID, &v.PDFBlobID,
			&v.Conversion, &v.ConversionError, &v.ConvertedAt, &v.UploadedBy, &v.UploadedAt)
		out[id] = append(out[id], v)
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("document versions: %w", err)
	}
	return out, nil
}

// Document loads one document with its versions and allowed users.
func (db *DB) Document(ctx context.Context, id document.ID) (document.Document, error) {
	d, err := scanDocument(db.Pool.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents d WHERE d.id = $1`, id))
	if err != nil {
		return document.Document{}, notFound(err, "document")
	}
	vs, err := versions(ctx, db.Pool, []document.ID{id})
	if err != nil {
		return document.Document{}, err
	}
	d.Versions = vs[id]
	return d, nil
}

// MeetingDocuments loads a meeting's documents in upload order.
func (db *DB) MeetingDocuments(ctx context.Context, meetingID document.MeetingID) ([]document.Document, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+documentColumns+` FROM documents d WHERE d.meeting_id = $1 ORDER BY d.id`, meetingID)
	if err != nil {
		return nil, fmt.Errorf("meeting documents: %w", err)
	}
	docs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (document.Document, error) { return scanDocument(row) })
	if err != nil {
		return nil, fmt.Errorf("meeting documents: %w", err)
	}
	ids := make([]document.ID, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	vs, err := versions(ctx, db.Pool, ids)
	if err != nil {
		return nil, err
	}
	for i := range docs {
		docs[i].Versions = vs[docs[i].ID]
	}
	return docs, nil
}

// ItemInMeeting reports whether an agenda item belongs to the meeting.
func (db *DB) ItemInMeeting(ctx context.Context, meetingID document.MeetingID, itemID document.ItemID) (bool, error) {
	var ok bool
	err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM agenda_items WHERE id = $1 AND meeting_id = $2)`, itemID, meetingID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("agenda item: %w", err)
	}
	return ok, nil
}

// MissingUsers returns those of ids that name no active user.
func (db *DB) MissingUsers(ctx context.Context, ids []auth.UserID) ([]auth.UserID, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT i FROM unnest($1::bigint[]) AS i
		WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = i AND u.active) ORDER BY i`, ids)
	if err != nil {
		return nil, fmt.Errorf("check users: %w", err)
	}
	missing, err := pgx.CollectRows(rows, pgx.RowTo[auth.UserID])
	if err != nil {
		return nil, fmt.Errorf("check users: %w", err)
	}
	return missing, nil
}

// UnitName returns a unit's name.
func (db *DB) UnitName(ctx context.Context, id auth.UnitID) (string, error) {
	var name string
	if err := db.Pool.QueryRow(ctx, `SELECT name FROM units WHERE id = $1`, id).Scan(&name); err != nil {
		return "", notFound(err, "unit")
	}
	return name, nil
}

// RecordRead stores a read receipt and its audit entry together.
func (db *DB) RecordRead(ctx context.Context, r document.Read, e audit.Entry) error {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO document_reads (document_id, version, user_id, kind, at) VALUES ($1, $2, $3, $4, $5)`,
			r.DocumentID, r.Version, r.UserID, r.Kind, r.At)
		if err != nil {
			return constraintError(err)
		}
		return AppendAudit(ctx, tx, e, r.At)
	})
	if err != nil {
		return fmt.Errorf("record document read: %w", err)
	}
	return nil
}

// Reads lists a document's read receipts with each reader's name and unit, newest first.
func (db *DB) Reads(ctx context.Context, id document.ID) ([]document.Read, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT r.document_id, r.version, r.user_id, u.full_name, un.name, r.kind, r.at
		FROM document_reads r JOIN users u ON u.id = r.user_id JOIN units un ON un.id = u.unit_id
		WHERE r.document_id = $1 ORDER BY r.at DESC, r.id DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("document reads: %w", err)
	}
	reads, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (document.Read, error) {
		var r document.Read
		err := row.Scan(&r.DocumentID, &r.Version, &r.UserID, &r.FullName, &r.UnitName, &r.Kind, &r.At)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("document reads: %w", err)
	}
	return reads, nil
}

// SetConversion records the outcome of a version's conversion.
func (db *DB) SetConversion(ctx context.Context, id document.ID, version int, c document.Conversion, pdfBlobID, reason string, at time.Time) error {
	var pdf *string
	if pdfBlobID != "" {
		pdf = &pdfBlobID
	}
	var convertedAt *time.Time
	if c == document.ConversionDone {
		convertedAt = &at
	}
	tag, err := db.Pool.Exec(ctx, `
		UPDATE document_versions SET conversion = $3, pdf_blob_id = $4, conversion_error = $5, converted_at = $6
		WHERE document_id = $1 AND version = $2`, id, version, c, pdf, reason, convertedAt)
	if err != nil {
		return fmt.Errorf("set conversion: %w", constraintError(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("document version: %w", ErrNotFound)
	}
	return nil
}

// UpdateDocument saves a document's description and replaces its allowed
// users, with the audit entry, in one transaction.
func (db *DB) UpdateDocument(ctx context.Context, d document.Document, e audit.Entry) error {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE documents SET title = $2, item_id = $3, confidential = $4, updated_at = $5 WHERE id = $1`,
			d.ID, d.Title, d.ItemID, d.Confidential, d.UpdatedAt)
		if err != nil {
			return constraintError(err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("document: %w", ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM document_access WHERE document_id = $1`, d.ID); err != nil {
			return err
		}
		for _, u := range d.AllowedUserIDs {
			if _, err := tx.Exec(ctx, `INSERT INTO document_access (document_id, user_id) VALUES ($1, $2)`, d.ID, u); err != nil {
				return constraintError(err)
			}
		}
		return AppendAudit(ctx, tx, e, d.UpdatedAt)
	})
	if err != nil {
		return fmt.Errorf("update document: %w", err)
	}
	return nil
}

// NotOpened lists who should read d and has no read receipt for it: the
// people named on a confidential document, otherwise the meeting's
// participants; by unit, then name.
func (db *DB) NotOpened(ctx context.Context, d document.Document) ([]document.Reader, error) {
	audience, key := `SELECT user_id FROM meeting_participants WHERE meeting_id = $2`, int64(d.MeetingID)
	if d.Confidential {
		audience, key = `SELECT user_id FROM document_access WHERE document_id = $2`, int64(d.ID)
	}
	rows, err := db.Pool.Query(ctx, `
		SELECT u.id, u.full_name, un.name
		FROM users u JOIN units un ON un.id = u.unit_id
		WHERE u.id IN (`+audience+`)
		  AND NOT EXISTS (SELECT 1 FROM document_reads r WHERE r.document_id = $1 AND r.user_id = u.id)
		ORDER BY un.name, u.full_name, u.id`, d.ID, key)
	if err != nil {
		return nil, fmt.Errorf("document not opened: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (document.Reader, error) {
		var r document.Reader
		err := row.Scan(&r.UserID, &r.FullName, &r.UnitName)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("document not opened: %w", err)
	}
	return out, nil
}

// PendingConversions lists versions whose PDF view is still pending, oldest first.
func (db *DB) PendingConversions(ctx context.Context) ([]document.VersionRef, error) {
	rows, err := db.Pool.Query(ctx, `SELECT document_id, version FROM document_versions
		WHERE conversion = 'pending' ORDER BY uploaded_at LIMIT 10000`)
	if err != nil {
		return nil, fmt.Errorf("pending conversions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (document.VersionRef, error) {
		var v document.VersionRef
		err := row.Scan(&v.DocumentID, &v.Version)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("pending conversions: %w", err)
	}
	return out, nil
}
