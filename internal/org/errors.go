package org

import "github.com/cau-gov/cau/internal/fault"

// Errors of administration, in the fault vocabulary. A missing unit, hall
// or user is any error of kind fault.NotFound (the store's).
var (
	// ErrForbidden means the principal's roles do not cover the target.
	ErrForbidden = fault.New(fault.Forbidden, "forbidden", "not allowed for your roles or unit scope")
	// ErrCycle means a unit would become its own ancestor.
	ErrCycle = fault.New(fault.Conflict, "unit_cycle", "a unit cannot move under itself or its descendants")
	// ErrLevel means a child's level must rank below its parent's.
	ErrLevel = fault.New(fault.Conflict, "unit_level", "the unit's level must rank below its parent's")
	// ErrInUse means a unit still has active children, halls or users.
	ErrInUse = fault.New(fault.Conflict, "unit_in_use", "the unit still has active children, halls or users")
	// ErrRoot means the province root cannot be moved or deactivated.
	ErrRoot = fault.New(fault.Conflict, "unit_root", "the province root cannot be moved or deactivated")
	// ErrSelf means an admin tried to deactivate or change the roles of
	// their own account (one slip would lock the province out).
	ErrSelf = fault.New(fault.Conflict, "own_account", "you cannot deactivate your own account or change your own roles")
	// ErrPersonalIDTaken means another account already has the personal
	// ID number: two accounts linked to one citizen would let the province
	// account sign in as either.
	ErrPersonalIDTaken = fault.New(fault.Conflict, "personal_id_taken", "another account already has this personal ID number")
	// ErrImportFormat means an import file is neither XLSX nor CSV (a
	// renamed picture, an old .xls, a PDF).
	ErrImportFormat = fault.New(fault.Unsupported, "import_format", "the file is not an XLSX workbook or a UTF-8 CSV file")
	// ErrImportEmpty means an import file has no header row or no rows.
	ErrImportEmpty = fault.New(fault.InvalidInput, "import_empty", "the file has no header row or no user rows")
	// ErrImportTooMany means an import file has more rows than one import takes.
	ErrImportTooMany = fault.New(fault.InvalidInput, "import_too_many_rows", "too many rows for one import")
	// ErrImportRows means a confirmed import still has rows with problems:
	// nothing was written.
	ErrImportRows = fault.New(fault.InvalidInput, "import_rows", "some rows have problems: nothing was imported")
)
