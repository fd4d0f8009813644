package store

import (
	"errors"

	"github.com/cau-gov/cau/internal/fault"
)

// Errors the store returns besides the domain's own, in the fault
// vocabulary: callers above test the kind (fault.Is(err, fault.NotFound)),
// never these values.
var (
	// ErrNotFound means no row matched. The store never returns (nil, nil).
	ErrNotFound = fault.New(fault.NotFound, "not_found", "not found")
	// ErrConflict means a unique value is already taken.
	ErrConflict = fault.New(fault.Conflict, "conflict", "a record with this value already exists")
	// ErrReferenced means a referenced row does not exist, or a row is still referenced.
	ErrReferenced = fault.New(fault.Conflict, "reference_violated", "a referenced record does not exist or is still in use")
	// ErrInvalid means the database refused a value (a CHECK constraint).
	ErrInvalid = fault.New(fault.InvalidInput, "invalid_value", "a value was refused")
	// ErrSchemaOutdated means migrations are pending; `cau migrate up` applies them.
	ErrSchemaOutdated = errors.New("database schema is older than this binary; run `cau migrate up`")
	// ErrSchemaNewer means the database was migrated by a newer binary.
	ErrSchemaNewer = errors.New("database schema is newer than this binary")
)
