package meeting

import (
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/fault"
)

// TestPeriodWindow: "today" is Vietnam's calendar day, whatever the
// server's zone: at 23:30 UTC it is already the next day in Hà Nội.
func TestPeriodWindow(t *testing.T) {
	now := time.Date(2026, 12, 5, 23, 30, 0, 0, time.UTC) // 06:30 on 6 December in Hà Nội
	day := time.Date(2026, 12, 5, 17, 0, 0, 0, time.UTC)
	next := day.Add(24 * time.Hour)
	for _, tc := range []struct {
		p        Period
		from, to *time.Time
	}{
		{"", nil, nil},
		{"all", nil, nil},
		{"upcoming", &day, nil},
		{"today", &day, &next},
		{"past", nil, &day},
		{"cancelled", nil, nil},
	} {
		from, to, err := tc.p.window(now)
		if err != nil || !sameTime(from, tc.from) || !sameTime(to, tc.to) {
			t.Errorf("%q: [%v, %v) %v, want [%v, %v)", tc.p, from, to, err, tc.from, tc.to)
		}
	}
	for p, want := range map[Period]string{"": "any", "all": "any", "upcoming": "false", "today": "false", "past": "false", "cancelled": "true"} {
		got := "any"
		if c := p.cancelled(); c != nil {
			got = map[bool]string{true: "true", false: "false"}[*c]
		}
		if got != want {
			t.Errorf("%q lists cancelled meetings: %s, want %s", p, got, want)
		}
	}
	if _, _, err := Period("tomorrow").window(now); !fault.Is(err, fault.InvalidInput) {
		t.Errorf("unknown period: %v, want invalid input", err)
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
