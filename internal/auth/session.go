package auth

import (
	"fmt"
	"time"
)

// SessionLimits end a sign-in (a refresh token family) that went unused
// too long or lived too long, whatever its tokens' own expiry.
//
// Activity, as the server sees it, is a refresh: each token is issued at
// the moment of one, so a token's issue time is the family's last
// activity. The web client refreshes only while its user is active (input
// in any tab) or in a live call, at least every third of Idle; an idle
// tab does not refresh, and its next refresh after Idle is refused
// (docs/architecture.md "Sign-in lifetime").
type SessionLimits struct {
	// Idle is the longest gap between two refreshes; 0 means none.
	Idle time.Duration
	// MaxAge is the longest a sign-in lasts from the login, refreshes or
	// not; 0 means none (tokens then end after their own TTL).
	MaxAge time.Duration
}

// Check refuses a refresh at now of a sign-in that started at started and
// was last active (last refreshed or logged in) at lastActive: ErrSessionExpired
// past MaxAge, ErrSessionIdle past Idle.
func (l SessionLimits) Check(started, lastActive, now time.Time) error {
	if l.MaxAge > 0 && !now.Before(started.Add(l.MaxAge)) {
		return fmt.Errorf("%w: signed in at %s, %s ago", ErrSessionExpired, started.UTC().Format(time.RFC3339), now.Sub(started).Round(time.Second))
	}
	if l.Idle > 0 && !now.Before(lastActive.Add(l.Idle)) {
		return fmt.Errorf("%w: last active %s ago", ErrSessionIdle, now.Sub(lastActive).Round(time.Second))
	}
	return nil
}

// End is when a sign-in that started at started ends at the latest, capped
// at tokenEnd (the refresh token's own expiry).
func (l SessionLimits) End(started, tokenEnd time.Time) time.Time {
	if l.MaxAge > 0 && started.Add(l.MaxAge).Before(tokenEnd) {
		return started.Add(l.MaxAge)
	}
	return tokenEnd
}
