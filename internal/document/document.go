// Package document holds the rules for meeting documents: who uploads
// (the meeting's organizers), what is accepted (types checked by content,
// size limited, streamed to encrypted storage while hashed), versions
// (a new upload keeps the old ones), confidential documents (visible only
// to organizers and the people named on them; to anyone else they do not
// exist), the PDF view (office files converted by a background job) with
// a per-recipient watermark, and read receipts (every open and download is
// recorded and audited). It declares the store and meeting interfaces it
// needs; internal/store and internal/app provide them.
package document

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/blob"
	"github.com/cau-gov/cau/internal/convert"
	"github.com/cau-gov/cau/internal/notify"
	"github.com/cau-gov/cau/internal/pdfmark"
)

// IDs of documents and of the meeting rows they hang on.
type (
	ID        int64
	MeetingID int64
	ItemID    int64
)

// Conversion is the state of a version's PDF view.
type Conversion string

// Conversion states.
const (
	ConversionNotNeeded   Conversion = "not_needed" // PDFs and images are served as they are
	ConversionPending     Conversion = "pending"
	ConversionDone        Conversion = "done"
	ConversionFailed      Conversion = "failed"
	ConversionUnavailable Conversion = "unavailable" // LibreOffice is not installed
)

// ReadKind says how a document was opened.
type ReadKind string

// Read kinds.
const (
	ReadView     ReadKind = "view"     // the (watermarked) PDF view
	ReadDownload ReadKind = "download" // the original file
)

// Version is one uploaded file of a document.
type Version struct {
	Number          int
	Filename        string
	FileType        string // internal/filetype short name
	Size            int64
	SHA256          []byte
	BlobID          string
	PDFBlobID       string // set when Conversion is done
	Conversion      Conversion
	ConversionError string
	ConvertedAt     *time.Time
	UploadedBy      auth.UserID
	UploadedAt      time.Time
}

// Document is a file attached to a meeting or one of its agenda items.
type Document struct {
	ID           ID
	MeetingID    MeetingID
	ItemID       *ItemID
	Title        string
	Confidential bool
	// AllowedUserIDs are the people named on a confidential document.
	AllowedUserIDs []auth.UserID
	CreatedBy      auth.UserID
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Versions, newest first; never empty.
	Versions []Version
}

// Current is the newest version.
func (d Document) Current() Version { return d.Versions[0] }

// Version returns version n.
func (d Document) Version(n int) (Version, bool) {
	for _, v := range d.Versions {
		if v.Number == n {
			return v, true
		}
	}
	return Version{}, false
}

// Read is a read receipt.
type Read struct {
	DocumentID ID
	Version    int
	UserID     auth.UserID
	FullName   string // filled when listing
	UnitName   string // filled when listing
	Kind       ReadKind
	At         time.Time
}

// VersionRef names one version of a document.
type VersionRef struct {
	DocumentID ID
	Version    int
}

// Reader names a person for read-receipt answers.
type Reader struct {
	UserID   auth.UserID
	FullName string
	UnitName string
}

// MeetingAccess is what documents need to know of the caller's standing
// in a meeting.
type MeetingAccess struct {
	// CanManage is true for the meeting's organizers (its secretary, chair,
	// and administrators over it): they upload and see everything.
	CanManage bool
}

// Meetings answers the caller's standing in a meeting; it returns an error
// matching ErrNotFound when the meeting does not exist or the caller may
// not see it (the app's adapter translates the meeting package's error).
type Meetings interface {
	Access(ctx context.Context, id MeetingID, p *auth.Principal) (MeetingAccess, error)
}

