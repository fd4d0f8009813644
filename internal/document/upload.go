package document

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/filetype"
	"github.com/cau-gov/cau/internal/notify"
	"github.com/cau-gov/cau/internal/wording"
)

// UploadMeta describes a new document; the file comes separately as a stream.
type UploadMeta struct {
	Title          string // empty: the file name without its extension
	ItemID         *ItemID
	Confidential   bool
	AllowedUserIDs []auth.UserID
	Filename       string
}

// maxTitle bounds titles (the column allows 500 characters).
const maxTitle = 500

func idText(id ID) string { return strconv.FormatInt(int64(id), 10) }

// Upload stores a new document of a meeting with body as its first
// version. Only organizers upload. The metadata is checked before a byte
// of the body is read; the body is streamed to encrypted storage while it
// is hashed, measured and its type sniffed, and any refusal (too large,
// wrong type, a name that lies about the type) leaves nothing stored.
func (s *Service) Upload(ctx context.Context, p *auth.Principal, meetingID MeetingID, meta UploadMeta, body io.Reader) (Document, error) {
	acc, err := s.meetings.Access(ctx, meetingID, p)
	if err != nil {
		return Document{}, err
	}
	if !acc.CanManage {
		return Document{}, ErrForbidden
	}
	if err := s.validate(ctx, meetingID, &meta); err != nil {
		return Document{}, err
	}
	v, ft, err := s.ingest(ctx, meta.Filename, body)
	if err != nil {
		return Document{}, err
	}
	if meta.Title == "" {
		meta.Title = strings.TrimSuffix(v.Filename, path.Ext(v.Filename))
	}
	now := s.now()
	v.Number, v.UploadedBy, v.UploadedAt = 1, p.UserID, now
	d := Document{MeetingID: meetingID, ItemID: meta.ItemID, Title: meta.Title, Confidential: meta.Confidential,
		AllowedUserIDs: meta.AllowedUserIDs, CreatedBy: p.UserID, CreatedAt: now, UpdatedAt: now, Versions: []Version{v}}
	id, mails, err := s.store.CreateDocument(ctx, d, entry(p, "document.upload", 0, map[string]any{
		"meeting_id": meetingID, "title": d.Title, "filename": v.Filename, "type": ft.Name, "size": v.Size,
		"sha256": fmt.Sprintf("%x", v.SHA256), "confidential": d.Confidential, "allowed_user_ids": d.AllowedUserIDs,
	}), s.addedNotice(meetingID, d.Title))
	if err != nil {
		s.removeBlob(v.BlobID)
		return Document{}, fmt.Errorf("save document: %w", err)
	}
	s.queueConversion(ctx, id, v)
	if len(mails) > 0 && s.mail != nil {
		if err := s.mail.Enqueue(ctx, mails); err != nil {
			// The rows stay pending; notify.Resume sends them at the next start.
			s.log.WarnContext(ctx, "enqueue e-mails", "error", err, "count", len(mails))
		}
	}
	return s.store.Document(ctx, id)
}

// AddVersion uploads a new version of a document; older versions stay.
func (s *Service) AddVersion(ctx context.Context, p *auth.Principal, id ID, filename string, body io.Reader) (Document, error) {
	d, err := s.visible(ctx, p, id)
	if err != nil {
		return Document{}, err
	}
	acc, err := s.meetings.Access(ctx, d.MeetingID, p)
	if err != nil {
		return Document{}, err
	}
	if !acc.CanManage {
		return Document{}, ErrForbidden
	}
	if f := checkFilename(filename); !f.IsZero() {
		return Document{}, &fault.Invalid{Fields: map[string]fault.Problem{"file": f}}
	}
	v, ft, err := s.ingest(ctx, filename, body)
	if err != nil {
		return Document{}, err
	}
	v.UploadedBy, v.UploadedAt = p.UserID, s.now()
	v.Number, err = s.store.AddVersion(ctx, id, v, entry(p, "document.version", id, map[string]any{
		"meeting_id": d.MeetingID, "filename": v.Filename, "type": ft.Name, "size": v.Size, "sha256": fmt.Sprintf("%x", v.SHA256),
	}))
	if err != nil {
		s.removeBlob(v.BlobID)
		return Document{}, fmt.Errorf("save version: %w", err)
	}
	s.queueConversion(ctx, id, v)
	return s.store.Document(ctx, id)
}

func (s *Service) validate(ctx context.Context, meetingID MeetingID, m *UploadMeta) error {
	bad := map[string]fault.Problem{}
	m.Title = strings.Join(strings.Fields(m.Title), " ")
	if utf8.RuneCountInString(m.Title) > maxTitle {
		bad["title"] = fault.TooLong
	}
	if f := checkFilename(m.Filename); !f.IsZero() {
		bad["file"] = f
	}
	if m.ItemID != nil {
		ok, err := s.store.ItemInMeeting(ctx, meetingID, *m.ItemID)
		if err != nil {
			return err
		}
		if !ok {
			bad["item_id"] = fault.NoSuch
		}
	}
	slices.Sort(m.AllowedUserIDs)
	m.AllowedUserIDs = slices.Compact(m.AllowedUserIDs)
	switch {
	case !m.Confidential && len(m.AllowedUserIDs) > 0:
		bad["allowed_user_ids"] = fault.NotAllowed
	case len(m.AllowedUserIDs) > 1000:
		bad["allowed_user_ids"] = fault.OutOfRange
	case len(m.AllowedUserIDs) > 0:
		missing, err := s.store.MissingUsers(ctx, m.AllowedUserIDs)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			bad["allowed_user_ids"] = fault.NoSuch
		}
	}
	if len(bad) > 0 {
		return &fault.Invalid{Fields: bad}
	}
	return nil
}

