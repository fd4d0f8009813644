package roomtoken

import (
	"crypto/ed25519"
	"fmt"
	"time"
)

// Relay grants admit another SFU node to a room on its home node (a
// relay, internal/cluster and sfu/relay). They are signed with the node
// key every node of the cluster holds, not with the room key, and carry
// their own audience and kind: a relay grant is refused where a room
// token is expected (a hall's, WHIP, WHEP), and a room token claiming the
// relay kind is refused everywhere.
const (
	RelayAudience = "cau-relay"
	KindRelay     = "relay"
)

// RelayIdentity is the participant ID of node's relay in a home room.
func RelayIdentity(node string) string { return "relay-" + node }

// NewRelaySigner returns a signer of relay grants with the node key.
func NewRelaySigner(nodeKey ed25519.PrivateKey) *Signer {
	return &Signer{priv: nodeKey, now: time.Now, aud: RelayAudience}
}

// NewRelayVerifier returns a verifier of relay grants signed with the
// node key whose public half is pub.
func NewRelayVerifier(pub ed25519.PublicKey) *Verifier {
	return &Verifier{pub: pub, now: time.Now, aud: RelayAudience}
}

// SignRelay mints the grant of node's relay into room, valid for ttl.
func (s *Signer) SignRelay(room, node string, ttl time.Duration) (string, error) {
	if s.aud != RelayAudience {
		return "", fmt.Errorf("sign relay grant: %w: not a relay signer", ErrInvalidKey)
	}
	return s.Sign(Claims{Room: room, Identity: RelayIdentity(node), Kind: KindRelay, Name: node,
		Perms: []string{PermPublish, PermSubscribe}}, ttl)
}
