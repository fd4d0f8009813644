package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/cau-gov/cau/internal/fault"
)

// writeJSON writes v with status. Encoding errors are the client's
// disconnect by then; there is nothing more to tell it.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// decodeJSON reads exactly one JSON object into dst: the body is capped at
// the configured size, unknown fields and trailing data are refused, and
// each failure is a 4xx that says what was wrong.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return fault.New(fault.Unsupported, "unsupported_media_type", "send the body as application/json")
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.HTTP.MaxBodyBytes)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return fault.New(fault.Malformed, "malformed_json", "the body must hold a single JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return fault.New(fault.TooLarge, "body_too_large", fmt.Sprintf("the body is larger than %d bytes", maxErr.Limit))
	case errors.As(err, &syntaxErr):
		return fault.New(fault.Malformed, "malformed_json", fmt.Sprintf("malformed JSON at byte %d", syntaxErr.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fault.New(fault.Malformed, "malformed_json", "the body is empty or cut short")
	case errors.As(err, &typeErr):
		return fault.Field(typeErr.Field, fault.WrongFormat)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fault.New(fault.Malformed, "unknown_field", fmt.Sprintf("unknown field %q", name))
	}
	return fault.New(fault.Malformed, "malformed_json", "the body is not valid JSON")
}
