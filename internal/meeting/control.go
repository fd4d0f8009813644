package meeting

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
)

var (
	inSession = []Status{StatusInSession}
	// Roll call starts when the meeting is published: halls connect early.
	live = []Status{StatusPublished, StatusInSession}
)

// OpenSession starts the live session of a published meeting.
func (s *Service) OpenSession(ctx context.Context, p *auth.Principal, id ID) error {
	if _, err := s.manage(ctx, id, p); err != nil {
		return err
	}
	_, evs, _, err := s.store.Transition(ctx, id, Transition{From: []Status{StatusPublished}, To: StatusInSession, At: s.now(),
		Actor: p.UserID, Event: EventSessionOpened, Audit: entry(p, "session.open", id, nil)})
	if err != nil {
		return err
	}
	s.publish(ctx, evs)
	return nil
}

// CloseSession ends the session: the current item and speaker end with it.
// An open vote must be closed first.
func (s *Service) CloseSession(ctx context.Context, p *auth.Principal, id ID) error {
	if _, err := s.manage(ctx, id, p); err != nil {
		return err
	}
	_, evs, _, err := s.store.Transition(ctx, id, Transition{From: inSession, To: StatusEnded, At: s.now(),
		Actor: p.UserID, Event: EventSessionClosed, Audit: entry(p, "session.close", id, nil)})
	if err != nil {
		return err
	}
	s.publish(ctx, evs)
	s.followFloor(ctx, id, evs)
	return nil
}

func (s *Service) command(ctx context.Context, id ID, c Command) ([]Event, error) {
	if c.At.IsZero() {
		c.At = s.now()
	}
	evs, err := s.store.Session(ctx, id, c)
	if err != nil {
		return nil, err
	}
	s.publish(ctx, evs)
	return evs, nil
}

func actor(p *auth.Principal) *auth.UserID { u := p.UserID; return &u }

// SetItem puts an item on every screen (nil: none); the previous item's
// end and this one's start are recorded.
func (s *Service) SetItem(ctx context.Context, p *auth.Principal, id ID, item *ItemID) error {
	if _, err := s.manage(ctx, id, p); err != nil {
		return err
	}
	_, err := s.command(ctx, id, Command{Kind: CmdSetItem, Allowed: inSession, Actor: actor(p), Item: item})
	return err
}

// RequestFloor asks for the floor: for oneself (a delegate, presenter or
// organizer), or for a hall its operator runs.
func (s *Service) RequestFloor(ctx context.Context, p *auth.Principal, id ID, hall *auth.HallID) (RequestID, error) {
	a, err := s.Access(ctx, id, p)
	if err != nil {
		return 0, err
	}
	c := Command{Kind: CmdRequestFloor, Allowed: inSession, Actor: actor(p)}
	if hall != nil {
		if !a.OperatesHall(*hall) {
			return 0, ErrForbidden
		}
		c.Hall = hall
	} else {
		if !a.Has(RoleDelegate) && !a.Has(RolePresenter) && !a.Has(RoleChair) && !a.Has(RoleSecretary) {
			return 0, ErrForbidden
		}
		c.User = actor(p)
	}
	evs, err := s.command(ctx, id, c)
	if err != nil {
		return 0, err
	}
	return requestOf(evs), nil
}

// WithdrawFloor withdraws a waiting request: one's own (or one's hall's),
// or any for an organizer.
func (s *Service) WithdrawFloor(ctx context.Context, p *auth.Principal, id ID, req RequestID) error {
	a, err := s.Access(ctx, id, p)
	if err != nil {
		return err
	}
	c := Command{Kind: CmdWithdraw, Allowed: inSession, Actor: actor(p), Request: req}
	if !a.CanManage() {
		c.OnlyOwn, c.User, c.Halls = true, actor(p), a.HallIDs
	}
	_, err = s.command(ctx, id, c)
	return err
}

// GrantFloor gives the floor to a request (ending the current speaker's);
// the speaker's hall becomes the main picture everywhere.
func (s *Service) GrantFloor(ctx context.Context, p *auth.Principal, id ID, req RequestID) error {
	if _, err := s.manage(ctx, id, p); err != nil {
		return err
	}
	evs, err := s.command(ctx, id, Command{Kind: CmdGrant, Allowed: inSession, Actor: actor(p), Request: req})
	if err != nil {
		return err
	}
	s.followFloor(ctx, id, evs)
	return nil
}

// EndFloor ends a speaker's turn (organizers).
func (s *Service) EndFloor(ctx context.Context, p *auth.Principal, id ID, req RequestID) error {
	if _, err := s.manage(ctx, id, p); err != nil {
		return err
	}
	evs, err := s.command(ctx, id, Command{Kind: CmdEndFloor, Allowed: inSession, Actor: actor(p), Request: req})
	if err != nil {
		return err
	}
	s.followFloor(ctx, id, evs)
	return nil
}

