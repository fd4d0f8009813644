package auth

import (
	"errors"

	"github.com/cau-gov/cau/internal/fault"
)

// Errors of authentication, in the fault vocabulary.
var (
	// ErrInvalidCredentials is the one answer to a wrong username or password,
	// whether or not the user exists.
	ErrInvalidCredentials = fault.New(fault.Unauthenticated, "invalid_credentials", "wrong username or password")
	// ErrLocked means too many wrong passwords; the account unlocks later.
	ErrLocked = fault.New(fault.Locked, "account_locked", "account temporarily locked after repeated failed logins")
	// ErrRateLimited means too many attempts from one address or for one account.
	ErrRateLimited = fault.New(fault.RateLimited, "rate_limited", "too many login attempts; try again later")
	// ErrBusy means every password-hashing slot stayed taken for the whole
	// wait; the client should retry after the time it is told (BusyError).
	ErrBusy = fault.New(fault.Unavailable, "busy", "the server is busy signing others in; try again shortly")
	// ErrInvalidToken covers malformed, forged, expired and wrong-algorithm tokens.
	ErrInvalidToken = fault.New(fault.Unauthenticated, "invalid_token", "invalid or expired token")
	// ErrTokenReused means a rotated refresh token was presented again; the
	// whole family has been revoked.
	ErrTokenReused = fault.New(fault.Unauthenticated, "token_reused", "refresh token reused; all sessions of this login revoked")
	// ErrSessionIdle means the sign-in went unused longer than the idle
	// timeout (CAU_IDLE_TIMEOUT): the user signs in again.
	ErrSessionIdle = fault.New(fault.Unauthenticated, "session_idle", "signed out after a period without activity; sign in again")
	// ErrSessionExpired means the sign-in reached its maximum age
	// (CAU_SESSION_MAX_AGE), however active: the user signs in again.
	ErrSessionExpired = fault.New(fault.Unauthenticated, "session_expired", "the sign-in reached its maximum age; sign in again")
	// ErrInactive means the account is deactivated.
	ErrInactive = fault.New(fault.Forbidden, "account_inactive", "account deactivated")
	// ErrWeakPassword means a new password is too short or equals the old one.
	ErrWeakPassword = fault.New(fault.InvalidInput, "weak_password", "password too weak")
	// ErrWrongPassword means the current password given to change it is wrong.
	ErrWrongPassword = fault.New(fault.InvalidInput, "wrong_password", "the current password is wrong")
	// ErrBadHash means a stored hash is not an argon2id PHC string.
	ErrBadHash = errors.New("malformed password hash")
)
