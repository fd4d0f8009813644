package auth

import "errors"

// Errors of authentication; the HTTP layer maps each to a status and code.
var (
	// ErrInvalidCredentials is the one answer to a wrong username or password,
	// whether or not the user exists.
	ErrInvalidCredentials = errors.New("invalid username or password")
	// ErrLocked means too many wrong passwords; the account unlocks later.
	ErrLocked = errors.New("account temporarily locked after repeated failed logins")
	// ErrRateLimited means too many attempts from one address or for one account.
	ErrRateLimited = errors.New("too many login attempts; try again later")
	// ErrBusy means every password-hashing slot stayed taken for the whole
	// wait; the client should retry after the time it is told (BusyError).
	ErrBusy = errors.New("the server is busy signing others in; try again shortly")
	// ErrInvalidToken covers malformed, forged, expired and wrong-algorithm tokens.
	ErrInvalidToken = errors.New("invalid or expired token")
	// ErrTokenReused means a rotated refresh token was presented again; the
	// whole family has been revoked.
	ErrTokenReused = errors.New("refresh token reused; all sessions of this login revoked")
	// ErrInactive means the account is deactivated.
	ErrInactive = errors.New("account deactivated")
	// ErrWeakPassword means a new password is too short or equals the old one.
	ErrWeakPassword = errors.New("password too weak")
	// ErrUnknownUser is what a Store returns for a user that does not exist.
	ErrUnknownUser = errors.New("no such user")
	// ErrBadHash means a stored hash is not an argon2id PHC string.
	ErrBadHash = errors.New("malformed password hash")
)
