package recording

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/meeting"
)

// office reports whether p keeps the province's archive: an administrator
// or a province-wide secretary (văn phòng) reads every meeting's
// recordings and sets legal holds.
func office(p *auth.Principal) bool {
	return p != nil && (p.HasGlobal(auth.RoleAdmin) || p.HasGlobal(auth.RoleSecretary))
}

// standing is what p may do with a meeting's recordings: read (its
// participants and the office) and manage (its organizers and the office).
// Anyone else gets ErrNotFound, as if the meeting had no recordings.
func (s *Service) standing(ctx context.Context, p *auth.Principal, id meeting.ID) (manage bool, err error) {
	a, err := s.Meetings.Access(ctx, id, p)
	switch {
	case err == nil:
		return a.CanManage() || office(p), nil
	case fault.Is(err, fault.NotFound) && office(p):
		return true, nil
	case fault.Is(err, fault.NotFound):
		return false, ErrNotFound
	}
	return false, err
}

// List returns a meeting's recordings, parts in order.
func (s *Service) List(ctx context.Context, p *auth.Principal, id meeting.ID) ([]Recording, error) {
	if _, err := s.standing(ctx, p, id); err != nil {
		return nil, err
	}
	return s.Store.MeetingRecordings(ctx, id)
}

// Get returns one recording with its chapters.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id ID) (Recording, error) {
	r, _, err := s.visible(ctx, p, id)
	return r, err
}

func (s *Service) visible(ctx context.Context, p *auth.Principal, id ID) (Recording, bool, error) {
	r, err := s.Store.Recording(ctx, id)
	if fault.Is(err, fault.NotFound) {
		return Recording{}, false, ErrNotFound
	}
	if err != nil {
		return Recording{}, false, err
	}
	manage, err := s.standing(ctx, p, r.MeetingID)
	if err != nil {
		return Recording{}, false, err
	}
	return r, manage, nil
}

// PlayLink is a short-lived signed URL for the player's <video src>: a
// media element cannot send a bearer token, and a long-lived one must not
// sit in a URL.
type PlayLink struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Play mints a media link for p, recording the read and auditing it.
func (s *Service) Play(ctx context.Context, p *auth.Principal, id ID) (PlayLink, error) {
	r, _, err := s.visible(ctx, p, id)
	if err != nil {
		return PlayLink{}, err
	}
	if r.Status != StatusReady {
		return PlayLink{}, ErrNotReady
	}
	if err := s.receipt(ctx, p, r, ReadPlay); err != nil {
		return PlayLink{}, err
	}
	l := s.links.sign(id, p.UserID)
	return PlayLink{URL: fmt.Sprintf("/api/v1/recordings/%d/media?%s", id, l.Query()), ExpiresAt: l.Expires}, nil
}

func (s *Service) receipt(ctx context.Context, p *auth.Principal, r Recording, kind ReadKind) error {
	e := entry(p, "recording.read", "recording", int64(r.ID), map[string]any{"meeting_id": r.MeetingID, "part": r.Part, "kind": kind})
	if err := s.Store.RecordRecordingRead(ctx, Read{RecordingID: r.ID, UserID: p.UserID, Kind: kind, At: s.Now()}, e); err != nil {
		return fmt.Errorf("record read: %w", err)
	}
	return nil
}

// Media is an opened recording file: seek anywhere (http.ServeContent).
type Media struct {
	*io.SectionReader
	Name    string
	MIME    string
	ModTime time.Time
	SHA256  []byte
	close   func() error
}

// Close closes the blob.
func (m Media) Close() error { return m.close() }

// OpenLinked opens a recording's file for a signed link's query values
// (u, e, s); the read was recorded when the link was minted.
func (s *Service) OpenLinked(ctx context.Context, id ID, user, exp, sig string) (Media, error) {
	if _, err := s.links.check(id, user, exp, sig); err != nil {
		return Media{}, err
	}
	r, err := s.Store.Recording(ctx, id)
	if fault.Is(err, fault.NotFound) {
		return Media{}, ErrNotFound
	}
	if err != nil {
		return Media{}, err
	}
	return s.open(r)
}

