package blob

import (
	"errors"

	"github.com/cau-gov/cau/internal/fault"
)

// Errors the blob store returns; callers test with errors.Is.
var (
	// ErrNotFound means no blob is stored under the ID.
	ErrNotFound = errors.New("blob not found")
	// ErrCorrupt means a blob failed authentication: it was changed,
	// truncated, reordered or moved to another ID, or is not a blob at all.
	// Its code tells a client the stored file is damaged (a 500: the
	// administrators restore it from backup).
	ErrCorrupt = fault.New(fault.Internal, "document_corrupt", "blob corrupt or tampered with")
	// ErrUnknownKey means a blob was written with a key the keyring no longer holds.
	ErrUnknownKey = errors.New("blob encrypted with a key that is not in the keyring")
	// ErrBadKeyring means a keys file is malformed.
	ErrBadKeyring = errors.New("malformed keys file")
	// ErrBadID means an ID is not one this store hands out.
	ErrBadID = errors.New("malformed blob id")
)