// followFloor tells the SFU what the session's speaking events mean for
// the floor: a grant pins the speaker, an end unpins (the picture follows
// the active speaker again; without this it stayed on the first speaker
// granted for the rest of the session). The last of them wins (a grant
// ends the previous turn first). The SFU's refusal is logged, not
// returned: the session has changed and its events are out.
func (s *Service) followFloor(ctx context.Context, id ID, evs []Event) {
	media := s.mediaOf()
	if media == nil {
		return
	}
	pin, change := "", false
	var user *auth.UserID
	for _, e := range evs {
		switch e.Type {
		case EventSpeakGranted:
			pin, change, user = speakerIdentity(e), true, refs(e).UserID
		case EventSpeakEnded:
			pin, change, user = "", true, nil
		}
	}
	if !change {
		return
	}
	err := media.PinFloor(RoomName(id), pin)
	if err != nil && user != nil && pin != UserIdentity(*user) {
		// The speaker's hall is not in the room: their own browser may be.
		pin = UserIdentity(*user)
		err = media.PinFloor(RoomName(id), pin)
	}
	if err != nil {
		s.log.WarnContext(ctx, "pin floor", "meeting_id", id, "identity", pin, "error", err)
	}
}

// VoteInput is a question put to a vote.
type VoteInput struct {
	Question   string   `json:"question"`
	Options    []string `json:"options"`
	Secret     bool     `json:"secret"`
	VoterRoles []Role   `json:"voter_roles"`
	// Base and Rule decide the result: the first option must win more
	// than half (or two thirds) of the voters present (or of all invited).
	Base Base `json:"base"`
	Rule Rule `json:"rule"`
}

// DefaultOptions are the usual choices (tán thành, không tán thành, không biểu quyết).
var DefaultOptions = []string{"yes", "no", "abstain"}

// OpenVote puts a question to a vote (one open vote at a time).
func (s *Service) OpenVote(ctx context.Context, p *auth.Principal, id ID, in VoteInput) (VoteID, error) {
	if _, err := s.manage(ctx, id, p); err != nil {
		return 0, err
	}
	bad := map[string]fault.Problem{}
	in.Question = strings.TrimSpace(in.Question)
	if p := fault.Length(len([]rune(in.Question)), 1, 1000); !p.IsZero() {
		bad["question"] = p
	}
	if len(in.Options) == 0 {
		in.Options = DefaultOptions
	}
	if len(in.Options) < 2 || len(in.Options) > 20 {
		bad["options"] = fault.OutOfRange
	}
	for i, o := range in.Options {
		in.Options[i] = strings.TrimSpace(o)
		if n := len([]rune(in.Options[i])); n < 1 || n > 200 || slices.Index(in.Options, in.Options[i]) != i {
			bad["options"] = fault.Duplicate
		}
	}
	if len(in.VoterRoles) == 0 {
		in.VoterRoles = []Role{RoleDelegate, RoleChair}
	}
	for _, r := range in.VoterRoles {
		if !r.Valid() {
			bad["voter_roles"] = fault.UnknownValue
		}
	}
	if in.Base == "" {
		in.Base = BasePresent
	}
	if !in.Base.Valid() {
		bad["base"] = fault.UnknownValue
	}
	if in.Rule == "" {
		in.Rule = RuleMajority
	}
	if !in.Rule.Valid() {
		bad["rule"] = fault.UnknownValue
	}
	if len(bad) > 0 {
		return 0, &fault.Invalid{Fields: bad}
	}
	evs, err := s.command(ctx, id, Command{Kind: CmdOpenVote, Allowed: inSession, Actor: actor(p),
		Question: in.Question, Options: in.Options, Secret: in.Secret, VoterRoles: in.VoterRoles, Base: in.Base, Rule: in.Rule})
	if err != nil {
		return 0, err
	}
	return voteOf(evs), nil
}

// Cast records p's ballot; one per voter (a unique key enforces it). The
// store checks p holds a voting role and the choice is an option.
func (s *Service) Cast(ctx context.Context, p *auth.Principal, id ID, vote VoteID, choice string) error {
	a, err := s.Access(ctx, id, p)
	if err != nil {
		return err
	}
	if len(a.Roles) == 0 {
		return ErrForbidden
	}
	_, err = s.command(ctx, id, Command{Kind: CmdCastBallot, Allowed: inSession, Actor: actor(p), User: actor(p), Vote: vote, Choice: choice, VoterRoles: a.Roles})
	return err
}

// CloseVote closes the vote and publishes its result to everyone.
func (s *Service) CloseVote(ctx context.Context, p *auth.Principal, id ID, vote VoteID) error {
	if _, err := s.manage(ctx, id, p); err != nil {
		return err
	}
	_, err := s.command(ctx, id, Command{Kind: CmdCloseVote, Allowed: inSession, Actor: actor(p), Vote: vote})
	return err
}

// MuteHall mutes or unmutes an invited hall (Moderate with ActMute or
// ActUnmute; the route the room used before moderation of people).
func (s *Service) MuteHall(ctx context.Context, p *auth.Principal, id ID, hall auth.HallID, muted bool) error {
	action := ActUnmute
	if muted {
		action = ActMute
	}
	return s.Moderate(ctx, p, id, action, Target{HallID: &hall})
}