func checkFilename(name string) fault.Problem {
	switch {
	case strings.TrimSpace(name) == "":
		return fault.Required
	case !utf8.ValidString(name):
		return fault.WrongFormat
	case utf8.RuneCountInString(name) > 200:
		return fault.TooLong
	}
	return fault.Problem{}
}

// ingest streams body into a new encrypted blob while hashing it,
// counting it against the upload limit and sniffing its type on a pipe.
// On any error the blob is discarded; on success it is committed and the
// returned version holds everything but its number and uploader.
func (s *Service) ingest(ctx context.Context, filename string, body io.Reader) (Version, filetype.Type, error) {
	w, err := s.blobs.Create()
	if err != nil {
		return Version{}, filetype.Type{}, err
	}
	committed := false
	defer func() {
		if !committed {
			w.Abort()
		}
	}()
	type sniffed struct {
		t   filetype.Type
		err error
	}
	pr, pw := io.Pipe()
	result := make(chan sniffed, 1)
	go func() {
		t, err := filetype.Detect(pr)
		// Drain: the copy below writes every byte to the pipe.
		_, _ = io.Copy(io.Discard, pr)
		result <- sniffed{t, err}
	}()
	h := sha256.New()
	limited := &io.LimitedReader{R: contextReader{ctx, body}, N: s.maxUpload + 1}
	n, copyErr := io.Copy(io.MultiWriter(w, h, pw), limited)
	pw.Close()
	sn := <-result

	var maxErr *http.MaxBytesError
	switch {
	case n > s.maxUpload || errors.As(copyErr, &maxErr):
		return Version{}, filetype.Type{}, fmt.Errorf("%w: the limit is %d bytes", ErrTooLarge, s.maxUpload)
	case copyErr != nil:
		return Version{}, filetype.Type{}, fmt.Errorf("receive file: %w", copyErr)
	case sn.err != nil:
		return Version{}, filetype.Type{}, fmt.Errorf("%w: %v", ErrUnsupportedType, sn.err)
	}
	name, err := filetype.Check(sn.t, filename)
	if err != nil {
		return Version{}, filetype.Type{}, fmt.Errorf("%w: %v", ErrUnsupportedType, err)
	}
	if err := w.Commit(); err != nil {
		return Version{}, filetype.Type{}, err
	}
	committed = true
	v := Version{Filename: name, FileType: sn.t.Name, Size: n, SHA256: h.Sum(nil), BlobID: w.ID(), Conversion: ConversionNotNeeded}
	if sn.t.Office {
		v.Conversion = ConversionPending
	}
	return v, sn.t, nil
}

// contextReader stops a long upload when the request is cancelled.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (s *Service) removeBlob(id string) {
	if id == "" {
		return
	}
	if err := s.blobs.Remove(id); err != nil {
		s.log.Warn("remove orphaned blob", "blob_id", id, "error", err)
	}
}

// queueConversion asks for the PDF view of an office version. A failure
// to queue is recorded on the version so that it does not stay pending.
func (s *Service) queueConversion(ctx context.Context, id ID, v Version) {
	if v.Conversion != ConversionPending || s.enqueue == nil {
		return
	}
	if err := s.enqueue.EnqueueConversion(ctx, id, v.Number); err != nil {
		s.log.Error("queue document conversion", "document_id", id, "version", v.Number, "error", err)
		if err := s.store.SetConversion(context.WithoutCancel(ctx), id, v.Number, ConversionFailed, "", "could not queue the conversion: "+err.Error(), s.now()); err != nil {
			s.log.Error("record conversion failure", "document_id", id, "error", err)
		}
	}
}

// addedNotice is the notice of a document added to a meeting already
// published: its invitees read documents before the meeting, so a new one
// must reach them the way the invitation did (in the app and by e-mail),
// once per document and person.
func (s *Service) addedNotice(meetingID MeetingID, title string) func(ID, string) *notify.Template {
	return func(id ID, meetingTitle string) *notify.Template {
		mid := int64(meetingID)
		path := fmt.Sprintf("/documents/%d", id)
		link := s.url + path
		return &notify.Template{Kind: "document.added", MeetingID: &mid, Title: wording.T(wording.DocumentAdded, title),
			Body:     wording.T(wording.DocumentAddedBody, meetingTitle, title, link),
			DedupKey: fmt.Sprintf("document:%d:added", id), Link: link, Path: path}
	}
}
