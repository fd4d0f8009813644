package document

import (
	"errors"
	"maps"
	"slices"
	"strings"
)

// Errors the service returns; the HTTP layer maps each to one status.
var (
	// ErrNotFound means the document (or meeting) does not exist or is not
	// visible to the caller: a confidential document is "not found" for
	// people not named on it, so its existence is not revealed.
	ErrNotFound = errors.New("document not found")
	// ErrForbidden means the caller sees the meeting but may not do this
	// (only the meeting's organizers upload and see read receipts).
	ErrForbidden = errors.New("only the meeting's organizers may do this")
	// ErrTooLarge means the upload exceeds CAU_MAX_UPLOAD_BYTES.
	ErrTooLarge = errors.New("file too large")
	// ErrUnsupportedType means the content is not an accepted type, or the
	// file name claims another type than the content.
	ErrUnsupportedType = errors.New("unsupported file type")
	// ErrInvalid means some fields are invalid; see ValidationError.
	ErrInvalid = errors.New("invalid document fields")
	// ErrNoPDF means the version has no PDF view (an image: open the file).
	ErrNoPDF = errors.New("this file has no PDF view; open the file itself")
	// ErrConversionPending means the PDF view is still being made.
	ErrConversionPending = errors.New("the PDF view is still being prepared; try again shortly or open the original")
	// ErrConversionFailed means no PDF view could be made; the reason follows.
	ErrConversionFailed = errors.New("no PDF view could be made; open the original")
	// ErrOriginalRestricted means a confidential office original is only
	// for organizers; others read the watermarked PDF.
	ErrOriginalRestricted = errors.New("the original of a confidential document is for the organizers only; open the PDF view")
)

// ValidationError names each bad field and why. It matches ErrInvalid.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := slices.Sorted(maps.Keys(e.Fields))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "invalid document fields: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }
