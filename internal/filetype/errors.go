package filetype

import "errors"

// Errors Detect and Check return; callers test with errors.Is.
var (
	// ErrUnsupported means the content is none of the accepted types.
	ErrUnsupported = errors.New("unsupported file type")
	// ErrNameMismatch means the file's name claims another type than its content.
	ErrNameMismatch = errors.New("file name does not match its content")
)
