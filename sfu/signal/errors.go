package signal

import "errors"

// Errors of the signaling protocol.
var (
	ErrBadMessage = errors.New("malformed message")
	ErrVersion    = errors.New("unsupported protocol version")
	ErrNotJoined  = errors.New("join first")
	ErrNoToken    = errors.New("no room token")
	ErrSlowClient = errors.New("client too slow to read its messages")
)

// code maps errors of this package, then the SFU's, to wire codes.
func code(err error) string {
	switch {
	case errors.Is(err, ErrVersion):
		return "unsupported_version"
	case errors.Is(err, ErrBadMessage):
		return "bad_message"
	case errors.Is(err, ErrNotJoined):
		return "not_joined"
	}
	return sfuCode(err)
}
