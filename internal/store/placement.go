package store

import (
	"context"
	"fmt"

	"github.com/cau-gov/cau/internal/auth"
)

// UnitAncestry returns a unit and its ancestors, the unit first and the
// root last: where a joining client's unit sits in the tree, for placing
// it on the SFU node that serves its district (internal/cluster). With a
// hall, the hall's unit is used instead of unit.
func (db *DB) UnitAncestry(ctx context.Context, hall *auth.HallID, unit auth.UnitID) ([]int64, error) {
	if hall != nil {
		if err := db.Pool.QueryRow(ctx, `SELECT unit_id FROM halls WHERE id = $1`, *hall).Scan(&unit); err != nil {
			return nil, fmt.Errorf("unit of hall %d: %w", *hall, notFound(err, fmt.Sprintf("hall %d", *hall)))
		}
	}
	ids, err := db.Ancestry(ctx, unit)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return out, nil
}
