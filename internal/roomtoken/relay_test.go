package roomtoken

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"
	"time"
)

func TestRelayGrants(t *testing.T) {
	_, nodeKey, _ := ed25519.GenerateKey(rand.Reader)
	_, roomKey, _ := ed25519.GenerateKey(rand.Reader)
	_, rogue, _ := ed25519.GenerateKey(rand.Reader)
	relays := NewRelayVerifier(nodeKey.Public().(ed25519.PublicKey))
	rooms := NewVerifier(roomKey.Public().(ed25519.PublicKey))

	tok, err := NewRelaySigner(nodeKey).SignRelay("meeting-7", "sfu-bao-lam", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c, err := relays.Verify(tok)
	if err != nil {
		t.Fatalf("a relay grant: %v", err)
	}
	if g := c.Grant(); g.Kind != "relay" || g.Identity != "relay-sfu-bao-lam" || g.Room != "meeting-7" || !g.Publish || !g.Subscribe || g.Moderate || g.Hall {
		t.Fatalf("relay grant %+v", g)
	}
	for name, tc := range map[string]struct {
		v     *Verifier
		token func() (string, error)
	}{
		"a relay grant where a room token is expected": {rooms, func() (string, error) {
			return NewRelaySigner(roomKey).SignRelay("meeting-7", "x", time.Minute) // even with the room key
		}},
		"a relay grant signed with another key": {relays, func() (string, error) {
			return NewRelaySigner(rogue).SignRelay("meeting-7", "x", time.Minute)
		}},
		"a room token claiming the relay kind": {relays, func() (string, error) {
			return NewSigner(nodeKey).Sign(Claims{Room: "meeting-7", Identity: "relay-x", Kind: KindRelay}, time.Minute)
		}},
		"a room token with the relay kind where a room token is expected": {rooms, func() (string, error) {
			return NewSigner(roomKey).Sign(Claims{Room: "meeting-7", Identity: "relay-x", Kind: KindRelay}, time.Minute)
		}},
		"a hall's room token as a relay grant": {relays, func() (string, error) {
			return NewSigner(nodeKey).Sign(Claims{Room: "meeting-7", Identity: "hall-3", Kind: "hall"}, time.Minute)
		}},
	} {
		t.Run(name, func(t *testing.T) {
			tok, err := tc.token()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tc.v.Verify(tok); !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("verified: %v, want ErrInvalidToken", err)
			}
		})
	}
	if _, err := NewSigner(nodeKey).SignRelay("meeting-7", "x", time.Minute); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("a room signer minting a relay grant: %v", err)
	}
}
