package httpapi

import (
	"context"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/meeting"
)

func (s *Server) getAgenda(ctx context.Context, p *auth.Principal, id meeting.ID) (map[string]any, error) {
	items, err := s.Meetings.Agenda(ctx, p, id)
	return list("items", items), err
}

type itemPosition struct {
	Position int `json:"position"`
}

// moveAgendaItem answers the agenda in its new order.
func (s *Server) moveAgendaItem(ctx context.Context, p *auth.Principal, id meeting.ID, item meeting.ItemID, in itemPosition) (map[string]any, error) {
	if err := s.Meetings.MoveItem(ctx, p, id, item, in.Position); err != nil {
		return nil, err
	}
	return s.getAgenda(ctx, p, id)
}
