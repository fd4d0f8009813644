package minutes

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cau-gov/cau/internal/auth"
)

// Notice is the approved conclusion notice as a reader sees it in the app:
// the users of a unit it is addressed to (who were not at the meeting and
// may not read the minutes) get their unit and the conclusions that
// concern it; the meeting's people get every unit and every conclusion.
type Notice struct {
	MeetingID  MeetingID  `json:"meeting_id"`
	Symbol     string     `json:"notice_symbol"` // "3/TB-UBND"
	ApprovedAt time.Time  `json:"approved_at"`   // the notice's date
	Title      string     `json:"title"`         // the meeting, as the minutes name it
	Chair      string     `json:"chair"`
	OpenedAt   *time.Time `json:"opened_at"`
	// Units are the recipients the reader reads for: their own unit, or
	// all of them for the meeting's people.
	Units []NoticeUnit `json:"units"`
	// Conclusions are those concerning Units, numbered as in the notice.
	Conclusions []NoticeConclusion `json:"conclusions"`
	// File is the stored (signed) notice PDF; nil until the distribution
	// job has stored it.
	File *File `json:"file"`
	// Participant is true for the meeting's people, who also read the minutes.
	Participant bool `json:"participant"`
}

// NoticeConclusion is a conclusion as the notice prints it.
type NoticeConclusion struct {
	Number int    `json:"number"`
	Text   string `json:"text"`
}

// Notice returns the approved conclusion notice to someone who may read
// it (ErrNotFound to anyone else, and to a unit's user before approval;
// ErrNotApproved to the meeting's people while the minutes are a draft).
// The read is audited like every read of minutes.
func (s *Service) Notice(ctx context.Context, p *auth.Principal, id MeetingID) (Notice, error) {
	m, err := s.readable(ctx, p, id, true)
	if err != nil {
		return Notice{}, err
	}
	if len(m.Body.Conclusions) == 0 {
		return Notice{}, fmt.Errorf("meeting %d has no conclusions: %w", id, ErrNotFound)
	}
	if m.Status != StatusApproved || m.ApprovedAt == nil {
		return Notice{}, fmt.Errorf("notice of meeting %d: %w", id, ErrNotApproved)
	}
	r, err := s.role(ctx, p, id)
	if err != nil {
		return Notice{}, err
	}
	n := Notice{MeetingID: id, Symbol: m.NoticeSymbol, ApprovedAt: *m.ApprovedAt, Title: m.Body.Title, Chair: m.Body.Chair,
		OpenedAt: m.Body.OpenedAt, Units: []NoticeUnit{}, Conclusions: []NoticeConclusion{},
		Participant: r != "" || p.HasGlobal(auth.RoleObserver)}
	var numbers []int
	for _, u := range m.NoticeUnits {
		if n.Participant || u.UnitID == p.UnitID {
			n.Units = append(n.Units, u)
			numbers = append(numbers, u.Conclusions...)
		}
	}
	for _, c := range m.Body.Conclusions {
		if n.Participant || slices.Contains(numbers, c.Number) {
			n.Conclusions = append(n.Conclusions, NoticeConclusion{Number: c.Number, Text: c.Text})
		}
	}
	if f, ok := m.File(FileNotice); ok {
		n.File = &f
	}
	if err := s.store.Audit(ctx, entry(p, "minutes.read", id, map[string]any{"what": "notice", "version": m.Version}), s.now()); err != nil {
		return Notice{}, err
	}
	return n, nil
}
