package httpapi

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/document"
	"github.com/cau-gov/cau/internal/fault"
)

// documentPatch is the body of PATCH /api/v1/documents/{id}; absent fields
// stay as they are. item_id may be null (attach to the whole meeting),
// so it is kept raw to tell null from absent.
type documentPatch struct {
	Title          *string         `json:"title"`
	ItemID         json.RawMessage `json:"item_id"`
	Confidential   *bool           `json:"confidential"`
	AllowedUserIDs *[]int64        `json:"allowed_user_ids"`
}

// PATCH /api/v1/documents/{id}
func (s *Server) updateDocument(ctx context.Context, p *auth.Principal, id document.ID, body documentPatch) (documentJSON, error) {
	u := document.Update{Title: body.Title, Confidential: body.Confidential}
	if len(body.ItemID) > 0 {
		u.SetItem = true
		if !bytes.Equal(body.ItemID, []byte("null")) {
			var n int64
			if err := json.Unmarshal(body.ItemID, &n); err != nil || n < 1 {
				return documentJSON{}, fault.Field("item_id", fault.WrongFormat)
			}
			item := document.ItemID(n)
			u.ItemID = &item
		}
	}
	if body.AllowedUserIDs != nil {
		ids := make([]auth.UserID, 0, len(*body.AllowedUserIDs))
		for _, n := range *body.AllowedUserIDs {
			if n < 1 {
				return documentJSON{}, fault.Field("allowed_user_ids", fault.WrongFormat)
			}
			ids = append(ids, auth.UserID(n))
		}
		u.AllowedUserIDs = &ids
	}
	d, err := s.Documents.Update(ctx, p, id, u)
	if err != nil {
		return documentJSON{}, err
	}
	return toDocumentJSON(d), nil
}