// MarkAttendance checks a person in (in a hall, online) or marks them
// absent: organizers for anyone, an operator for people in its hall.
func (s *Service) MarkAttendance(ctx context.Context, p *auth.Principal, id ID, user auth.UserID, status string, hall *auth.HallID) error {
	a, err := s.Access(ctx, id, p)
	if err != nil {
		return err
	}
	switch status {
	case AttendInHall:
		if hall == nil {
			return fault.Field("hall_id", fault.Required)
		}
	case AttendOnline, AttendAbsent:
		hall = nil
	default:
		return fault.Field("status", fault.UnknownValue)
	}
	if !a.CanManage() && (hall == nil || !a.OperatesHall(*hall)) {
		return ErrForbidden
	}
	_, err = s.command(ctx, id, Command{Kind: CmdAttendance, Allowed: live, Actor: actor(p), User: &user, Hall: hall, Attendance: status})
	return err
}

// HallConnected records that a hall's browser joined the room (called by
// the SFU observer); HallDisconnected that it left.
func (s *Service) HallConnected(ctx context.Context, id ID, hall auth.HallID, at time.Time) error {
	return s.presence(ctx, id, hall, true, at)
}

// HallDisconnected records that a hall's browser left the room.
func (s *Service) HallDisconnected(ctx context.Context, id ID, hall auth.HallID, at time.Time) error {
	return s.presence(ctx, id, hall, false, at)
}

func (s *Service) presence(ctx context.Context, id ID, hall auth.HallID, connected bool, at time.Time) error {
	evs, err := s.store.Session(ctx, id, Command{Kind: CmdHallPresence, Allowed: live, At: at, Hall: &hall, Connected: connected})
	if err != nil {
		return err
	}
	s.publish(ctx, evs)
	if connected {
		s.reapply(ctx, id, Target{HallID: &hall}, at)
	}
	return nil
}

// UserConnected records that a person joined from their own browser:
// they are present online (unless already checked in in a hall).
func (s *Service) UserConnected(ctx context.Context, id ID, user auth.UserID, at time.Time) error {
	evs, err := s.store.Session(ctx, id, Command{Kind: CmdAttendance, Allowed: live, At: at, User: &user, Attendance: AttendOnline})
	if err != nil {
		return err
	}
	s.publish(ctx, evs)
	s.reapply(ctx, id, Target{UserID: &user}, at)
	return nil
}

// UserDisconnected records that a person's own browser left: online
// becomes absent (an operator's in-hall check-in stays).
func (s *Service) UserDisconnected(ctx context.Context, id ID, user auth.UserID, at time.Time) error {
	evs, err := s.store.Session(ctx, id, Command{Kind: CmdAttendance, Allowed: live, At: at, User: &user, Attendance: AttendAbsent})
	if err != nil {
		return err
	}
	s.publish(ctx, evs)
	return nil
}

// Snapshot is the session's state for p; counts of an open vote only for
// organizers of an open (not secret) vote.
func (s *Service) Snapshot(ctx context.Context, p *auth.Principal, id ID) (Snapshot, Access, error) {
	a, err := s.Access(ctx, id, p)
	if err != nil {
		return Snapshot{}, a, err
	}
	snap, err := s.snapshots.get(ctx, id)
	if err != nil {
		return Snapshot{}, a, err
	}
	if snap.Vote != nil && (snap.Vote.Secret || !a.CanManage()) {
		// The loaded snapshot is shared with other callers: change a copy.
		v := *snap.Vote
		v.Counts = nil
		snap.Vote = &v
	}
	return snap, a, nil
}

// EventsSince returns up to limit events after seq, for a reconnecting
// browser; organizer-only events are left out for others.
func (s *Service) EventsSince(ctx context.Context, a Access, seq int64, limit int) ([]Event, error) {
	evs, err := s.store.EventsSince(ctx, a.MeetingID, seq, limit)
	if err != nil {
		return nil, err
	}
	if a.CanManage() {
		return evs, nil
	}
	return slices.DeleteFunc(evs, Event.OrganizersOnly), nil
}

// FloorOf is the SFU identity the room's floor belongs to by the session
// read from PostgreSQL: the hall of the request now speaking, else the
// person's own browser ("" when nobody speaks). A node that becomes a
// room's home after its previous home died pins it (internal/app).
func (s *Service) FloorOf(ctx context.Context, room string) (hall, user string, err error) {
	var id ID
	if _, err := fmt.Sscanf(room, "meeting-%d", &id); err != nil || RoomName(id) != room {
		return "", "", fmt.Errorf("%w: room %q is not a meeting's", ErrNotFound, room)
	}
	snap, err := s.snapshots.get(ctx, id)
	if err != nil {
		return "", "", err
	}
	for _, r := range snap.Queue {
		if r.Status != "speaking" {
			continue
		}
		if r.HallID != nil {
			hall = HallIdentity(*r.HallID)
		}
		if r.UserID != nil {
			user = UserIdentity(*r.UserID)
		}
	}
	return hall, user, nil
}
