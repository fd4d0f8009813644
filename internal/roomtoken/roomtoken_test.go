package roomtoken

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

type bundle struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	s    *Signer
	v    *Verifier
}

func setup(t *testing.T) bundle {
	t.Helper()
	privPEM, pubPEM, err := GenerateKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKeyPEM(privPEM)
	if err != nil {
		t.Fatalf("parse private: %v", err)
	}
	pub, err := ParsePublicKeyPEM(pubPEM)
	if err != nil {
		t.Fatalf("parse public: %v", err)
	}
	return bundle{priv: priv, pub: pub, s: NewSigner(priv), v: NewVerifier(pub)}
}

func hall() Claims {
	return Claims{Room: "meeting-7", Identity: "hall-12", Name: "UBND xã Đạ Tông", Kind: "hall",
		Perms: []string{PermPublish, PermSubscribe}}
}

func TestSignVerify(t *testing.T) {
	b := setup(t)
	tok, err := b.s.Sign(hall(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.v.Verify(tok)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if c.Room != "meeting-7" || c.Identity != "hall-12" || c.Name != "UBND xã Đạ Tông" || c.Kind != "hall" {
		t.Fatalf("claims = %+v", c)
	}
	if !c.Has(PermPublish) || !c.Has(PermSubscribe) || c.Has(PermModerate) {
		t.Fatalf("perms = %v", c.Perms)
	}
	if c.Subject != "hall-12" || c.ExpiresAt == nil {
		t.Fatalf("registered claims = %+v", c.RegisteredClaims)
	}
}

// forge signs arbitrary registered claims with the right key, for the
// issuer/audience/expiry rejections.
func forge(t *testing.T, b bundle, mutate func(*Claims)) string {
	t.Helper()
	c := hall()
	now := time.Now()
	c.RegisteredClaims = jwt.RegisteredClaims{Issuer: Issuer, Audience: jwt.ClaimStrings{Audience},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}
	mutate(&c)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(b.priv)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerifyRejects(t *testing.T) {
	b := setup(t)
	good, err := b.s.Sign(hall(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	otherTok, err := NewSigner(otherPriv).Sign(hall(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, hall()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	// HMAC confusion: the attacker knows the public key and uses it as an
	// HS256 secret.
	hs, err := jwt.NewWithClaims(jwt.SigningMethodHS256, forgeClaims()).SignedString([]byte(b.pub))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]

	cases := map[string]string{
		"alg none":         none,
		"hs256 public key": hs,
		"other key":        otherTok,
		"tampered":         tampered,
		"garbage":          "not.a.token",
		"empty":            "",
		"expired": forge(t, b, func(c *Claims) {
			c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Minute))
		}),
		"no expiry":        forge(t, b, func(c *Claims) { c.ExpiresAt = nil }),
		"wrong issuer":     forge(t, b, func(c *Claims) { c.Issuer = "someone-else" }),
		"wrong audience":   forge(t, b, func(c *Claims) { c.Audience = jwt.ClaimStrings{"cau-api"} }),
		"no audience":      forge(t, b, func(c *Claims) { c.Audience = nil }),
		"missing room":     forge(t, b, func(c *Claims) { c.Room = "" }),
		"missing identity": forge(t, b, func(c *Claims) { c.Identity = "" }),
		"unknown perm":     forge(t, b, func(c *Claims) { c.Perms = []string{"root"} }),
		"future iat": forge(t, b, func(c *Claims) {
			c.IssuedAt = jwt.NewNumericDate(time.Now().Add(time.Hour))
		}),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := b.v.Verify(tok)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", c, err)
			}
		})
	}
}

func forgeClaims() Claims {
	c := hall()
	c.Issuer, c.Audience = Issuer, jwt.ClaimStrings{Audience}
	c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(time.Hour))
	return c
}

func TestSignRejects(t *testing.T) {
	b := setup(t)
	for name, c := range map[string]Claims{
		"no room":      {Identity: "hall-1"},
		"no identity":  {Room: "r"},
		"unknown perm": {Room: "r", Identity: "i", Perms: []string{"admin"}},
	} {
		if _, err := b.s.Sign(c, time.Hour); !errors.Is(err, ErrInvalidClaim) {
			t.Errorf("%s: Sign err = %v, want ErrInvalidClaim", name, err)
		}
	}
	if _, err := b.s.Sign(hall(), 0); !errors.Is(err, ErrInvalidClaim) {
		t.Errorf("zero ttl: err = %v", err)
	}
	if _, err := NewSigner(nil).Sign(hall(), time.Hour); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("nil key: err = %v", err)
	}
}

func TestParsePEMRejects(t *testing.T) {
	privPEM, pubPEM, err := GenerateKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivateKeyPEM(pubPEM); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("public as private: %v", err)
	}
	if _, err := ParsePublicKeyPEM(privPEM); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("private as public: %v", err)
	}
	if _, err := ParsePublicKeyPEM([]byte("junk")); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("junk: %v", err)
	}
	bad := []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
	if _, err := ParsePrivateKeyPEM(bad); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("bad der: %v", err)
	}
}
