package backup

import "errors"

var (
	// ErrCorrupt means the archive is damaged or was changed: a part is
	// missing, extra, or does not match the manifest. The error names it.
	ErrCorrupt = errors.New("backup archive is corrupt")
	// ErrNotEmpty means the restore target already holds data.
	ErrNotEmpty = errors.New("restore target is not empty")
	// ErrVerify means the restored data failed a check after restoring.
	ErrVerify = errors.New("restored data failed verification")
	// ErrBadKey means the backup key is malformed or does not open the archive.
	ErrBadKey = errors.New("backup key")
)
