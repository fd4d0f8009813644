// Package vntime is Vietnam's time: its one zone (Asia/Ho_Chi_Minh, UTC+7,
// no daylight saving since 1975) and its calendar days. Meeting lists, task
// deadlines, minutes, notices and PDF stamps all take the zone and "today"
// from here, so a day means the same thing in every package.
package vntime

import (
	"time"
	_ "time/tzdata" // the zone without the host's tzdata (containers, Windows)
)

// Zone is Asia/Ho_Chi_Minh.
var Zone = func() *time.Location {
	z, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		panic(err) // time/tzdata is embedded: a missing zone is a build error
	}
	return z
}()

// In is t on Vietnam's clock.
func In(t time.Time) time.Time { return t.In(Zone) }

// Day is the start of t's calendar day in Vietnam and the start of the
// next, the half-open interval [start, next) of "today" at instant t.
func Day(t time.Time) (start, next time.Time) {
	y, m, d := t.In(Zone).Date()
	start = time.Date(y, m, d, 0, 0, 0, 0, Zone)
	return start, start.AddDate(0, 0, 1)
}

// Date is t's calendar date in Vietnam.
func Date(t time.Time) (year int, month time.Month, day int) { return t.In(Zone).Date() }
