package vntime_test

import (
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/vntime"
)

func TestDay(t *testing.T) {
	for _, tc := range []struct {
		at        string // UTC
		wantStart string // UTC
	}{
		{"2026-12-05T16:59:59Z", "2026-12-04T17:00:00Z"}, // 23:59:59 in Hà Nội
		{"2026-12-05T17:00:00Z", "2026-12-05T17:00:00Z"}, // midnight: a new day
		{"2026-12-31T20:00:00Z", "2026-12-31T17:00:00Z"}, // New Year's Day already
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		start, next := vntime.Day(at)
		if got := start.UTC().Format(time.RFC3339); got != tc.wantStart {
			t.Errorf("Day(%s) starts %s, want %s", tc.at, got, tc.wantStart)
		}
		if next.Sub(start) != 24*time.Hour {
			t.Errorf("Day(%s) lasts %v", tc.at, next.Sub(start))
		}
	}
	if _, off := vntime.In(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)).Zone(); off != 7*3600 {
		t.Errorf("offset %d s, want UTC+7", off)
	}
}
