package document

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
)

// Update changes a document's description; nil fields stay as they are.
type Update struct {
	Title *string
	// SetItem applies ItemID (nil ItemID: attach to the meeting as a whole).
	SetItem        bool
	ItemID         *ItemID
	Confidential   *bool
	AllowedUserIDs *[]auth.UserID
}

// Update changes title, agenda item, confidentiality or the people named
// on a document (organizers only). Making a document open clears its
// named list; the change and the old and new values are audited.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id ID, u Update) (Document, error) {
	d, acc, err := s.load(ctx, p, id)
	if err != nil {
		return Document{}, err
	}
	if !acc.CanManage {
		return Document{}, ErrForbidden
	}
	next := d
	bad := map[string]fault.Problem{}
	if u.Title != nil {
		t := strings.Join(strings.Fields(*u.Title), " ")
		switch {
		case t == "":
			bad["title"] = fault.Required
		case utf8.RuneCountInString(t) > maxTitle:
			bad["title"] = fault.TooLong
		}
		next.Title = t
	}
	if u.SetItem {
		next.ItemID = u.ItemID
		if u.ItemID != nil {
			ok, err := s.store.ItemInMeeting(ctx, d.MeetingID, *u.ItemID)
			if err != nil {
				return Document{}, err
			}
			if !ok {
				bad["item_id"] = fault.NoSuch
			}
		}
	}
	if u.Confidential != nil {
		next.Confidential = *u.Confidential
	}
	if u.AllowedUserIDs != nil {
		ids := slices.Clone(*u.AllowedUserIDs)
		slices.Sort(ids)
		next.AllowedUserIDs = slices.Compact(ids)
		switch {
		case !next.Confidential && len(next.AllowedUserIDs) > 0:
			bad["allowed_user_ids"] = fault.NotAllowed
		case len(next.AllowedUserIDs) > 1000:
			bad["allowed_user_ids"] = fault.OutOfRange
		case len(next.AllowedUserIDs) > 0:
			missing, err := s.store.MissingUsers(ctx, next.AllowedUserIDs)
			if err != nil {
				return Document{}, err
			}
			if len(missing) > 0 {
				bad["allowed_user_ids"] = fault.NoSuch
			}
		}
	} else if !next.Confidential {
		next.AllowedUserIDs = nil
	}
	if len(bad) > 0 {
		return Document{}, &fault.Invalid{Fields: bad}
	}
	next.UpdatedAt = s.now()
	detail := map[string]any{"meeting_id": d.MeetingID,
		"before": map[string]any{"title": d.Title, "item_id": d.ItemID, "confidential": d.Confidential, "allowed_user_ids": d.AllowedUserIDs},
		"after":  map[string]any{"title": next.Title, "item_id": next.ItemID, "confidential": next.Confidential, "allowed_user_ids": next.AllowedUserIDs},
	}
	if err := s.store.UpdateDocument(ctx, next, entry(p, "document.update", id, detail)); err != nil {
		return Document{}, fmt.Errorf("update document: %w", err)
	}
	return s.store.Document(ctx, id)
}
