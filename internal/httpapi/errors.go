package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/store"
)

// Error is an API error answer: {"error":{"code","message","fields"}}.
// Handlers return one (or any error, mapped by errorFor) and writeError
// renders it; no handler writes error bodies by hand.
type Error struct {
	Status  int               `json:"-"`
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf builds an Error.
func Errorf(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// ValidationError is a 422 listing each bad field and why.
func ValidationError(fields map[string]string) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: "some fields are invalid", Fields: fields}
}

// Common errors.
var (
	errUnauthenticated        = Errorf(http.StatusUnauthorized, "unauthenticated", "sign in first: missing or invalid access token")
	errForbidden              = Errorf(http.StatusForbidden, "forbidden", "your roles do not allow this")
	errPasswordChangeRequired = Errorf(http.StatusForbidden, "password_change_required", "change your temporary password first (POST /api/v1/me/password)")
	errNotFound               = Errorf(http.StatusNotFound, "not_found", "no such resource")
)

// ErrorMapper lets domain packages registered by the app map their own
// sentinel errors to API errors without httpapi importing them all.
type ErrorMapper func(error) *Error

// errorFor maps any error to the API error the client sees. Unknown errors
// become a 500 whose message reveals nothing; the log keeps the cause.
func (s *Server) errorFor(err error) *Error {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	if e := orgError(err); e != nil {
		return e
	}
	for _, m := range s.errorMappers {
		if e := m(err); e != nil {
			return e
		}
	}
	if e := documentError(err); e != nil {
		return e
	}
	if e := meetingError(err); e != nil {
		return e
	}
	if e := minutesTaskError(err); e != nil {
		return e
	}
	switch {
	case errors.Is(err, auth.ErrInvalidCredentials):
		return Errorf(http.StatusUnauthorized, "invalid_credentials", "wrong username or password")
	case errors.Is(err, auth.ErrLocked):
		return Errorf(http.StatusLocked, "account_locked", err.Error())
	case errors.Is(err, auth.ErrRateLimited):
		return Errorf(http.StatusTooManyRequests, "rate_limited", err.Error())
	case errors.Is(err, auth.ErrBusy):
		return Errorf(http.StatusServiceUnavailable, "busy", err.Error())
	case errors.Is(err, auth.ErrTokenReused):
		return Errorf(http.StatusUnauthorized, "token_reused", err.Error())
	case errors.Is(err, auth.ErrInvalidToken):
		return Errorf(http.StatusUnauthorized, "invalid_token", "invalid or expired token")
	case errors.Is(err, auth.ErrInactive):
		return Errorf(http.StatusForbidden, "account_inactive", err.Error())
	case errors.Is(err, auth.ErrWeakPassword):
		return Errorf(http.StatusUnprocessableEntity, "weak_password", err.Error())
	case errors.Is(err, store.ErrNotFound):
		return errNotFound
	case errors.Is(err, store.ErrConflict):
		return Errorf(http.StatusConflict, "conflict", "a record with this value already exists")
	case errors.Is(err, store.ErrReferenced):
		return Errorf(http.StatusConflict, "reference_violated", "a referenced record does not exist or is still in use")
	case errors.Is(err, store.ErrInvalid):
		return Errorf(http.StatusUnprocessableEntity, "invalid_value", "a value was refused")
	case errors.Is(err, context.Canceled):
		return Errorf(499, "client_closed", "request cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return Errorf(http.StatusServiceUnavailable, "timeout", "the server took too long; try again")
	}
	return Errorf(http.StatusInternalServerError, "internal", "internal error; the administrators have the details in the server log")
}

// writeError renders err, logging 5xx with its cause.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.errorFor(err)
	if e.Status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	} else {
		s.log.DebugContext(r.Context(), "request refused", "method", r.Method, "path", r.URL.Path, "code", e.Code, "error", err)
	}
	writeJSON(w, e.Status, map[string]*Error{"error": e})
}
