package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/minutes"
	"github.com/cau-gov/cau/internal/search"
	"github.com/cau-gov/cau/internal/task"
)

// minutesTaskError maps the minutes, task, search and PDF errors.
func minutesTaskError(err error) *Error {
	var mve *minutes.ValidationError
	var tve *task.ValidationError
	switch {
	case errors.As(err, &mve):
		return ValidationError(mve.Fields)
	case errors.As(err, &tve):
		return ValidationError(tve.Fields)
	case errors.Is(err, minutes.ErrVersionConflict):
		return Errorf(http.StatusConflict, "version_conflict", "the minutes were saved by someone else meanwhile; reload, merge and save again")
	case errors.Is(err, minutes.ErrLocked):
		return Errorf(http.StatusConflict, "minutes_locked", "the minutes are approved and can no longer change")
	case errors.Is(err, minutes.ErrExists):
		return Errorf(http.StatusConflict, "minutes_exist", "the minutes of this meeting are already drafted")
	case errors.Is(err, minutes.ErrNotApproved):
		return Errorf(http.StatusConflict, "minutes_not_approved", "the conclusion notice exists once the minutes are approved")
	case errors.Is(err, minutes.ErrPending):
		return Errorf(http.StatusServiceUnavailable, "pdf_pending", "the approved document is being signed and stored; try again in a few seconds")
	case errors.Is(err, minutes.ErrNotFound), errors.Is(err, task.ErrNotFound):
		return errNotFound
	case errors.Is(err, minutes.ErrForbidden), errors.Is(err, task.ErrForbidden):
		return Errorf(http.StatusForbidden, "forbidden", err.Error())
	case errors.Is(err, task.ErrState):
		return Errorf(http.StatusConflict, "invalid_state", err.Error())
	case errors.Is(err, search.ErrInvalid):
		return ValidationError(map[string]string{"q": err.Error()})
	}
	return nil
}

func minutesMeetingID(r *http.Request) (minutes.MeetingID, error) {
	return pathID(r, "id")
}

func (s *Server) draftMinutes(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := minutesMeetingID(r)
	if err != nil {
		return err
	}
	m, err := s.Minutes.Draft(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (s *Server) getMinutes(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := minutesMeetingID(r)
	if err != nil {
		return err
	}
	m, err := s.Minutes.Read(r.Context(), p, id, "minutes")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// minutesNotice is the approved conclusion notice as its reader may see
// it: the page a concerned unit's user opens from the notice e-mail.
func (s *Server) minutesNotice(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := minutesMeetingID(r)
	if err != nil {
		return err
	}
	n, err := s.Minutes.Notice(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

// versioned is a body that names the version it was based on.
type versioned struct {
	Version int           `json:"version"`
	Body    *minutes.Body `json:"body,omitempty"`
}

func (s *Server) saveMinutes(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := minutesMeetingID(r)
	if err != nil {
		return err
	}
	var in versioned
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Body == nil || in.Version <= 0 {
		return ValidationError(map[string]string{"version": "required: the version the edit started from", "body": "required"})
	}
	m, err := s.Minutes.Save(r.Context(), p, id, in.Version, *in.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// minutesVersionAction runs refresh or approve on {"version": n}.
func (s *Server) minutesVersionAction(approve bool) userHandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
		id, err := minutesMeetingID(r)
		if err != nil {
			return err
		}
		var in versioned
		if err := s.decodeJSON(w, r, &in); err != nil {
			return err
		}
		if in.Version <= 0 || in.Body != nil {
			return ValidationError(map[string]string{"version": "required, and nothing else"})
		}
		var m minutes.Minutes
		if approve {
			m, err = s.Minutes.Approve(r.Context(), p, id, in.Version)
		} else {
			m, err = s.Minutes.Refresh(r.Context(), p, id, in.Version)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, m)
		return nil
	}
}

// minutesPDF serves the minutes (notice=false) or the conclusion notice.
func (s *Server) minutesPDF(notice bool) userHandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
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
