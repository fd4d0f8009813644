package auth

import (
	"context"
	"fmt"

	"github.com/cau-gov/cau/internal/audit"
)

// SignInExternal begins a sign-in for an account that an external identity
// provider vouched for (internal/sso): no password is checked, the refresh
// family and the audit row are stored as for a password login, with detail
// (method, issuer, subject) in the row. Inactive accounts are refused.
func (s *Service) SignInExternal(ctx context.Context, acct Account, ip, userAgent string, detail map[string]any) (SignIn, error) {
	if !acct.Active {
		return SignIn{}, ErrInactive
	}
	refresh, hash, err := newRefreshToken()
	if err != nil {
		return SignIn{}, err
	}
	now := s.now()
	id := int64(acct.ID)
	// The same session limits as a password sign-in (idle, maximum age).
	first := NewRefresh{UserID: acct.ID, Hash: hash, SessionStart: now, ExpiresAt: s.policy.Session.End(now, now.Add(s.policy.RefreshTTL)),
		UserAgent: truncate(userAgent, 300), IP: ip}
	success := audit.Entry{ActorID: &id, ActorName: acct.Username, Action: audit.ActionLoginSucceeded, ObjectType: "user",
		ObjectID: fmt.Sprint(id), IP: ip, Detail: detail}
	if err := s.store.RecordLoginSuccess(ctx, acct.ID, first, success, now); err != nil {
		return SignIn{}, fmt.Errorf("external sign-in: %w", err)
	}
	return s.signIn(ctx, acct, refresh, first)
}

// RefreshTokenHash is the stored hash of a refresh token (how storage finds
// its family); malformed tokens give ErrInvalidToken.
func RefreshTokenHash(token string) ([]byte, error) { return hashRefreshToken(token) }
