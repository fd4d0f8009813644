package docnum

import "errors"

// ErrInvalid means a kind, issuer abbreviation or number is malformed.
var ErrInvalid = errors.New("invalid document number")
