package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/fault"
)

// Account is a user as authentication sees it.
type Account struct {
	ID                UserID
	Username          string
	FullName          string
	Email             string
	UnitID            UnitID
	PasswordHash      string
	DemoPassword      bool
	Active            bool
	FailedLogins      int
	LockedUntil       *time.Time
	PasswordChangedAt time.Time
	// MustChangePassword marks a temporary password (set by an
	// administrator: new account, reset, import): until the user changes
	// it, the API answers only /me and /me/password.
	MustChangePassword bool
}

// NewRefresh is a refresh token row to store (only its hash is kept).
type NewRefresh struct {
	UserID    UserID
	FamilyID  string // UUID; "" starts a new family
	Hash      []byte
	ExpiresAt time.Time
	// SessionStart is when the sign-in began (the login); a rotated token
	// keeps its family's.
	SessionStart time.Time
	UserAgent    string
	IP           string
}

// Store is what the service needs from storage (internal/store implements it).
type Store interface {
	AccountByUsername(ctx context.Context, username string) (Account, error)
	AccountByID(ctx context.Context, id UserID) (Account, error)
	Grants(ctx context.Context, id UserID) ([]RoleGrant, error)
	// RecordLoginFailure counts a wrong password and locks the account until
	// lockUntil once failures reach max; it reports whether it locked now.
	RecordLoginFailure(ctx context.Context, id UserID, max int, lockUntil time.Time, e audit.Entry, now time.Time) (bool, error)
	// RecordLoginSuccess resets the failure count and stores the first refresh token.
	RecordLoginSuccess(ctx context.Context, id UserID, first NewRefresh, e audit.Entry, now time.Time) error
	// RotateRefresh marks the token with hash used and stores next in its
	// family, atomically, with the family's SessionStart and an expiry
	// capped at limits.End. A token already used revokes its whole family
	// and returns ErrTokenReused; unknown, expired or revoked ones
	// ErrInvalidToken; a family past limits (Check with the family's start
	// and the token's issue time) ErrSessionExpired or ErrSessionIdle, and
	// the token is then revoked. It returns the stored next.
	RotateRefresh(ctx context.Context, hash []byte, next NewRefresh, limits SessionLimits, now time.Time) (UserID, NewRefresh, error)
	// RevokeRefreshFamily revokes the family of the token with hash; unknown tokens are ignored.
	RevokeRefreshFamily(ctx context.Context, hash []byte, e audit.Entry, now time.Time) error
	// UpgradePasswordHash replaces the hash old by next (same password, new
	// cost parameters); nothing else changes, and nothing happens if the
	// password changed meanwhile.
	UpgradePasswordHash(ctx context.Context, id UserID, old, next string) error
	// SetPassword stores a new hash, clears the demo flag and revokes every
	// refresh family of the user except keepFamilyOf's.
	SetPassword(ctx context.Context, id UserID, hash string, e audit.Entry, now time.Time) error
	Audit(ctx context.Context, e audit.Entry, at time.Time) error
}

// Limiter counts attempts per key in a window (Redis-backed in production,
// so limits hold across nodes).
type Limiter interface {
	// Allow records one attempt under key and reports whether it is within
	// limit per window, and if not, how long until the window resets.
	Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error)
	// Peek reports what Allow would about the attempts recorded so far,
	// without recording one.
	Peek(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error)
}

// Policy are the login rules from configuration.
type Policy struct {
	MaxFailures      int
	LockDuration     time.Duration
	PerIPPerMinute   int
	PerUserPerMinute int
	RefreshTTL       time.Duration
	// Session ends idle and too old sign-ins (CAU_IDLE_TIMEOUT, CAU_SESSION_MAX_AGE).
	Session        SessionLimits
	MinPasswordLen int
	// HashSlots is how many password hashes run at once (0: 1); HashWait
	// how long a login waits for a slot before ErrBusy (0: 10 s).
	HashSlots int
	HashWait  time.Duration
}

// Service is authentication: login, token refresh, logout, password change,
// and turning an access token into a Principal.
type Service struct {
	store   Store
	tokens  *Tokens
	limiter Limiter
	policy  Policy
	params  Argon2Params
	pool    *HashPool
	log     *slog.Logger
	now     func() time.Time
	// dummyHash is verified when the user does not exist, so that a wrong
	// username costs as much time as a wrong password.
	dummyHash string
}

// NewService builds the service. params are used for new password hashes.
func NewService(st Store, tokens *Tokens, limiter Limiter, policy Policy, params Argon2Params, log *slog.Logger, now func() time.Time) (*Service, error) {
	if now == nil {
		now = time.Now
	}
	if policy.MinPasswordLen == 0 {
		policy.MinPasswordLen = MinPasswordLength
	}
	if policy.HashWait == 0 {
		policy.HashWait = 10 * time.Second
	}
	dummy, err := HashPassword("cau-dummy-password-for-timing", params)
	if err != nil {
		return nil, err
	}
	return &Service{store: st, tokens: tokens, limiter: limiter, policy: policy, params: params,
		pool: NewHashPool(policy.HashSlots, policy.HashWait), log: log, now: now, dummyHash: dummy}, nil
}

// HashPool is the pool bounding the service's password hashing (metrics).
func (s *Service) HashPool() *HashPool { return s.pool }

// SignIn is what a successful login or refresh returns: the tokens of one
// sign-in and who signed in ("session" is the live meeting's word).
type SignIn struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	// RefreshExpiresIn is how long the refresh token lives at most (its
	// TTL, capped at the sign-in's maximum age): the cookie's Max-Age.
	RefreshExpiresIn time.Duration
	// SessionEnds is when the sign-in ends however active (zero: no
	// maximum age); IdleTimeout how long it may go without a refresh (0: no limit).
	SessionEnds time.Time
	IdleTimeout time.Duration
	Account     Account
	Grants      []RoleGrant
}

// RateLimitError is ErrRateLimited with the time until the client may retry.
type RateLimitError struct{ RetryAfter time.Duration }

func (e *RateLimitError) Error() string { return ErrRateLimited.Error() }

// Unwrap lets errors.Is(err, ErrRateLimited) hold.
func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// NormalizeUsername lowercases and trims, as usernames are stored.
func NormalizeUsername(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

// Login checks a username and password. Wrong username and wrong password
// give the same error after the same work (one hash with the current
// parameters, one database write); repeated failures lock the account;
// failed attempts are limited per client address and all attempts per
// account; hashing waits for a slot of the pool; every outcome is audited.
//
// The address limit counts failures only: an office of 200 behind one NAT
// address signs in 200 distinct accounts at 8:00 and must not be refused,
// while a guesser fails and is stopped after PerIPPerMinute failures. The
// count is checked again once a hashing slot is free, so a burst of
// guesses sent together is cut off there and not only at the next minute.
func (s *Service) Login(ctx context.Context, username, password, ip, userAgent string) (SignIn, error) {
	username = NormalizeUsername(username)
	if err := s.checkFailures(ctx, ip); err != nil {
		return SignIn{}, err
	}
	if err := s.limit(ctx, "user:"+username, s.policy.PerUserPerMinute); err != nil {
		return SignIn{}, err
	}
	failed := audit.Entry{ActorName: username, Action: audit.ActionLoginFailed, ObjectType: "user", IP: ip}

	acct, err := s.store.AccountByUsername(ctx, username)
	known := err == nil
	if err != nil && !isNotFound(err) {
		return SignIn{}, fmt.Errorf("login: %w", err)
	}
	stored := s.dummyHash
	if known {
		stored = acct.PasswordHash
	}
	var ok bool
	var upgraded string
	var hashErr error
	err = s.pool.Do(ctx, func() {
		if hashErr = s.checkFailures(ctx, ip); hashErr != nil {
			return
		}
		// Locked and unknown accounts are hashed too: time must not tell
		// them from a wrong password.
		if ok, hashErr = VerifyPassword(password, stored); ok && known && NeedsRehash(stored, s.params) {
			upgraded, hashErr = HashPassword(password, s.params)
		}
	})
	if err == nil {
		err = hashErr
	}
	if err != nil {
		return SignIn{}, fmt.Errorf("login: %w", err)
	}
	now := s.now()
	if !known {
		s.countFailure(ctx, ip)
		failed.Detail = map[string]any{"reason": "unknown_user"}
		if err := s.store.Audit(ctx, failed, now); err != nil {
			return SignIn{}, fmt.Errorf("login: audit: %w", err)
		}
		return SignIn{}, ErrInvalidCredentials
	}
	id := int64(acct.ID)
	failed.ActorID, failed.ObjectID = &id, fmt.Sprint(id)

	if acct.LockedUntil != nil && now.Before(*acct.LockedUntil) {
		s.countFailure(ctx, ip)
		failed.Detail = map[string]any{"reason": "locked"}
		if err := s.store.Audit(ctx, failed, now); err != nil {
			return SignIn{}, fmt.Errorf("login: audit: %w", err)
		}
		return SignIn{}, ErrLocked
	}
	if !ok {
		s.countFailure(ctx, ip)
		failed.Detail = map[string]any{"reason": "wrong_password", "failures": acct.FailedLogins + 1}
		locked, err := s.store.RecordLoginFailure(ctx, acct.ID, s.policy.MaxFailures, now.Add(s.policy.LockDuration), failed, now)
		if err != nil {
			return SignIn{}, fmt.Errorf("login: record failure: %w", err)
		}
		if locked {
			s.log.Warn("account locked after failed logins", "user_id", id, "username", username, "remote_ip", ip)
		}
		return SignIn{}, ErrInvalidCredentials
	}
	if !acct.Active {
		failed.Detail = map[string]any{"reason": "inactive"}
		if err := s.store.Audit(ctx, failed, now); err != nil {
			return SignIn{}, fmt.Errorf("login: audit: %w", err)
		}
		return SignIn{}, ErrInactive
	}
	if upgraded != "" {
		// Best effort: the login stands with the old hash if this fails.
		if err := s.store.UpgradePasswordHash(ctx, acct.ID, stored, upgraded); err != nil {
			s.log.Warn("password hash upgrade failed", "user_id", id, "error", err)
		}
	}

	refresh, hash, err := newRefreshToken()
	if err != nil {
		return SignIn{}, err
	}
	first := NewRefresh{UserID: acct.ID, Hash: hash, SessionStart: now, ExpiresAt: s.policy.Session.End(now, now.Add(s.policy.RefreshTTL)),
		UserAgent: truncate(userAgent, 300), IP: ip}
	success := audit.Entry{ActorID: &id, ActorName: username, Action: audit.ActionLoginSucceeded, ObjectType: "user", ObjectID: fmt.Sprint(id), IP: ip}
	if err := s.store.RecordLoginSuccess(ctx, acct.ID, first, success, now); err != nil {
		return SignIn{}, fmt.Errorf("login: %w", err)
	}
	return s.signIn(ctx, acct, refresh, first)
}

// Refresh exchanges a refresh token for a new pair. The presented token is
// spent; presenting it again revokes every token descended from the login.
// A sign-in idle or older than the policy's Session limits is refused with
// ErrSessionIdle or ErrSessionExpired.
func (s *Service) Refresh(ctx context.Context, refreshToken, ip, userAgent string) (SignIn, error) {
	hash, err := hashRefreshToken(refreshToken)
	if err != nil {
		return SignIn{}, err
	}
	refresh, nextHash, err := newRefreshToken()
	if err != nil {
		return SignIn{}, err
	}
	now := s.now()
	next := NewRefresh{Hash: nextHash, ExpiresAt: now.Add(s.policy.RefreshTTL), UserAgent: truncate(userAgent, 300), IP: ip}
	uid, stored, err := s.store.RotateRefresh(ctx, hash, next, s.policy.Session, now)
	if errors.Is(err, ErrTokenReused) {
		id := int64(uid)
		_ = s.store.Audit(ctx, audit.Entry{ActorID: &id, Action: audit.ActionTokenReused, ObjectType: "user", ObjectID: fmt.Sprint(id), IP: ip}, now)
		s.log.Warn("refresh token reused; family revoked", "user_id", id, "remote_ip", ip)
		return SignIn{}, err
	}
	if errors.Is(err, ErrSessionIdle) || errors.Is(err, ErrSessionExpired) {
		s.log.Info("sign-in ended", "user_id", int64(uid), "reason", err)
		return SignIn{}, err
	}
	if err != nil {
		return SignIn{}, err
	}
	acct, err := s.store.AccountByID(ctx, uid)
	if err != nil {
		return SignIn{}, fmt.Errorf("refresh: %w", err)
	}
	if !acct.Active {
		return SignIn{}, ErrInvalidToken
	}
	return s.signIn(ctx, acct, refresh, stored)
}

// Logout revokes the refresh token's whole family. Unknown tokens are not an
// error: logging out twice is fine.
func (s *Service) Logout(ctx context.Context, p *Principal, refreshToken, ip string) error {
	hash, err := hashRefreshToken(refreshToken)
	if err != nil {
		return err
	}
	e := audit.Entry{Action: audit.ActionLogout, ObjectType: "user", IP: ip}
	if p != nil {
		id := int64(p.UserID)
		e.ActorID, e.ActorName, e.ObjectID = &id, p.Username, fmt.Sprint(id)
	}
	return s.store.RevokeRefreshFamily(ctx, hash, e, s.now())
}

// ChangePassword checks the old password and stores the new one; every
// other session of the user is revoked and access tokens issued before
// now stop working.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, oldPassword, newPassword string) error {
	acct, err := s.store.AccountByID(ctx, p.UserID)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if err := s.CheckNewPassword(newPassword, oldPassword); err != nil {
		return err
	}
	var ok bool
	var hash string
	var hashErr error
	if err := s.pool.Do(ctx, func() {
		if ok, hashErr = VerifyPassword(oldPassword, acct.PasswordHash); ok && hashErr == nil {
			hash, hashErr = HashPassword(newPassword, s.params)
		}
	}); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if hashErr != nil {
		return fmt.Errorf("change password: %w", hashErr)
	}
	if !ok {
		return ErrWrongPassword
	}
	id := int64(p.UserID)
	e := audit.Entry{ActorID: &id, ActorName: p.Username, Action: audit.ActionPasswordChange, ObjectType: "user", ObjectID: fmt.Sprint(id), IP: p.IP}
	return s.store.SetPassword(ctx, p.UserID, hash, e, s.now())
}

