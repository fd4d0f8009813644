package minutes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/pdfsign"
)

// Approval is what the store needs to number an approval.
type Approval struct {
	Issuer string // issuing authority's abbreviation in the symbol ("UBND")
	Year   int    // numbering year (Hà Nội's calendar year of the approval)
}

// Store is what the service needs; internal/store implements it.
type Store interface {
	MeetingSession(ctx context.Context, id MeetingID) (Session, error)
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
}

// Config holds the service's settings.
type Config struct {
	Issuer     string // abbreviation in symbols, e.g. "UBND"
	IssuerName string // full name in capitals for the PDF header
	Place      string // place of the date line, e.g. "Lâm Đồng"
	// Signer signs approved PDFs when set (the unit's PKCS #12).
	Signer *pdfsign.Signer
	// OnApproved runs after an approval commits (the app enqueues the
	// e-mails the approval wrote to the outbox); its error is only logged.
	OnApproved func(ctx context.Context) error
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
	sess, err := s.store.MeetingSession(ctx, id)
	if err != nil {
		return Minutes{}, err
	}
	m := Minutes{MeetingID: id, UnitID: sess.UnitID, Body: Draft(sess), Version: 1, Status: StatusDraft}
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
	sess, err := s.store.MeetingSession(ctx, id)
	if err != nil {
		return Minutes{}, err
	}
	return s.store.SaveMinutes(ctx, id, base, Refresh(m.Body, sess), p.UserID,
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
		return Minutes{}, &ValidationError{Fields: bad}
	}
	if base <= 0 {
		return Minutes{}, &ValidationError{Fields: map[string]string{"version": "bắt buộc"}}
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
	m, err := s.store.ApproveMinutes(ctx, id, base, p.UserID, Approval{Issuer: s.cfg.Issuer, Year: now.In(hcm).Year()},
		entry(p, "minutes.approve", id, map[string]any{"version": base}), now)
	if err != nil {
		return Minutes{}, err
	}
	s.log.InfoContext(ctx, "minutes approved", "meeting_id", id, "symbol", m.Symbol, "content_hash", m.ContentHash)
	if s.cfg.OnApproved != nil {
		if err := s.cfg.OnApproved(ctx); err != nil {
			s.log.WarnContext(ctx, "after approval", "meeting_id", id, "error", err)
		}
	}
	return m, nil
}

// IsConflict reports whether err is a version conflict or a lock, both of
// which the HTTP layer answers with 409.
func IsConflict(err error) bool {
	return errors.Is(err, ErrVersionConflict) || errors.Is(err, ErrLocked) || errors.Is(err, ErrExists)
}

var hcm = mustZone("Asia/Ho_Chi_Minh")

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return z
}
