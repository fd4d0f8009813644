package minutes

import (
	"sort"
	"time"

	"github.com/cau-gov/cau/internal/auth"
)

// Proceedings are what the meetings schema recorded about a live session
// (the input a draft of the minutes is made from), as the
// store reads it back (meeting row, participants and roll call, the hall
// connect/disconnect events of the session log, agenda items with their
// actual times, granted floors and closed votes).
type Proceedings struct {
	MeetingID  MeetingID
	UnitID     auth.UnitID
	Title      string
	Place      string
	OpenedAt   *time.Time
	ClosedAt   *time.Time
	People     []SessionPerson
	Halls      []SessionHall
	HallEvents []HallEvent // in log order
	Items      []SessionItem
	Floors     []Floor
	Votes      []SessionVote
	Acts       []Act // events of the log that name who caused them
}

// Act is an event of the session log caused by a person (the chair moving
// to an item, granting the floor, opening a vote; a delegate asking for
// the floor or casting an open ballot; an organizer taking the roll call).
type Act struct {
	UserID auth.UserID
	At     time.Time
}

// SessionPerson is an invited person and their roll call status
// ("in_hall", "online", "absent", or "" when never marked).
type SessionPerson struct {
	UserID   auth.UserID
	Name     string
	Position string
	Role     string // chair, secretary, delegate, presenter, guest, observer
	Status   string
	HallID   *auth.HallID // the hall the person was invited to sit in, if any
	JoinedAt *time.Time   // first arrival (own browser or checked in)
	LeftAt   *time.Time   // last departure, nil while present
}

// SessionHall is an invited hall.
type SessionHall struct {
	HallID auth.HallID
	Name   string
}

// HallEvent is a hall.connected / hall.disconnected event.
type HallEvent struct {
	HallID    auth.HallID
	Connected bool
	At        time.Time
}

// SessionItem is an agenda item with its actual times.
type SessionItem struct {
	ItemID    int64
	Position  int
	Title     string
	Presenter string
	StartedAt *time.Time
	EndedAt   *time.Time
}

// Floor is a granted speaking request.
type Floor struct {
	ItemID *int64
	Name   string
	Hall   string
	From   time.Time
	Until  *time.Time
}

// SessionVote is a closed vote with its counts.
type SessionVote struct {
	ItemID   *int64
	Question string
	Secret   bool
	Options  []string
	Counts   map[string]int
	Ballots  int
	Eligible int
	OpenedAt time.Time
	// The vote's rule and the result fixed at its close.
	Base      string
	Rule      string
	BaseCount *int
	Passed    *bool
}

// Draft builds the minutes' body from the session. Speakers and votes go
// under their agenda item; those outside any item are placed under the
// item that was running at the time, else left out of the items and kept
// in order under an item-less heading by the PDF (Items with ItemID 0).
func Draft(s Proceedings) Body {
	b := Body{Title: s.Title, Place: s.Place, OpenedAt: s.OpenedAt, ClosedAt: s.ClosedAt,
		Halls: []Hall{}, People: []Person{}, Items: []Item{}, Conclusions: []Conclusion{}}

	acted, seated := attendedBy(s)
	for _, p := range s.People {
		switch p.Role {
		case "chair":
			b.Chair = p.Name
		case "secretary":
			if b.Secretary == "" {
				b.Secretary = p.Name
			}
		}
		b.People = append(b.People, Person{UserID: p.UserID, Name: p.Name, Position: p.Position, Role: p.Role,
			Attendance: attendance(p, acted, seated), Joined: p.JoinedAt, Left: p.LeftAt})
	}

	// Halls: first connection and, if it ended disconnected, last departure.
	byHall := map[auth.HallID]*Hall{}
	for _, h := range s.Halls {
		b.Halls = append(b.Halls, Hall{HallID: h.HallID, Name: h.Name})
	}
	for i := range b.Halls {
		byHall[b.Halls[i].HallID] = &b.Halls[i]
	}
	for _, e := range s.HallEvents {
		h := byHall[e.HallID]
		if h == nil {
			continue // a hall removed from the invitation after the session
		}
		at := e.At
		if e.Connected {
			h.Present = true
			if h.Joined == nil {
				h.Joined = &at
			}
			h.Left = nil
		} else if h.Present {
			h.Left = &at
		}
	}

	index := map[int64]int{}
	for _, it := range s.Items {
		index[it.ItemID] = len(b.Items)
		b.Items = append(b.Items, Item{ItemID: it.ItemID, Position: it.Position, Title: it.Title, Presenter: it.Presenter,
			StartedAt: it.StartedAt, EndedAt: it.EndedAt, Speakers: []Speaker{}, Votes: []Vote{}})
	}
	// place finds the item a floor or vote belongs to: its own, else the
	// item running at that instant.
	place := func(item *int64, at time.Time) int {
		if item != nil {
			if i, ok := index[*item]; ok {
				return i
			}
		}
		for i, it := range b.Items {
			if it.StartedAt != nil && !at.Before(*it.StartedAt) && (it.EndedAt == nil || at.Before(*it.EndedAt)) {
				return i
			}
		}
		return -1
	}
	floors := append([]Floor(nil), s.Floors...)
	sort.SliceStable(floors, func(i, j int) bool { return floors[i].From.Before(floors[j].From) })
	for _, f := range floors {
		if i := place(f.ItemID, f.From); i >= 0 {
			b.Items[i].Speakers = append(b.Items[i].Speakers, Speaker{Name: f.Name, Hall: f.Hall, From: f.From, Until: f.Until})
		}
	}
	for _, v := range s.Votes {
		if i := place(v.ItemID, v.OpenedAt); i >= 0 {
			b.Items[i].Votes = append(b.Items[i].Votes, Vote{Question: v.Question, Secret: v.Secret, Options: v.Options,
				Counts: v.Counts, Ballots: v.Ballots, Eligible: v.Eligible, Base: v.Base, Rule: v.Rule, BaseCount: v.BaseCount, Passed: v.Passed})
		}
	}
	return b
}

