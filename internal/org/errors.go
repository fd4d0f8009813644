package org

import "errors"

// Errors of administration; the HTTP layer maps them to statuses.
var (
	// ErrNotFound is what the Store's errors wrap when a unit, hall or user
	// does not exist.
	ErrNotFound = errors.New("not found")
	// ErrForbidden means the principal's roles do not cover the target.
	ErrForbidden = errors.New("not allowed for your roles or unit scope")
	// ErrInvalid wraps a ValidationError.
	ErrInvalid = errors.New("invalid input")
	// ErrCycle means a unit would become its own ancestor.
	ErrCycle = errors.New("a unit cannot move under itself or its descendants")
	// ErrLevel means a child's level must rank below its parent's.
	ErrLevel = errors.New("the unit's level must rank below its parent's")
	// ErrInUse means a unit still has active children, halls or users.
	ErrInUse = errors.New("the unit still has active children, halls or users")
	// ErrRoot means the province root cannot be moved or deactivated.
	ErrRoot = errors.New("the province root cannot be moved or deactivated")
	// ErrSelf means an admin tried to deactivate or change the roles of
	// their own account (one slip would lock the province out).
	ErrSelf = errors.New("you cannot deactivate your own account or change your own roles")
	// ErrImportFormat means an import file is neither XLSX nor CSV (a
	// renamed picture, an old .xls, a PDF).
	ErrImportFormat = errors.New("the file is not an XLSX workbook or a UTF-8 CSV file")
	// ErrImportEmpty means an import file has no header row or no rows.
	ErrImportEmpty = errors.New("the file has no header row or no user rows")
	// ErrImportTooMany means an import file has more rows than one import takes.
	ErrImportTooMany = errors.New("too many rows for one import")
	// ErrImportColumns means required columns are missing from the header row.
	ErrImportColumns = errors.New("required columns are missing from the header row")
	// ErrImportRows means a confirmed import still has rows with problems:
	// nothing was written.
	ErrImportRows = errors.New("some rows have problems: nothing was imported")
)

// ValidationError lists each invalid field and why.
type ValidationError struct{ Fields map[string]string }

func (v *ValidationError) Error() string { return "invalid input" }

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (v *ValidationError) Unwrap() error { return ErrInvalid }
