package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/cau-gov/cau/internal/fault"
)

// Error is an API error answer: {"error":{"code","message","fields"}}.
// errorFor builds it from any error and writeError renders it; handlers
// return fault errors and never write error bodies by hand.
type Error struct {
	Status  int                      `json:"-"`
	Code    string                   `json:"code"`
	Message string                   `json:"message"`
	Fields  map[string]fault.Problem `json:"fields,omitempty"`
}

// Transport's own errors (the domain declares the rest).
var (
	errUnauthenticated        = fault.New(fault.Unauthenticated, "unauthenticated", "sign in first: missing or invalid access token")
	errForbidden              = fault.New(fault.Forbidden, "forbidden", "your roles do not allow this")
	errNotFound               = fault.New(fault.NotFound, "not_found", "no such resource, or not yours to see")
	errInternal               = fault.New(fault.Internal, "internal", "internal error; the administrators have the details in the server log")
	errCanceled               = fault.New(fault.Canceled, "client_closed", "request cancelled")
	errTimeout                = fault.New(fault.Unavailable, "timeout", "the server took too long; try again")
	errLiveUnavailable        = fault.New(fault.Unavailable, "live_unavailable", "live events are not running on this server")
	errPasswordChangeRequired = fault.New(fault.Forbidden, "password_change_required", "change your temporary password first (POST /api/v1/me/password)")
)

// statusOf is the HTTP status of each kind: the one place a class of error
// becomes a status.
func statusOf(k fault.Kind) int {
	switch k {
	case fault.NotFound:
		return http.StatusNotFound
	case fault.InvalidInput:
		return http.StatusUnprocessableEntity
	case fault.Malformed:
		return http.StatusBadRequest
	case fault.Conflict:
		return http.StatusConflict
	case fault.Forbidden:
		return http.StatusForbidden
	case fault.Unauthenticated:
		return http.StatusUnauthorized
	case fault.Locked:
		return http.StatusLocked
	case fault.TooLarge:
		return http.StatusRequestEntityTooLarge
	case fault.Unsupported:
		return http.StatusUnsupportedMediaType
	case fault.RateLimited:
		return http.StatusTooManyRequests
	case fault.Unavailable:
		return http.StatusServiceUnavailable
	case fault.Canceled:
		return 499 // nginx's "client closed request": logged, never read
	}
	return http.StatusInternalServerError
}

// errorFor maps any error to the API error the client sees. A domain error
// answers its code and its message (the wrapped chain says what was being
// done), except that every not-found reads alike (a confidential document
// or another's meeting must look like a missing one) and an internal error
// reveals nothing: the log keeps the cause.
func errorFor(err error) *Error {
	var inv *fault.Invalid
	if errors.As(err, &inv) {
		e := &Error{Status: statusOf(fault.InvalidInput), Code: "validation_failed", Message: "some fields are invalid", Fields: inv.Fields}
		if inv.Code != "" {
			e.Code, e.Message = inv.Code, inv.Error()
		}
		return e
	}
	var fe *fault.Error
	switch {
	case errors.As(err, &fe):
	case errors.Is(err, context.Canceled):
		fe, err = errCanceled, errCanceled
	case errors.Is(err, context.DeadlineExceeded):
		fe, err = errTimeout, errTimeout
	default:
		fe, err = errInternal, errInternal
	}
	msg := err.Error()
	switch fe.Kind {
	case fault.NotFound:
		msg = errNotFound.Message
	case fault.Internal:
		msg = fe.Message
	}
	return &Error{Status: statusOf(fe.Kind), Code: fe.Code, Message: msg}
}

// writeError renders err, logging 5xx with its cause.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := errorFor(err)
	if e.Status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	} else {
		s.log.DebugContext(r.Context(), "request refused", "method", r.Method, "path", r.URL.Path, "code", e.Code, "error", err)
	}
	writeJSON(w, e.Status, map[string]*Error{"error": e})
}
