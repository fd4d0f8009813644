package roomtoken

import "errors"

// Errors of room tokens. Every refusal wraps ErrInvalidToken so the HTTP
// layer maps them to one status; the others say which key problem it was.
var (
	ErrInvalidToken = errors.New("invalid room token")
	ErrInvalidKey   = errors.New("invalid Ed25519 key")
	ErrInvalidClaim = errors.New("invalid room token claims")
)
