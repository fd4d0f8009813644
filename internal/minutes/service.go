package minutes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/blob"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/pdfsign"
	"github.com/cau-gov/cau/internal/vntime"
)

// Approval is what the store needs to number an approval.
type Approval struct {
	Issuer string // issuing authority's abbreviation in the symbol ("UBND")
	Year   int    // numbering year (Hà Nội's calendar year of the approval)
}

// Store is what the service needs; internal/store implements it.
type Store interface {
	Proceedings(ctx context.Context, id MeetingID) (Proceedings, error)
	// MeetingRole is the user's role in the meeting, "" if not invited.
	MeetingRole(ctx context.Context, id MeetingID, user auth.UserID) (string, error)
	CreateMinutes(ctx context.Context, m Minutes, e audit.Entry, now time.Time) (Minutes, error)
	Minutes(ctx context.Context, id MeetingID) (Minutes, error)
	// SaveMinutes stores body as version base+1 if the record is still at
	// base (ErrVersionConflict) and a draft (ErrLocked).
	SaveMinutes(ctx context.Context, id MeetingID, base int, body Body, by auth.UserID, e audit.Entry, now time.Time) (Minutes, error)
	// ApproveMinutes numbers, hashes and locks version base in one
	// transaction; a notice number is allocated when there are conclusions.
	ApproveMinutes(ctx context.Context, id MeetingID, base int, by auth.UserID, a Approval, e audit.Entry, now time.Time) (Minutes, error)
	// Audit records a read.
	Audit(ctx context.Context, e audit.Entry, at time.Time) error

	// MissingUnits lists the ids that are not active units.
	MissingUnits(ctx context.Context, ids []auth.UnitID) ([]auth.UnitID, error)
	// ConcernedUnits resolves the notice's units from body and the
	// meeting's tasks as an approval would (for a draft's preview).
	ConcernedUnits(ctx context.Context, id MeetingID, body Body) ([]NoticeUnit, error)
	// NoticeSignature is the signature block set for the unit or its
	// nearest ancestor (false: none is set anywhere above it).
	NoticeSignature(ctx context.Context, unit auth.UnitID) (Signature, bool, error)
	// AddMinutesFile stores f unless a file of its kind exists; it reports
	// whether f was stored (false: another run came first, f.BlobID unused).
	AddMinutesFile(ctx context.Context, f File) (bool, error)
	// DistributeMinutes writes the notices to the units' users and the
	// audit entry once: false when the minutes were already distributed.
	DistributeMinutes(ctx context.Context, id MeetingID, notices []UnitNotice, e audit.Entry, now time.Time) (bool, error)
	// UndistributedMinutes lists approved minutes whose job has not finished.
	UndistributedMinutes(ctx context.Context) ([]MeetingID, error)
}

// Config holds the service's settings.
type Config struct {
	Issuer     string // abbreviation in symbols, e.g. "UBND"
	IssuerName string // full name in capitals for the PDF header
	Place      string // place of the date line, e.g. "Lâm Đồng"
	// PublicURL (CAU_PUBLIC_URL) is how browsers reach the server: the
	// notice e-mails link to PublicURL + /meetings/<id>/minutes.
	PublicURL string
	// Signer signs approved PDFs when set (the unit's PKCS #12).
	Signer *pdfsign.Signer
	// Blobs keeps the approved PDFs encrypted at rest.
	Blobs Blobs
	// Enqueue queues the distribution job of approved minutes (unique per
	// meeting: queueing it twice is harmless).
	Enqueue func(ctx context.Context, id MeetingID) error
	// SendMail runs after a commit that wrote outbox e-mails (the app
	// enqueues them); its error is only logged.
	SendMail func(ctx context.Context) error
}

// Blobs is the encrypted file store (internal/blob).
type Blobs interface {
	Create() (*blob.Writer, error)
	Open(id string) (io.ReadCloser, error)
	Remove(id string) error
}

// Service applies the minutes rules.
type Service struct {
	store Store
	cfg   Config
	now   func() time.Time
	log   *slog.Logger
}

// NewService builds the service with an injected clock.
func NewService(s Store, cfg Config, now func() time.Time, log *slog.Logger) *Service {
	if cfg.Issuer == "" {
		cfg.Issuer = "UBND"
	}
	cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	return &Service{store: s, cfg: cfg, now: now, log: log}
}

func entry(p *auth.Principal, action string, id MeetingID, detail map[string]any) audit.Entry {
	uid := int64(p.UserID)
	return audit.Entry{ActorID: &uid, ActorName: p.Username, Action: action, ObjectType: "minutes",
		ObjectID: strconv.FormatInt(id, 10), Detail: detail}
}

// role is p's role in the meeting; a province-wide admin counts as secretary.
func (s *Service) role(ctx context.Context, p *auth.Principal, id MeetingID) (string, error) {
	r, err := s.store.MeetingRole(ctx, id, p.UserID)
	if err != nil {
		return "", err
	}
	if r == "" && p.HasGlobal(auth.RoleAdmin) {
		return "secretary", nil
	}
	return r, nil
}

// editor: the meeting's secretary or chair.
func (s *Service) editor(ctx context.Context, p *auth.Principal, id MeetingID) error {
	r, err := s.role(ctx, p, id)
	if err != nil {
		return err
	}
	if r != "secretary" && r != "chair" {
		return fmt.Errorf("edit minutes of meeting %d: %w", id, ErrForbidden)
	}
	return nil
}

