// Package fault is the one error vocabulary of Cầu's domain. A domain error
// carries a Kind (not found, invalid input, conflict, forbidden…), which transport
// maps to a status in one place (HTTP: httpapi.errorFor), and a stable Code,
// which clients handle and translate (web/static/js/i18n: "err.<code>").
// Bad input is one type, *Invalid, whose field problems are codes too
// ("field.<problem>" in the client's tables).
//
// Domain packages declare their sentinels with New in their errors.go and
// wrap them with %w saying what was being done; store returns them (or its
// own, equally kinded) so that nothing above it tests for a package's
// sentinel to learn a class of error: KindOf answers that.
package fault

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Kind is the class of an error: what the caller can do about it.
type Kind uint8

// The kinds. Internal is the zero value: an error without a kind is the
// server's fault, never the caller's.
const (
	Internal        Kind = iota // a bug or a broken dependency; the log has the cause
	NotFound                    // no such thing, or not visible to the caller
	InvalidInput                // the input is wrong (an *Invalid lists the fields)
	Malformed                   // the request cannot be read at all (syntax, unknown fields)
	Conflict                    // the state does not allow it now (taken, changed meanwhile, locked)
	Forbidden                   // authenticated, but not allowed
	Unauthenticated             // no valid credentials
	Locked                      // the account is locked for a while
	TooLarge                    // over a size limit
	Unsupported                 // a content type that is not accepted
	RateLimited                 // too many attempts; try later
	Unavailable                 // not running here, or not ready yet; try later
	Canceled                    // the caller went away
	kinds                       // the number of kinds (tests range over them)
)

// Kinds lists every kind, for tests that check a mapping is total.
func Kinds() []Kind {
	ks := make([]Kind, kinds)
	for i := range ks {
		ks[i] = Kind(i)
	}
	return ks
}

var kindNames = [kinds]string{"internal", "not_found", "invalid", "malformed", "conflict", "forbidden",
	"unauthenticated", "locked", "too_large", "unsupported", "rate_limited", "unavailable", "canceled"}

func (k Kind) String() string {
	if k < kinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Error is a domain error: its kind, the stable code clients handle, and a
// message in English for logs and API readers.
type Error struct {
	Kind    Kind
	Code    string
	Message string
}

// New declares an error of kind with a stable code.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

func (e *Error) Error() string { return e.Message }

// Problem is what is wrong with one field: a stable code the client
// translates ("field.<code>"). It is a struct so that only the problems
// declared here compile where one is expected (a string literal does not).
type Problem struct{ code string }

// The field problems.
var (
	Required     = Problem{"required"}      // missing or empty
	TooShort     = Problem{"too_short"}     // fewer characters than allowed
	TooLong      = Problem{"too_long"}      // more characters than allowed (or not on one line)
	OutOfRange   = Problem{"out_of_range"}  // a number or a count outside its bounds
	WrongFormat  = Problem{"wrong_format"}  // not of the form asked (number, date, e-mail, ID, code)
	UnknownValue = Problem{"unknown_value"} // not one of the accepted values
	NoSuch       = Problem{"no_such"}       // names a record that does not exist
	Inactive     = Problem{"inactive"}      // names a deactivated record
	Duplicate    = Problem{"duplicate"}     // repeats a value, or equals another field
	NotInvited   = Problem{"not_invited"}   // names a hall or person not invited to the meeting
	NotAllowed   = Problem{"not_allowed"}   // not allowed in this combination of fields
	TooEarly     = Problem{"too_early"}     // a time before the one it must follow (or in the past)
	OutOfOrder   = Problem{"out_of_order"}  // numbered out of sequence
)

// Problems lists every field problem, for the test that the client
// translates each.
func Problems() []Problem {
	return []Problem{Required, TooShort, TooLong, OutOfRange, WrongFormat, UnknownValue, NoSuch,
		Inactive, Duplicate, NotInvited, NotAllowed, TooEarly, OutOfOrder}
}

// NewProblem declares a domain's own field problem (a package variable,
// as a sentinel is), for the few checks whose codes the client already
// knows by another table (the user import's row problems).
func NewProblem(code string) Problem { return Problem{code} }

// String is the problem's code.
func (p Problem) String() string { return p.code }

// IsZero reports whether p is no problem (what Length returns for a fit).
func (p Problem) IsZero() bool { return p.code == "" }

// MarshalText makes a problem its code in JSON.
func (p Problem) MarshalText() ([]byte, error) { return []byte(p.code), nil }

// Invalid is bad input: each field named with its problem. Its kind is
// InvalidInput and its code "validation_failed" unless Code names a more
// precise one (the user import's "import_columns").
type Invalid struct {
	Code   string
	Fields map[string]Problem
}

// Field is an *Invalid naming one field.
func Field(name string, p Problem) *Invalid {
	return &Invalid{Fields: map[string]Problem{name: p}}
}

// Check returns an *Invalid for the fields, or nil when there are none.
func Check(fields map[string]Problem) error {
	if len(fields) == 0 {
		return nil
	}
	return &Invalid{Fields: fields}
}

func (e *Invalid) Error() string {
	keys := slices.Sorted(maps.Keys(e.Fields))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k].code
	}
	what := "invalid fields"
	if e.Code != "" {
		what = e.Code
	}
	return what + ": " + strings.Join(parts, ", ")
}

// Length is the problem of a text of n characters that must hold min..max,
// or the zero Problem when it fits.
func Length(n, min, max int) Problem {
	switch {
	case n == 0 && min > 0:
		return Required
	case n < min:
		return TooShort
	case n > max:
		return TooLong
	}
	return Problem{}
}

// KindOf is the kind of err: its *Error's, InvalidInput for an *Invalid,
// Internal for anything else (and nil).
func KindOf(err error) Kind {
	var inv *Invalid
	if errors.As(err, &inv) {
		return InvalidInput
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is of kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }
