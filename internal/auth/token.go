package auth

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer and audience written into access tokens; a token minted for
// another purpose (a room token) is refused here.
const (
	accessIssuer   = "cau"
	accessAudience = "cau-api"
)

// AccessClaims are the claims of an access token. Roles are not carried:
// they are read from the database per request, so a revoked role takes
// effect at once rather than when the token expires.
type AccessClaims struct {
	jwt.RegisteredClaims
	Username string `json:"usr"`
}

// Tokens signs and verifies access tokens with Ed25519.
type Tokens struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	ttl  time.Duration
	now  func() time.Time
}

// NewTokens returns a signer/verifier for access tokens lasting ttl.
func NewTokens(priv ed25519.PrivateKey, ttl time.Duration, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{priv: priv, pub: priv.Public().(ed25519.PublicKey), ttl: ttl, now: now}
}

// TTL is how long an access token lasts.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue signs an access token for the user.
func (t *Tokens) Issue(id UserID, username string) (string, error) {
	now := t.now()
	claims := AccessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    accessIssuer,
			Audience:  jwt.ClaimStrings{accessAudience},
			Subject:   strconv.FormatInt(int64(id), 10),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-5 * time.Second)),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
		},
		Username: username,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims).SignedString(t.priv)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return s, nil
}

// Verify checks signature, algorithm (EdDSA only: alg:none and HMAC
// confusion are refused), issuer, audience and expiry, and returns the user.
func (t *Tokens) Verify(token string) (UserID, error) {
	id, _, err := t.verify(token)
	return id, err
}

func (t *Tokens) verify(token string) (UserID, time.Time, error) {
	var claims AccessClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return t.pub, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(accessIssuer),
		jwt.WithAudience(accessAudience),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("%w: %v", ErrInvalidToken, errors.Unwrap(err))
	}
	id, err := strconv.ParseInt(claims.Subject, 10, 64)
	if err != nil || id <= 0 || claims.IssuedAt == nil {
		return 0, time.Time{}, fmt.Errorf("%w: bad subject or issue time", ErrInvalidToken)
	}
	return UserID(id), claims.IssuedAt.Time, nil
}
