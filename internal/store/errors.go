package store

import "errors"

// Errors the store returns; callers test with errors.Is.
var (
	// ErrNotFound means no row matched. The store never returns (nil, nil).
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique value is already taken.
	ErrConflict = errors.New("already exists")
	// ErrReferenced means a referenced row does not exist, or a row is still referenced.
	ErrReferenced = errors.New("reference violated")
	// ErrInvalid means the database refused a value (a CHECK constraint).
	ErrInvalid = errors.New("invalid value")
	// ErrSchemaOutdated means migrations are pending; `cau migrate up` applies them.
	ErrSchemaOutdated = errors.New("database schema is older than this binary; run `cau migrate up`")
	// ErrSchemaNewer means the database was migrated by a newer binary.
	ErrSchemaNewer = errors.New("database schema is newer than this binary")
)
