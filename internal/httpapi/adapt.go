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

// answer writes v as JSON with status, or only the status when it is 204
// (v is then none{}).
func answer(w http.ResponseWriter, status int, v any) {
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, v)
}

// withBody decodes the JSON body into In, runs call on the path's {id}
// and answers status with the JSON of its result (204: nothing).
func withBody[ID ~int64, In, T any](s *Server, status int, call func(context.Context, *auth.Principal, ID, In) (T, error)) userHandlerFunc {
	return bodyByID(s.decodeJSON, status, call)
}

// withOptionalBody is withBody for commands whose body may be absent (In
// then stays zero).
func withOptionalBody[ID ~int64, In, T any](s *Server, status int, call func(context.Context, *auth.Principal, ID, In) (T, error)) userHandlerFunc {
	return bodyByID(s.decodeOptionalJSON, status, call)
}

func bodyByID[ID ~int64, In, T any](decode func(http.ResponseWriter, *http.Request, any) error, status int, call func(context.Context, *auth.Principal, ID, In) (T, error)) userHandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
		id, err := pathIDAs[ID](r, "id")
		if err != nil {
			return err
		}
		var in In
		if err := decode(w, r, &in); err != nil {
			return err
		}
		v, err := call(r.Context(), p, id, in)
		if err != nil {
			return err
		}
		answer(w, status, v)
		return nil
	}
}

// fromBody decodes the JSON body into In, runs call on it and answers
// status with the JSON of its result (creating what no path names yet).
func fromBody[In, T any](s *Server, status int, call func(context.Context, *auth.Principal, In) (T, error)) userHandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
		var in In
		if err := s.decodeJSON(w, r, &in); err != nil {
			return err
		}
		v, err := call(r.Context(), p, in)
		if err != nil {
			return err
		}
		writeJSON(w, status, v)
		return nil
	}
}

// withBodyIDs decodes the JSON body into In, runs call on the path's {id}
// and {sub} and answers status with the JSON of its result (204: nothing).
func withBodyIDs[ID, Sub ~int64, In, T any](s *Server, sub string, status int, call func(context.Context, *auth.Principal, ID, Sub, In) (T, error)) userHandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
		id, err := pathIDAs[ID](r, "id")
		if err != nil {
			return err
		}
		s2, err := pathIDAs[Sub](r, sub)
		if err != nil {
			return err
		}
		var in In
		if err := s.decodeJSON(w, r, &in); err != nil {
			return err
		}
		v, err := call(r.Context(), p, id, s2, in)
		if err != nil {
			return err
		}
		answer(w, status, v)
		return nil
	}
}

// list is a JSON object naming one list, never null: {"halls": [...]}.
func list[T any](key string, items []T) map[string]any {
	return map[string]any{key: nonNil(items)}
}

// none is what a command answering 204 returns to withBody and withBodyIDs.
type none struct{}
