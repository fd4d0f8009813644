// Package search finds meetings, documents (by title) and tasks for a
// person, diacritics-insensitively: "ke hoach" finds "Kế hoạch". The store
// folds both sides with vn_fold and matches on trigram GIN indexes, and
// filters by what the person may see.
package search

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
)

// Kinds of result.
const (
	KindMeeting  = "meeting"
	KindDocument = "document"
	KindTask     = "task"
)

// Result is one hit.
type Result struct {
	Kind      string `json:"kind"`
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	MeetingID *int64 `json:"meeting_id,omitempty"`
}

// Query is a search request with what the store needs to filter by access.
type Query struct {
	Text   string
	Kinds  []string // empty: all
	Limit  int
	User   auth.UserID
	Unit   auth.UnitID
	SeeAll bool // province-wide admins and observers
	// Dashboards: chairs and secretaries see every task.
	AllTasks bool
}

// Store runs the query.
type Store interface {
	Search(ctx context.Context, q Query) ([]Result, error)
}

// Service checks the query and the principal's reach.
type Service struct{ store Store }

// NewService builds the service.
func NewService(s Store) *Service { return &Service{store: s} }

// Search finds up to limit results (default 20, at most 100) per kind.
func (s *Service) Search(ctx context.Context, p *auth.Principal, text string, kinds []string, limit int) ([]Result, error) {
	text = strings.TrimSpace(text)
	if p := fault.Length(utf8.RuneCountInString(text), 2, 200); !p.IsZero() {
		return nil, fault.Field("q", p)
	}
	for _, k := range kinds {
		if k != KindMeeting && k != KindDocument && k != KindTask {
			return nil, fault.Field("kind", fault.UnknownValue)
		}
	}
	if limit <= 0 {
		limit = 20
	}
	if limit > 100 {
		return nil, fault.Field("limit", fault.OutOfRange)
	}
	seeAll := p.HasGlobal(auth.RoleAdmin) || p.HasGlobal(auth.RoleObserver)
	return s.store.Search(ctx, Query{Text: text, Kinds: kinds, Limit: limit, User: p.UserID, Unit: p.UnitID, SeeAll: seeAll,
		AllTasks: seeAll || p.HasAnywhere(auth.RoleChair, auth.RoleSecretary)})
}