// CheckNewPassword applies the password rules.
func (s *Service) CheckNewPassword(newPassword, oldPassword string) error {
	switch {
	case len([]rune(newPassword)) < s.policy.MinPasswordLen:
		return fmt.Errorf("%w: at least %d characters", ErrWeakPassword, s.policy.MinPasswordLen)
	case len(newPassword) > 256:
		return fmt.Errorf("%w: at most 256 bytes", ErrWeakPassword)
	case newPassword == oldPassword:
		return fmt.Errorf("%w: must differ from the old password", ErrWeakPassword)
	}
	return nil
}

// Authenticate verifies an access token and loads the user's current
// roles. Tokens of deactivated users, and tokens issued before the last
// password change, are refused.
func (s *Service) Authenticate(ctx context.Context, accessToken string) (*Principal, error) {
	uid, issued, err := s.tokens.verify(accessToken)
	if err != nil {
		return nil, err
	}
	acct, err := s.store.AccountByID(ctx, uid)
	if isNotFound(err) {
		return nil, fmt.Errorf("%w: unknown user", ErrInvalidToken)
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if !acct.Active {
		return nil, fmt.Errorf("%w: account deactivated", ErrInvalidToken)
	}
	// JWT times have one-second resolution.
	if issued.Before(acct.PasswordChangedAt.Truncate(time.Second)) {
		return nil, fmt.Errorf("%w: issued before the last password change", ErrInvalidToken)
	}
	grants, err := s.store.Grants(ctx, uid)
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	return &Principal{UserID: acct.ID, Username: acct.Username, FullName: acct.FullName, UnitID: acct.UnitID, Grants: grants,
		MustChangePassword: acct.MustChangePassword}, nil
}

func (s *Service) signIn(ctx context.Context, acct Account, refresh string, row NewRefresh) (SignIn, error) {
	access, err := s.tokens.Issue(acct.ID, acct.Username)
	if err != nil {
		return SignIn{}, err
	}
	grants, err := s.store.Grants(ctx, acct.ID)
	if err != nil {
		return SignIn{}, fmt.Errorf("load roles: %w", err)
	}
	out := SignIn{AccessToken: access, RefreshToken: refresh, ExpiresIn: s.tokens.TTL(), RefreshExpiresIn: row.ExpiresAt.Sub(s.now()),
		IdleTimeout: s.policy.Session.Idle, Account: acct, Grants: grants}
	if s.policy.Session.MaxAge > 0 {
		out.SessionEnds = row.SessionStart.Add(s.policy.Session.MaxAge)
	}
	return out, nil
}

// checkFailures refuses an address that failed PerIPPerMinute times in the
// current minute, without counting this attempt.
func (s *Service) checkFailures(ctx context.Context, ip string) error {
	if s.limiter == nil {
		return nil
	}
	ok, retry, err := s.limiter.Peek(ctx, "login:ipfail:"+ip, s.policy.PerIPPerMinute, time.Minute)
	if err != nil {
		s.log.Warn("login rate limiter unavailable", "error", err)
		return nil
	}
	if !ok {
		return &RateLimitError{RetryAfter: retry}
	}
	return nil
}

// countFailure records a failed attempt against the address.
func (s *Service) countFailure(ctx context.Context, ip string) {
	if s.limiter == nil {
		return
	}
	if _, _, err := s.limiter.Allow(ctx, "login:ipfail:"+ip, s.policy.PerIPPerMinute, time.Minute); err != nil {
		s.log.Warn("login rate limiter unavailable", "error", err)
	}
}

func (s *Service) limit(ctx context.Context, key string, perMinute int) error {
	if s.limiter == nil {
		return nil
	}
	ok, retry, err := s.limiter.Allow(ctx, "login:"+key, perMinute, time.Minute)
	if err != nil {
		// A Redis outage must not lock everyone out; lockout in PostgreSQL
		// still bounds guessing.
		s.log.Warn("login rate limiter unavailable", "error", err)
		return nil
	}
	if !ok {
		return &RateLimitError{RetryAfter: retry}
	}
	return nil
}

// refreshTokenBytes is the entropy of a refresh token (256 bits).
const refreshTokenBytes = 32

func newRefreshToken() (token string, hash []byte, err error) {
	b := make([]byte, refreshTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("new refresh token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(token))
	return token, h[:], nil
}

func hashRefreshToken(token string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != refreshTokenBytes {
		return nil, fmt.Errorf("%w: malformed refresh token", ErrInvalidToken)
	}
	h := sha256.Sum256([]byte(token))
	return h[:], nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func isNotFound(err error) bool { return fault.Is(err, fault.NotFound) }
