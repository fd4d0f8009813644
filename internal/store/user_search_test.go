package store_test

import (
	"context"
	"testing"

	"github.com/cau-gov/cau/internal/org"
	"github.com/cau-gov/cau/internal/pgtest"
)

// TestUserSearchRanksExactMatchesFirst: the meeting editor invites the
// first row on Enter, so the person whose username or whole name was typed
// must come before the people whose names merely contain it, whatever the
// alphabet says.
func TestUserSearchRanksExactMatchesFirst(t *testing.T) {
	db := pgtest.New(t)
	unit := seedUnit(t, db)
	for _, u := range [][2]string{
		{"an.nguyen", "Nguyễn Văn An"},
		{"an", "Trần Thị Bình"},
		{"anh.le", "Lê Minh Anh"},
		{"ban", "Bùi Thị An"},
		{"nam", "Đặng Văn Nam"},
		{"nam.an", "An Văn Nam"},
		{"hoa", "Phạm Thị Hoa"},
	} {
		mustExec(t, db.Pool, `INSERT INTO users (unit_id, username, full_name, password_hash) VALUES ($1, $2, $3, 'x')`, unit, u[0], u[1])
	}
	for _, c := range []struct {
		q     string
		first []string // the leading usernames, in order
		total int
	}{
		// The username "an" exactly, then names starting with "an" (folded),
		// or usernames starting with it (by name), then every other match.
		{"an", []string{"an", "nam.an", "anh.le", "an.nguyen", "ban", "nam"}, 6},
		// The whole name, diacritics-insensitive, before "Đặng Văn Nam".
		{"an van nam", []string{"nam.an"}, 1},
		{"Đặng Văn Nam", []string{"nam"}, 1},
		{"nam", []string{"nam", "nam.an"}, 2},
		{"HOA", []string{"hoa"}, 1},
	} {
		got, total, err := db.Users(context.Background(), org.UserFilter{Query: c.q, Limit: 50})
		if err != nil {
			t.Fatalf("search %q: %v", c.q, err)
		}
		if total != c.total || len(got) < len(c.first) {
			t.Fatalf("search %q: %d matches (%d rows), want %d", c.q, total, len(got), c.total)
		}
		for i, want := range c.first {
			if got[i].Username != want {
				names := make([]string, len(got))
				for j, u := range got {
					names[j] = u.Username
				}
				t.Fatalf("search %q: order %v, want it to start with %v", c.q, names, c.first)
			}
		}
	}
}
