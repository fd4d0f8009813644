// Package roomtoken signs and verifies the room tokens that admit a client
// to an SFU room: EdDSA (Ed25519) JWTs minted by the meeting service with
// the private key and verified, with the public key only, by the HTTP layer
// in front of the SFU. The SFU itself never sees a token: it receives the
// grant that a verified token decided.
package roomtoken

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer and Audience are written into every room token and required on
// verification, so an access token of the API (audience "cau-api") or a
// token of another system signed with the same key is refused.
const (
	Issuer   = "cau"
	Audience = "cau-rtc"
)

// Permissions a room token may carry.
const (
	PermPublish   = "publish"
	PermSubscribe = "subscribe"
	PermScreen    = "screen"
	PermModerate  = "moderate"
	// PermStats receives every participant's link stats without the
	// right to mute anyone: a hall technician's console.
	PermStats = "stats"
)

var knownPerms = []string{PermPublish, PermSubscribe, PermScreen, PermModerate, PermStats}

// Claims are what a room token says: which room, who (a hall or a user),
// the display name and the permissions. Kind says what client the token is
// for (hall, user, console, whip, whep); empty means user.
type Claims struct {
	Room     string   `json:"room"`
	Identity string   `json:"identity"`
	Name     string   `json:"name,omitempty"`
	Kind     string   `json:"kind,omitempty"`
	Perms    []string `json:"perms,omitempty"`
	// IssuedMs is the issue time in Unix milliseconds (iat has whole
	// seconds): a removal refuses the tokens issued up to it, and a token
	// issued after a readmission in the same second must not be one of them.
	IssuedMs int64 `json:"iat_ms,omitempty"`
	jwt.RegisteredClaims
}

// Has reports whether the claims carry the permission.
func (c Claims) Has(perm string) bool { return slices.Contains(c.Perms, perm) }

func (c Claims) validate() error {
	var errs []error
	if c.Room == "" {
		errs = append(errs, errors.New("room is missing"))
	}
	if c.Identity == "" {
		errs = append(errs, errors.New("identity is missing"))
	}
	for _, p := range c.Perms {
		if !slices.Contains(knownPerms, p) {
			errs = append(errs, fmt.Errorf("unknown permission %q", p))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidClaim, errors.Join(errs...))
	}
	return nil
}

// Signer mints room tokens.
type Signer struct {
	priv ed25519.PrivateKey
	now  func() time.Time
	aud  string // Audience, or RelayAudience (relay.go)
}

// NewSigner returns a signer using priv.
func NewSigner(priv ed25519.PrivateKey) *Signer {
	return &Signer{priv: priv, now: time.Now, aud: Audience}
}

// Sign returns a token for c lasting ttl. Issuer, audience, issue and
// expiry times are set here; a subject, if empty, is the identity.
func (s *Signer) Sign(c Claims, ttl time.Duration) (string, error) {
	if len(s.priv) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("sign room token: %w", ErrInvalidKey)
	}
	if ttl <= 0 {
		return "", fmt.Errorf("sign room token: %w: ttl %v must be positive", ErrInvalidClaim, ttl)
	}
	if err := c.validate(); err != nil {
		return "", fmt.Errorf("sign room token: %w", err)
	}
	now := s.now()
	c.Issuer = Issuer
	c.Audience = jwt.ClaimStrings{s.aud}
	if c.Subject == "" {
		c.Subject = c.Identity
	}
	c.IssuedAt = jwt.NewNumericDate(now)
	c.IssuedMs = now.UnixMilli()
	// A little slack for clocks of other nodes running behind.
	c.NotBefore = jwt.NewNumericDate(now.Add(-5 * time.Second))
	c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	tok, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(s.priv)
	if err != nil {
		return "", fmt.Errorf("sign room token: %w", err)
	}
	return tok, nil
}

// Verifier checks room tokens with the public key only.
type Verifier struct {
	pub ed25519.PublicKey
	now func() time.Time
	aud string // Audience, or RelayAudience (relay.go)
}

// NewVerifier returns a verifier for tokens signed by pub's private key.
func NewVerifier(pub ed25519.PublicKey) *Verifier {
	return &Verifier{pub: pub, now: time.Now, aud: Audience}
}

// Verify checks the signature (EdDSA only: alg:none and HMAC with the
// public key as secret are refused), issuer, audience, expiry (required)
// and the claims (room and identity present, known permissions).
func (v *Verifier) Verify(token string) (Claims, error) {
	if len(v.pub) != ed25519.PublicKeySize {
		return Claims{}, fmt.Errorf("verify room token: %w", ErrInvalidKey)
	}
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return v.pub, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(v.aud),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(v.now),
	)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if err := c.validate(); err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if (c.Kind == KindRelay) != (v.aud == RelayAudience) {
		return Claims{}, fmt.Errorf("%w: kind %q with audience %s", ErrInvalidToken, c.Kind, v.aud)
	}
	return c, nil
}
