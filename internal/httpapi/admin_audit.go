package httpapi

import (
	"net/http"
	"strconv"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/org"
)

// listAudit pages through the audit log, newest first: next_before is the
// value of ?before= for the following page (null on the last one).
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	q := r.URL.Query()
	f := org.AuditFilter{Action: q.Get("action"), ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id")}
	fields := map[string]fault.Problem{}
	f.Before = positiveParam(q.Get("before"), "before", fields)
	if id := positiveParam(q.Get("actor_id"), "actor_id", fields); id > 0 {
		actor := auth.UserID(id)
		f.ActorID = &actor
	}
	f.Limit = int(min(positiveParam(q.Get("limit"), "limit", fields), 1000))
	if len(fields) > 0 {
		return &fault.Invalid{Fields: fields}
	}
	rows, err := s.Org.Audit(r.Context(), p, f)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []org.AuditRow{}
	}
	out := map[string]any{"entries": rows, "next_before": nil}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	if len(rows) == limit {
		out["next_before"] = rows[len(rows)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// verifyAudit recomputes the audit log's hash chain.
func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	c, err := s.Org.VerifyAudit(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// positiveParam parses an optional positive integer query parameter; a bad
// value is noted in fields under key.
func positiveParam(v, key string, fields map[string]fault.Problem) int64 {
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		fields[key] = fault.WrongFormat
		return 0
	}
	return n
}