// Draft creates the meeting's minutes from its session.
func (s *Service) Draft(ctx context.Context, p *auth.Principal, id MeetingID) (Minutes, error) {
	if err := s.editor(ctx, p, id); err != nil {
		return Minutes{}, err
	}
	pr, err := s.store.Proceedings(ctx, id)
	if err != nil {
		return Minutes{}, err
	}
	m := Minutes{MeetingID: id, UnitID: pr.UnitID, Body: Draft(pr), Version: 1, Status: StatusDraft}
	return s.store.CreateMinutes(ctx, m, entry(p, "minutes.draft", id, nil), s.now())
}

// Refresh re-reads the session's facts into the draft at version base,
// keeping the text the editors wrote.
func (s *Service) Refresh(ctx context.Context, p *auth.Principal, id MeetingID, base int) (Minutes, error) {
	if err := s.editor(ctx, p, id); err != nil {
		return Minutes{}, err
	}
	m, err := s.store.Minutes(ctx, id)
	if err != nil {
		return Minutes{}, err
	}
	pr, err := s.store.Proceedings(ctx, id)
	if err != nil {
		return Minutes{}, err
	}
	return s.store.SaveMinutes(ctx, id, base, Refresh(m.Body, pr), p.UserID,
		entry(p, "minutes.refresh", id, map[string]any{"base_version": base}), s.now())
}

// Get returns the minutes to the meeting's participants and admins.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id MeetingID) (Minutes, error) {
	r, err := s.role(ctx, p, id)
	if err != nil {
		return Minutes{}, err
	}
	if r == "" && !p.HasGlobal(auth.RoleObserver) {
		return Minutes{}, fmt.Errorf("minutes of meeting %d: %w", id, ErrNotFound)
	}
	return s.store.Minutes(ctx, id)
}

// Read is Get for a person reading the minutes (API, PDF): the read is
// recorded in the audit log, as every read of minutes must be.
func (s *Service) Read(ctx context.Context, p *auth.Principal, id MeetingID, what string) (Minutes, error) {
	m, err := s.Get(ctx, p, id)
	if err != nil {
		return m, err
	}
	if err := s.store.Audit(ctx, entry(p, "minutes.read", id, map[string]any{"what": what, "version": m.Version}), s.now()); err != nil {
		return Minutes{}, err
	}
	return m, nil
}

// Save stores an edited body based on version base.
func (s *Service) Save(ctx context.Context, p *auth.Principal, id MeetingID, base int, body Body) (Minutes, error) {
	if err := s.editor(ctx, p, id); err != nil {
		return Minutes{}, err
	}
	if bad := body.Validate(); bad != nil {
		return Minutes{}, &fault.Invalid{Fields: bad}
	}
	if base <= 0 {
		return Minutes{}, fault.Field("version", fault.Required)
	}
	if err := s.checkUnitsExist(ctx, body); err != nil {
		return Minutes{}, err
	}
	return s.store.SaveMinutes(ctx, id, base, body, p.UserID,
		entry(p, "minutes.save", id, map[string]any{"base_version": base}), s.now())
}

// Approve is the chair's approval of version base: numbered, hashed, locked.
func (s *Service) Approve(ctx context.Context, p *auth.Principal, id MeetingID, base int) (Minutes, error) {
	r, err := s.role(ctx, p, id)
	if err != nil {
		return Minutes{}, err
	}
	if r != "chair" {
		return Minutes{}, fmt.Errorf("approve minutes of meeting %d: only the chair: %w", id, ErrForbidden)
	}
	now := s.now()
	m, err := s.store.ApproveMinutes(ctx, id, base, p.UserID, Approval{Issuer: s.cfg.Issuer, Year: vntime.In(now).Year()},
		entry(p, "minutes.approve", id, map[string]any{"version": base}), now)
	if err != nil {
		return Minutes{}, err
	}
	s.log.InfoContext(ctx, "minutes approved", "meeting_id", id, "symbol", m.Symbol, "content_hash", m.ContentHash)
	// The PDFs and the notices are the job's: a lost enqueue is made good
	// by ResumeDistributions at start and by the next read of a PDF.
	if s.cfg.Enqueue != nil {
		if err := s.cfg.Enqueue(ctx, id); err != nil {
			s.log.WarnContext(ctx, "queue minutes distribution", "meeting_id", id, "error", err)
		}
	}
	s.sendMail(ctx, id)
	return m, nil
}

func (s *Service) sendMail(ctx context.Context, id MeetingID) {
	if s.cfg.SendMail != nil {
		if err := s.cfg.SendMail(ctx); err != nil {
			s.log.WarnContext(ctx, "queue minutes e-mails", "meeting_id", id, "error", err)
		}
	}
}

// checkUnitsExist refuses conclusions naming units that do not exist or
// are closed, listing the conclusions concerned.
func (s *Service) checkUnitsExist(ctx context.Context, b Body) error {
	var ids []auth.UnitID
	for _, c := range b.Conclusions {
		ids = append(ids, c.UnitIDs...)
	}
	if len(ids) == 0 {
		return nil
	}
	missing, err := s.store.MissingUnits(ctx, ids)
	if err != nil || len(missing) == 0 {
		return err
	}
	bad := map[string]fault.Problem{}
	for i, c := range b.Conclusions {
		for _, u := range c.UnitIDs {
			if slices.Contains(missing, u) {
				bad[fmt.Sprintf("conclusions[%d].unit_ids", i)] = fault.NoSuch
			}
		}
	}
	return &fault.Invalid{Fields: bad}
}

// IsConflict reports whether err is a version conflict or a lock, both of
// which the HTTP layer answers with 409.
func IsConflict(err error) bool {
	return errors.Is(err, ErrVersionConflict) || errors.Is(err, ErrLocked) || errors.Is(err, ErrExists)
}
