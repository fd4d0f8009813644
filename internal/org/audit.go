package org

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
)

// AuditFilter selects audit rows, newest first; Before pages backwards.
type AuditFilter struct {
	Action     string // exact, or a prefix ending in "." ("user." for every user change)
	ObjectType string
	ObjectID   string
	ActorID    *auth.UserID
	Before     int64 // only rows with a smaller id; 0: from the newest
	Limit      int
}

// AuditRow is an audit log row as administrators read it.
type AuditRow struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	ActorID    *int64          `json:"actor_id"`
	ActorName  string          `json:"actor_name"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id"`
	Detail     json.RawMessage `json:"detail"`
	IP         string          `json:"ip"`
}

// AuditCheck is the result of verifying the hash chain.
type AuditCheck struct {
	Rows     int64  `json:"rows"` // rows verified before the first broken one (all, when intact)
	Intact   bool   `json:"intact"`
	BrokenAt *int64 `json:"broken_at,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// Audit lists audit rows. Only a province-wide admin reads the log: rows
// carry names, IPs and what changed anywhere in the province, and they are
// not tagged by unit, so a scoped admin's view could not be cut to its scope.
func (s *Service) Audit(ctx context.Context, p *auth.Principal, f AuditFilter) ([]AuditRow, error) {
	if !p.HasGlobal(auth.RoleAdmin) {
		return nil, ErrForbidden
	}
	fields := map[string]fault.Problem{}
	for key, v := range map[string]string{"action": f.Action, "object_type": f.ObjectType, "object_id": f.ObjectID} {
		if !oneLine(v, 100) {
			fields[key] = fault.TooLong
		}
	}
	if f.Before < 0 {
		fields["before"] = fault.OutOfRange
	}
	if f.Limit < 0 || f.Limit > 500 {
		fields["limit"] = fault.OutOfRange
	}
	if err := fault.Check(fields); err != nil {
		return nil, err
	}
	if f.Limit == 0 {
		f.Limit = 100
	}
	return s.st.AuditRows(ctx, f)
}

// VerifyAudit recomputes the hash chain (what `cau audit verify` does) for
// a province-wide admin.
func (s *Service) VerifyAudit(ctx context.Context, p *auth.Principal) (AuditCheck, error) {
	if !p.HasGlobal(auth.RoleAdmin) {
		return AuditCheck{}, ErrForbidden
	}
	n, breach, err := s.st.VerifyAudit(ctx)
	if err != nil {
		return AuditCheck{}, err
	}
	c := AuditCheck{Rows: n, Intact: breach == nil}
	if breach != nil {
		c.BrokenAt, c.Reason = &breach.ID, breach.Reason
	}
	return c, nil
}
