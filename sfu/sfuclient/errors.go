package sfuclient

import "errors"

// Errors of the client.
var (
	ErrClosed   = errors.New("client closed")
	ErrServer   = errors.New("server error")
	ErrNotFound = errors.New("no such event before the deadline")
)
