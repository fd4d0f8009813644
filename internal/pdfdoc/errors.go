package pdfdoc

import "errors"

// ErrInvalid means the document lacks a field the layout requires.
var ErrInvalid = errors.New("invalid document")