// leadIn is how long before the chair opens the session its acts still
// count as attending it: operators connect halls and organizers take the
// roll call as people arrive, before the opening.
const leadIn = 2 * time.Hour

// attendance is a person's attendance as a provincial office records it.
// The roll call decides when it says present (in the hall, online); a
// person who acted in the session (opened it, moved the agenda, granted
// the floor, voted openly, took the roll call) was there whatever the roll
// call says, as the chair and the secretary who run a session seldom check
// themselves in; otherwise a person marked absent is absent with notice,
// and one invited to sit in a hall that was connected during the session
// is present there (the operator did not tick every name); anyone else is
// absent without known cause, for the secretary to correct.
func attendance(p SessionPerson, acted map[auth.UserID]bool, seated map[auth.HallID]bool) string {
	switch {
	case p.Status == "in_hall" || p.Status == "online" || acted[p.UserID]:
		return Present
	case p.Status == "absent":
		return AbsentNotice
	case p.HallID != nil && seated[*p.HallID]:
		return Present
	}
	return AbsentNoCause
}

// attendedBy finds who acted during the session (from leadIn before its
// opening to its closing) and which halls were connected at some moment
// of it. A session never opened has no window: nobody attended it.
func attendedBy(s Proceedings) (acted map[auth.UserID]bool, seated map[auth.HallID]bool) {
	acted, seated = map[auth.UserID]bool{}, map[auth.HallID]bool{}
	if s.OpenedAt == nil {
		return acted, seated
	}
	from, until := *s.OpenedAt, s.ClosedAt
	within := func(t time.Time) bool { return !t.Before(from.Add(-leadIn)) && (until == nil || !t.After(*until)) }
	for _, a := range s.Acts {
		if within(a.At) {
			acted[a.UserID] = true
		}
	}
	// A hall counts if a connection of it overlaps [opened, closed]: it
	// connected before the closing and left after the opening (or never).
	since := map[auth.HallID]time.Time{}
	for _, e := range s.HallEvents {
		if e.Connected {
			if _, on := since[e.HallID]; !on {
				since[e.HallID] = e.At
			}
			continue
		}
		if c, on := since[e.HallID]; on {
			if !e.At.Before(from) && (until == nil || !c.After(*until)) {
				seated[e.HallID] = true
			}
			delete(since, e.HallID)
		}
	}
	for h, c := range since { // still connected at the end of the log
		if until == nil || !c.After(*until) {
			seated[h] = true
		}
	}
	return acted, seated
}

// Refresh re-drafts the facts of a draft from the session while keeping
// what the editors wrote (notes, discussions, conclusions, title, place).
func Refresh(old Body, s Proceedings) Body {
	b := Draft(s)
	b.Title, b.Place, b.Notes, b.Conclusions = old.Title, old.Place, old.Notes, old.Conclusions
	written := map[int64]string{}
	for _, it := range old.Items {
		written[it.ItemID] = it.Discussion
	}
	for i := range b.Items {
		b.Items[i].Discussion = written[b.Items[i].ItemID]
	}
	return b
}
