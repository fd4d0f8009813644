package minutes

import (
	"sort"
	"time"

	"github.com/cau-gov/cau/internal/auth"
)

// Session is what the meetings schema recorded about a session, as the
// store reads it back (meeting row, participants and roll call, the hall
// connect/disconnect events of the session log, agenda items with their
// actual times, granted floors and closed votes).
type Session struct {
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
}

// SessionPerson is an invited person and their roll call status
// ("in_hall", "online", "absent", or "" when never marked).
type SessionPerson struct {
	UserID   auth.UserID
	Name     string
	Position string
	Role     string // chair, secretary, delegate, presenter, guest, observer
	Status   string
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
}

// Draft builds the minutes' body from the session. Speakers and votes go
// under their agenda item; those outside any item are placed under the
// item that was running at the time, else left out of the items and kept
// in order under an item-less heading by the PDF (Items with ItemID 0).
func Draft(s Session) Body {
	b := Body{Title: s.Title, Place: s.Place, OpenedAt: s.OpenedAt, ClosedAt: s.ClosedAt,
		Halls: []Hall{}, People: []Person{}, Items: []Item{}, Conclusions: []Conclusion{}}

	for _, p := range s.People {
		switch p.Role {
		case "chair":
			b.Chair = p.Name
		case "secretary":
			if b.Secretary == "" {
				b.Secretary = p.Name
			}
		}
		att := AbsentNoCause
		switch p.Status {
		case "in_hall", "online":
			att = Present
		case "absent":
			att = AbsentNotice
		}
		b.People = append(b.People, Person{UserID: p.UserID, Name: p.Name, Position: p.Position, Role: p.Role, Attendance: att})
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
				Counts: v.Counts, Ballots: v.Ballots, Eligible: v.Eligible})
		}
	}
	return b
}

// Refresh re-drafts the facts of a draft from the session while keeping
// what the editors wrote (notes, discussions, conclusions, title, place).
func Refresh(old Body, s Session) Body {
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