// Download opens a recording's file for p (a bearer token: API clients),
// recording the read.
func (s *Service) Download(ctx context.Context, p *auth.Principal, id ID) (Media, error) {
	r, _, err := s.visible(ctx, p, id)
	if err != nil {
		return Media{}, err
	}
	m, err := s.open(r)
	if err != nil {
		return Media{}, err
	}
	if err := s.receipt(ctx, p, r, ReadDownload); err != nil {
		m.Close()
		return Media{}, err
	}
	return m, nil
}

func (s *Service) open(r Recording) (Media, error) {
	if r.Status != StatusReady {
		return Media{}, ErrNotReady
	}
	sec, err := s.Blobs.OpenSection(r.BlobID)
	if err != nil {
		return Media{}, err
	}
	mime := "video/webm"
	if r.Container == "mkv" {
		mime = "video/x-matroska"
	}
	name := fmt.Sprintf("cuoc-hop-%d-phan-%d.%s", r.MeetingID, r.Part, containerOr(r.Container))
	mod := r.StartedAt
	if r.ArchivedAt != nil {
		mod = *r.ArchivedAt
	}
	return Media{SectionReader: io.NewSectionReader(sec, 0, sec.Size()), Name: name, MIME: mime, ModTime: mod,
		SHA256: r.SHA256, close: sec.Close}, nil
}

func containerOr(c string) string {
	if c == "" {
		return "webm"
	}
	return c
}

// ChaptersVTT returns a recording's chapters as WebVTT.
func (s *Service) ChaptersVTT(ctx context.Context, p *auth.Principal, id ID) (string, error) {
	r, _, err := s.visible(ctx, p, id)
	if err != nil {
		return "", err
	}
	if r.Status != StatusReady {
		return "", ErrNotReady
	}
	var d time.Duration
	if r.DurationMS != nil {
		d = time.Duration(*r.DurationMS) * time.Millisecond
	}
	return VTT(r.Chapters, d), nil
}

// Reads lists a recording's read receipts, newest first: its meeting's
// organizers and the office.
func (s *Service) Reads(ctx context.Context, p *auth.Principal, id ID) ([]Read, error) {
	_, manage, err := s.visible(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !manage {
		return nil, ErrForbidden
	}
	return s.Store.RecordingReads(ctx, id)
}

// HoldInput says why a meeting's recordings are kept past retention.
type HoldInput struct {
	Reason string `json:"reason"`
}

// SetHold puts a legal hold on a meeting (the office: administrators and
// province-wide secretaries); its recordings outlive the retention period
// until the hold is cleared. Setting it again replaces the reason.
func (s *Service) SetHold(ctx context.Context, p *auth.Principal, id meeting.ID, in HoldInput) (Hold, error) {
	if _, err := s.standing(ctx, p, id); err != nil {
		return Hold{}, err
	}
	if !office(p) {
		return Hold{}, ErrForbidden
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if pr := fault.Length(len([]rune(in.Reason)), 1, 1000); pr != (fault.Problem{}) {
		return Hold{}, fault.Field("reason", pr)
	}
	h := Hold{MeetingID: id, Reason: in.Reason, SetBy: p.UserID, SetAt: s.Now()}
	if err := s.Store.SetLegalHold(ctx, h, entry(p, "recording.hold_set", "meeting", int64(id), map[string]any{"reason": in.Reason})); err != nil {
		return Hold{}, err
	}
	return h, nil
}

// ClearHold lifts a meeting's legal hold (the office); ErrNoHold when none.
func (s *Service) ClearHold(ctx context.Context, p *auth.Principal, id meeting.ID) error {
	if _, err := s.standing(ctx, p, id); err != nil {
		return err
	}
	if !office(p) {
		return ErrForbidden
	}
	return s.Store.ClearLegalHold(ctx, id, entry(p, "recording.hold_cleared", "meeting", int64(id), nil))
}

// GetHold returns a meeting's legal hold, if any (readers of its recordings).
func (s *Service) GetHold(ctx context.Context, p *auth.Principal, id meeting.ID) (*Hold, error) {
	if _, err := s.standing(ctx, p, id); err != nil {
		return nil, err
	}
	h, ok, err := s.Store.LegalHold(ctx, id)
	if err != nil || !ok {
		return nil, err
	}
	return &h, nil
}