// Store is the persistence the service needs (internal/store implements
// it). Methods taking an audit entry write it in the same transaction.
type Store interface {
	// CreateDocument stores a new document; when its meeting is published
	// or in session it also writes notice(id, meeting title) for the
	// invitees who may see it (named people only, if confidential) and
	// returns the outbox rows to enqueue after the commit.
	CreateDocument(ctx context.Context, d Document, e audit.Entry, notice func(ID, string) *notify.Template) (ID, []int64, error)
	AddVersion(ctx context.Context, id ID, v Version, e audit.Entry) (int, error)
	UpdateDocument(ctx context.Context, d Document, e audit.Entry) error
	Document(ctx context.Context, id ID) (Document, error)
	MeetingDocuments(ctx context.Context, meetingID MeetingID) ([]Document, error)
	ItemInMeeting(ctx context.Context, meetingID MeetingID, itemID ItemID) (bool, error)
	MissingUsers(ctx context.Context, ids []auth.UserID) ([]auth.UserID, error)
	UnitName(ctx context.Context, id auth.UnitID) (string, error)
	RecordRead(ctx context.Context, r Read, e audit.Entry) error
	Reads(ctx context.Context, id ID) ([]Read, error)
	// NotOpened lists who should read a document but has not: its named
	// people if confidential, else the meeting's participants.
	NotOpened(ctx context.Context, d Document) ([]Reader, error)
	SetConversion(ctx context.Context, id ID, version int, c Conversion, pdfBlobID, reason string, at time.Time) error
	// PendingConversions lists versions still waiting for their PDF view.
	PendingConversions(ctx context.Context) ([]VersionRef, error)
}

// Mailer enqueues the sending of outbox e-mails after their transaction
// committed (internal/notify).
type Mailer interface {
	Enqueue(ctx context.Context, outboxIDs []int64) error
}

// Enqueuer queues the conversion of a version after its upload commits.
type Enqueuer interface {
	EnqueueConversion(ctx context.Context, id ID, version int) error
}

// entry is the audit row of p's action on document id.
func entry(p *auth.Principal, action string, id ID, detail map[string]any) audit.Entry {
	uid := int64(p.UserID)
	return audit.Entry{ActorID: &uid, ActorName: p.Username, Action: action, ObjectType: "document",
		ObjectID: idText(id), Detail: detail, IP: p.IP}
}

// Service is the documents domain.
type Service struct {
	store     Store
	meetings  Meetings
	blobs     *blob.Store
	marker    *pdfmark.Marker
	converter *convert.Converter
	enqueue   Enqueuer
	mail      Mailer
	url       string
	maxUpload int64
	now       func() time.Time
	log       *slog.Logger
	// pdfSlots bounds PDFs being stamped or sent at once (each is held in
	// memory whole).
	pdfSlots chan struct{}
}

// pdfConcurrency is how many watermarked PDFs may be in memory at once.
const pdfConcurrency = 4

// Config is what New needs.
type Config struct {
	Store     Store
	Meetings  Meetings
	Blobs     *blob.Store
	Marker    *pdfmark.Marker
	Converter *convert.Converter
	// Enqueue queues conversions; nil converts nothing (every office
	// version stays pending).
	Enqueue Enqueuer
	// Mailer sends the e-mails of notices (a document added to a published
	// meeting); nil leaves them in the outbox for notify.Resume.
	Mailer Mailer
	// PublicURL (CAU_PUBLIC_URL) makes the links in e-mails.
	PublicURL string
	MaxUpload int64
	Now       func() time.Time
	Log       *slog.Logger
}

// New builds the service.
func New(c Config) *Service {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return &Service{store: c.Store, meetings: c.Meetings, blobs: c.Blobs, marker: c.Marker, converter: c.Converter,
		enqueue: c.Enqueue, mail: c.Mailer, url: strings.TrimSuffix(c.PublicURL, "/"), maxUpload: c.MaxUpload, now: c.Now, log: c.Log, pdfSlots: make(chan struct{}, pdfConcurrency)}
}

// Blobs is the encrypted file store (tests read raw files through it).
func (s *Service) Blobs() *blob.Store { return s.blobs }

// RotateKeys re-encrypts every stored file not under the current key (after
// a new line was appended to CAU_DOCUMENT_KEYS_FILE); it returns how many
// it rewrote. Old keys may be removed from the file once it has run.
func (s *Service) RotateKeys(ctx context.Context) (int, error) {
	return s.blobs.RotateAll(ctx)
}

// ResumeConversions queues again every version still pending, for jobs
// lost with a Redis that was flushed or restored; queueing is unique per
// version, so a job still queued is not doubled. It returns how many it queued.
func (s *Service) ResumeConversions(ctx context.Context) (int, error) {
	if s.enqueue == nil {
		return 0, nil
	}
	pending, err := s.store.PendingConversions(ctx)
	if err != nil {
		return 0, err
	}
	for i, v := range pending {
		if err := s.enqueue.EnqueueConversion(ctx, v.DocumentID, v.Version); err != nil {
			return i, fmt.Errorf("resume conversion of document %d version %d: %w", v.DocumentID, v.Version, err)
		}
	}
	return len(pending), nil
}
