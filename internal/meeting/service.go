package meeting

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/notify"
	"github.com/cau-gov/cau/internal/vntime"
	"github.com/cau-gov/cau/internal/wording"
)

// Publisher fans session events out to the browsers (internal/live).
type Publisher interface {
	Publish(ctx context.Context, evs []Event)
}

// Mailer enqueues the sending of outbox e-mails after their transaction
// committed (internal/notify).
type Mailer interface {
	Enqueue(ctx context.Context, outboxIDs []int64) error
}

// Media is what the session asks of the SFU. Nil-safe: without an SFU the
// session still works.
type Media interface {
	PinFloor(room string, identity string) error
	// SetMuted mutes an identity's audio, connected or not, until unmuted.
	SetMuted(room, identity string, muted bool) error
	// Remove ends an identity's session and refuses its tokens issued up to at.
	Remove(room, identity string, at time.Time) error
	// SetRoomState locks, unlocks or ends the call (ended: every token
	// issued up to at is refused).
	SetRoomState(room, state string, at time.Time) error
}

// Config is what New needs.
type Config struct {
	Store     Store
	Publisher Publisher
	Mailer    Mailer
	Media     Media
	Log       *slog.Logger
	Now       func() time.Time
	// PublicURL (CAU_PUBLIC_URL) makes the links in notices.
	PublicURL string
}

// Service is the meeting service.
type Service struct {
	store Store
	pub   Publisher
	mail  Mailer
	media atomic.Pointer[mediaBox]
	log   *slog.Logger
	now   func() time.Time
	url   string
	// snapshots coalesces concurrent reads of a session's state.
	snapshots *snapshotLoads
}

// New builds the service.
func New(c Config) *Service {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	s := &Service{store: c.Store, pub: c.Publisher, mail: c.Mailer, log: c.Log, now: c.Now, url: strings.TrimSuffix(c.PublicURL, "/")}
	s.snapshots = newSnapshotLoads(c.Store.Snapshot)
	s.SetMedia(c.Media)
	return s
}

// SetMedia attaches the SFU once it exists (the app builds it later).
func (s *Service) SetMedia(m Media) { s.media.Store(&mediaBox{m}) }

type mediaBox struct{ Media }

// mediaOf returns the SFU, or nil when there is none.
func (s *Service) mediaOf() Media {
	if b := s.media.Load(); b != nil {
		return b.Media
	}
	return nil
}

// RoomName is the SFU room of a meeting.
func RoomName(id ID) string { return fmt.Sprintf("meeting-%d", id) }

// HallIdentity is the SFU identity of a hall's browser.
func HallIdentity(h auth.HallID) string { return fmt.Sprintf("hall-%d", h) }

// UserIdentity is the SFU identity of a person's own browser.
func UserIdentity(u auth.UserID) string { return fmt.Sprintf("user-%d", u) }

// Access returns what p may do in meeting id; ErrNotFound when the meeting
// does not exist or p is neither invited, organizer, nor admin.
func (s *Service) Access(ctx context.Context, id ID, p *auth.Principal) (Access, error) {
	if p == nil {
		return Access{}, ErrNotFound
	}
	var operated []auth.HallID
	for _, g := range p.Grants {
		if g.Role == auth.RoleHallOperator && g.HallID != nil {
			operated = append(operated, *g.HallID)
		}
	}
	m, roles, halls, err := s.store.MemberOf(ctx, id, p.UserID, operated)
	if err != nil {
		return Access{}, err
	}
	a := Access{MeetingID: id, Status: m.Status, Roles: roles, HallIDs: halls}
	a.Organizer = m.CreatedBy == p.UserID || p.HasGlobal(auth.RoleAdmin) ||
		slices.Contains(roles, RoleChair) || slices.Contains(roles, RoleSecretary)
	if !a.Organizer && (len(roles) == 0 && len(halls) == 0 || m.Status == StatusDraft) {
		// Invitees see a meeting once it is published.
		return Access{}, ErrNotFound
	}
	return a, nil
}

