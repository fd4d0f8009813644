package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/minutes"
)

func minutesMeetingID(r *http.Request) (minutes.MeetingID, error) {
	return pathID(r, "id")
}

func (s *Server) getMinutes(ctx context.Context, p *auth.Principal, id minutes.MeetingID) (minutes.Minutes, error) {
	return s.Minutes.Read(ctx, p, id, "minutes")
}

// versioned is a body that names the version it was based on.
type versioned struct {
	Version int           `json:"version"`
	Body    *minutes.Body `json:"body,omitempty"`
}

func (s *Server) saveMinutes(ctx context.Context, p *auth.Principal, id minutes.MeetingID, in versioned) (minutes.Minutes, error) {
	if in.Body == nil || in.Version <= 0 {
		return minutes.Minutes{}, &fault.Invalid{Fields: map[string]fault.Problem{"version": fault.Required, "body": fault.Required}}
	}
	return s.Minutes.Save(ctx, p, id, in.Version, *in.Body)
}

// refreshMinutes fills the draft again from the session, on {"version": n}.
func (s *Server) refreshMinutes(ctx context.Context, p *auth.Principal, id minutes.MeetingID, in versioned) (minutes.Minutes, error) {
	if in.Version <= 0 || in.Body != nil {
		return minutes.Minutes{}, fault.Field("version", fault.Required)
	}
	return s.Minutes.Refresh(ctx, p, id, in.Version)
}

// approveMinutes locks version n of the minutes, on {"version": n}.
func (s *Server) approveMinutes(ctx context.Context, p *auth.Principal, id minutes.MeetingID, in versioned) (minutes.Minutes, error) {
	if in.Version <= 0 || in.Body != nil {
		return minutes.Minutes{}, fault.Field("version", fault.Required)
	}
	return s.Minutes.Approve(ctx, p, id, in.Version)
}

// minutesPDF serves the minutes as a PDF.
func (s *Server) minutesPDF(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return s.servePDF(w, r, p, false)
}

// noticePDF serves the conclusion notice as a PDF.
func (s *Server) noticePDF(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return s.servePDF(w, r, p, true)
}

// servePDF serves the minutes or (notice) the conclusion notice.
func (s *Server) servePDF(w http.ResponseWriter, r *http.Request, p *auth.Principal, notice bool) error {
	id, err := minutesMeetingID(r)
	if err != nil {
		return err
	}
	pdf, err := s.Minutes.PDF(r.Context(), p, id, notice)
	if errors.Is(err, minutes.ErrPending) {
		w.Header().Set("Retry-After", "5")
	}
	if err != nil {
		return err
	}
	name := fmt.Sprintf("bien-ban-%d.pdf", id)
	if notice {
		name = fmt.Sprintf("thong-bao-ket-luan-%d.pdf", id)
	}
	if pdf.Draft {
		name = "du-thao-" + name
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("ETag", `"`+pdf.SHA256+`"`)
	if pdf.Draft {
		w.Header().Set("X-Cau-Draft", "true")
	}
	_, err = w.Write(pdf.Bytes)
	return err
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	q := r.URL.Query()
	var kinds []string
	for _, k := range q["kind"] {
		if k != "" {
			kinds = append(kinds, k)
		}
	}
	limit, err := queryInt(q.Get("limit"), "limit")
	if err != nil {
		return err
	}
	res, err := s.Search.Search(r.Context(), p, q.Get("q"), kinds, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": res})
	return nil
}
