package httpapi

import (
	"context"
	"net/http"

	"github.com/cau-gov/cau/internal/auth"
)

// Adapters for handlers that are pure shape: the path names a resource,
// the domain does the work, the answer is its result as JSON. A handler
// that decodes a body or sets headers of its own is written out.

// pathIDAs is the path value name as the typed ID of a domain.
func pathIDAs[ID ~int64](r *http.Request, name string) (ID, error) {
	n, err := pathID(r, name)
	return ID(n), err
}

// byID answers status with the JSON of call on the path's {id}.
func byID[ID ~int64, T any](status int, call func(context.Context, *auth.Principal, ID) (T, error)) userHandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
		id, err := pathIDAs[ID](r, "id")
		if err != nil {
			return err
		}
		v, err := call(r.Context(), p, id)
		if err != nil {
			return err
		}
		writeJSON(w, status, v)
		return nil
	}
}

// commandByID runs call on the path's {id} and answers 204.
func commandByID[ID ~int64](call func(context.Context, *auth.Principal, ID) error) userHandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
		id, err := pathIDAs[ID](r, "id")
		if err != nil {
			return err
		}
		if err := call(r.Context(), p, id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// commandByIDs runs call on the path's {id} and {sub} and answers 204.
func commandByIDs[ID, Sub ~int64](sub string, call func(context.Context, *auth.Principal, ID, Sub) error) userHandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
		id, err := pathIDAs[ID](r, "id")
		if err != nil {
			return err
		}
		s, err := pathIDAs[Sub](r, sub)
		if err != nil {
			return err
		}
		if err := call(r.Context(), p, id, s); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