// manage returns the meeting if p may manage it.
func (s *Service) manage(ctx context.Context, id ID, p *auth.Principal) (Access, error) {
	a, err := s.Access(ctx, id, p)
	if err != nil {
		return a, err
	}
	if !a.CanManage() {
		return a, ErrForbidden
	}
	return a, nil
}

// Input is what a secretary fills in for a meeting.
type Input struct {
	Kind        Kind         `json:"kind"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	Place       string       `json:"place"`
	StartsAt    time.Time    `json:"starts_at"`
	EndsAt      time.Time    `json:"ends_at"`
	UnitID      *auth.UnitID `json:"unit_id"`
	ChairID     *auth.UserID `json:"chair_id"`
	SecretaryID *auth.UserID `json:"secretary_id"`
	// Reason says why a published meeting moves (in the notice; on update only).
	Reason string `json:"reason"`
}

func (in *Input) validate() error {
	bad := map[string]fault.Problem{}
	in.Title = strings.TrimSpace(in.Title)
	switch in.Kind {
	case KindRegular, KindBriefing, KindProvinceOnline:
	default:
		bad["kind"] = fault.UnknownValue
	}
	if p := fault.Length(len([]rune(in.Title)), 1, 300); !p.IsZero() {
		bad["title"] = p
	}
	if len([]rune(in.Place)) > 300 {
		bad["place"] = fault.TooLong
	}
	if len([]rune(in.Description)) > 5000 {
		bad["description"] = fault.TooLong
	}
	if in.StartsAt.IsZero() {
		bad["starts_at"] = fault.Required
	}
	if in.EndsAt.IsZero() || !in.EndsAt.After(in.StartsAt) {
		bad["ends_at"] = fault.TooEarly
	}
	if len([]rune(in.Reason)) > 1000 {
		bad["reason"] = fault.TooLong
	}
	if in.ChairID != nil && in.SecretaryID != nil && *in.ChairID == *in.SecretaryID {
		bad["secretary_id"] = fault.Duplicate
	}
	if len(bad) > 0 {
		return &fault.Invalid{Fields: bad}
	}
	return nil
}

// Create makes a draft meeting; secretaries and admins may. The creator
// is its secretary unless another is named.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in Input) (Meeting, error) {
	if !p.HasAnywhere(auth.RoleSecretary, auth.RoleAdmin) {
		return Meeting{}, ErrForbidden
	}
	if err := in.validate(); err != nil {
		return Meeting{}, err
	}
	now := s.now()
	m := Meeting{Kind: in.Kind, Title: in.Title, Description: in.Description, Place: in.Place,
		Status: StatusDraft, StartsAt: in.StartsAt.UTC(), EndsAt: in.EndsAt.UTC(), UnitID: p.UnitID, CreatedBy: p.UserID,
		CreatedAt: now, UpdatedAt: now}
	if in.UnitID != nil {
		m.UnitID = *in.UnitID
	}
	// A secretary scoped to a district holds meetings of that district's
	// units only; the holding unit must be within the creator's scope.
	anc, err := s.store.Ancestry(ctx, m.UnitID)
	if err != nil || len(anc) == 0 {
		return Meeting{}, fault.Field("unit_id", fault.NoSuch)
	}
	if !p.HasFor(auth.RoleSecretary, anc) && !p.HasFor(auth.RoleAdmin, anc) {
		return Meeting{}, ErrForbidden
	}
	sec := p.UserID
	if in.SecretaryID != nil {
		sec = *in.SecretaryID
	}
	people := []Participant{{UserID: sec, Role: RoleSecretary}}
	if in.ChairID != nil {
		people = append(people, Participant{UserID: *in.ChairID, Role: RoleChair})
	}
	return s.store.CreateMeeting(ctx, m, people, entry(p, "meeting.create", 0, map[string]any{"title": m.Title, "kind": m.Kind, "starts_at": m.StartsAt}))
}

// Get returns a meeting p may see.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id ID) (Meeting, Access, error) {
	a, err := s.Access(ctx, id, p)
	if err != nil {
		return Meeting{}, a, err
	}
	m, err := s.store.Meeting(ctx, id)
	return m, a, err
}

// Period is which of a person's meetings a list holds, by Vietnam's
// calendar day: "" or "all", "upcoming" (from today on), "today", "past"
// (before today), the last three without cancelled meetings (a cancelled
// meeting is not still to come), and "cancelled" (any day).
type Period string

// cancelled is the period's filter on cancelled meetings (ListFilter.Cancelled).
func (p Period) cancelled() *bool {
	switch p {
	case "upcoming", "today", "past":
		return new(bool)
	case "cancelled":
		only := true
		return &only
	}
	return nil
}

// window is the period's [from, to) at now; nil bounds are open.
func (p Period) window(now time.Time) (from, to *time.Time, err error) {
	day, next := vntime.Day(now)
	switch p {
	case "", "all":
	case "upcoming":
		from = &day
	case "today":
		from, to = &day, &next
	case "past":
		to = &day
	case "cancelled":
	default:
		return nil, nil, fault.Field("when", fault.UnknownValue)
	}
	return from, to, nil
}

// List returns p's meetings in the period: the ones p is invited to,
// organizes or whose hall p operates (admins: all).
func (s *Service) List(ctx context.Context, p *auth.Principal, period Period) ([]Meeting, error) {
	from, to, err := period.window(s.now())
	if err != nil {
		return nil, err
	}
	f := ListFilter{User: p.UserID, All: p.HasGlobal(auth.RoleAdmin), From: from, To: to, Cancelled: period.cancelled(), Limit: 500}
	for _, g := range p.Grants {
		if g.Role == auth.RoleHallOperator && g.HallID != nil {
			f.Halls = append(f.Halls, *g.HallID)
		}
	}
	return s.store.ListMeetings(ctx, f)
}

// Update changes title, place, description and time. A time change of a
// published meeting notifies every invitee again.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id ID, in Input) (Meeting, error) {
	if _, err := s.manage(ctx, id, p); err != nil {
		return Meeting{}, err
	}
	if err := in.validate(); err != nil {
		return Meeting{}, err
	}
	old, err := s.store.Meeting(ctx, id)
	if err != nil {
		return Meeting{}, err
	}
	m := old
	m.Kind, m.Title, m.Description, m.Place = in.Kind, in.Title, in.Description, in.Place
	m.StartsAt, m.EndsAt, m.UpdatedAt = in.StartsAt.UTC(), in.EndsAt.UTC(), s.now()
	var n *notify.Template
	if !m.StartsAt.Equal(old.StartsAt) || !m.EndsAt.Equal(old.EndsAt) {
		m.ScheduleVersion++
		if old.Status == StatusPublished {
			n = s.notice(m, "meeting.rescheduled", fmt.Sprintf("meeting:%d:rescheduled:v%d", m.ID, m.ScheduleVersion),
				wording.T(wording.MeetingRescheduled, m.Title), in.Reason)
		}
	}
	m, ids, err := s.store.UpdateMeeting(ctx, m, []Status{StatusDraft, StatusPublished}, entry(p, "meeting.update", id,
		map[string]any{"title": m.Title, "starts_at": m.StartsAt, "ends_at": m.EndsAt, "old_starts_at": old.StartsAt}), n)
	if err != nil {
		return Meeting{}, err
	}
	s.enqueue(ctx, ids)
	return m, nil
}

// Publish makes a draft meeting visible to its invitees and notifies each
// of them once, in the app and by e-mail. A meeting without a chair is
// refused (ErrChairRequired): its session could not be run nor its
// minutes approved.
func (s *Service) Publish(ctx context.Context, p *auth.Principal, id ID) (Meeting, error) {
	if _, err := s.manage(ctx, id, p); err != nil {
		return Meeting{}, err
	}
	m, err := s.store.Meeting(ctx, id)
	if err != nil {
		return Meeting{}, err
	}
	m, _, ids, err := s.store.Transition(ctx, id, Transition{From: []Status{StatusDraft}, To: StatusPublished, At: s.now(), Actor: p.UserID, Require: RoleChair,
		Audit:  entry(p, "meeting.publish", id, nil),
		Notice: s.notice(m, "meeting.invited", fmt.Sprintf("meeting:%d:invited", id), wording.T(wording.MeetingInvited, m.Title), "")})
	if err != nil {
		return Meeting{}, err
	}
	s.enqueue(ctx, ids)
	return m, nil
}

// Cancel calls a meeting off before it ends and notifies the invitees.
func (s *Service) Cancel(ctx context.Context, p *auth.Principal, id ID, reason string) (Meeting, error) {
	if _, err := s.manage(ctx, id, p); err != nil {
		return Meeting{}, err
	}
	if len([]rune(reason)) > 1000 {
		return Meeting{}, fault.Field("reason", fault.TooLong)
	}
	m, err := s.store.Meeting(ctx, id)
	if err != nil {
		return Meeting{}, err
	}
	var n *notify.Template
	if m.Status == StatusPublished {
		n = s.notice(m, "meeting.cancelled", fmt.Sprintf("meeting:%d:cancelled", id), wording.T(wording.MeetingCancelled, m.Title), reason)
	}
	m, evs, ids, err := s.store.Transition(ctx, id, Transition{From: []Status{StatusDraft, StatusPublished}, To: StatusCancelled,
		At: s.now(), Reason: reason, Actor: p.UserID, Audit: entry(p, "meeting.cancel", id, map[string]any{"reason": reason}), Notice: n})
	if err != nil {
		return Meeting{}, err
	}
	s.publish(ctx, evs)
	s.enqueue(ctx, ids)
	return m, nil
}

// notice is the in-app notice and e-mail of a meeting's invitation,
// new time or cancellation. The secretary's reason (cancel, reschedule)
// comes right after the time and place and before the link, so the bell,
// which shows the first lines, and the e-mail both carry it.
func (s *Service) notice(m Meeting, kind, key, title, reason string) *notify.Template {
	mid := int64(m.ID)
	body := wording.T(wording.MeetingWhen, m.Title,
		vntime.In(m.StartsAt).Format("15:04 02/01/2006"), vntime.In(m.EndsAt).Format("15:04 02/01/2006"))
	if p := strings.TrimSpace(m.Place); p != "" { // an online-only meeting has none
		body += wording.T(wording.MeetingWhere, p)
	}
	if r := strings.TrimSpace(reason); r != "" {
		body += wording.T(wording.MeetingReason, r)
	}
	path := fmt.Sprintf("/meetings/%d", m.ID)
	link := s.url + path
	return &notify.Template{Kind: kind, MeetingID: &mid, Title: title, Body: body + wording.T(wording.MeetingLink, link), DedupKey: key, Link: link, Path: path}
}

// enqueue hands committed outbox rows to the mailer; a failure is logged,
// not returned: the rows stay pending and notify.Resume sends them later.
func (s *Service) enqueue(ctx context.Context, ids []int64) {
	if len(ids) == 0 || s.mail == nil {
		return
	}
	if err := s.mail.Enqueue(ctx, ids); err != nil {
		s.log.WarnContext(ctx, "enqueue e-mails", "error", err, "count", len(ids))
	}
}

func entry(p *auth.Principal, action string, id ID, detail map[string]any) audit.Entry {
	uid := int64(p.UserID)
	e := audit.Entry{ActorID: &uid, ActorName: p.Username, Action: action, ObjectType: "meeting", Detail: detail, IP: p.IP}
	if id != 0 {
		e.ObjectID = fmt.Sprint(id)
	}
	return e
}
