package httpapi

import (
	"context"
	"net/http"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/meeting"
	"github.com/cau-gov/cau/internal/recording"
)

func (s *Server) listRecordings(ctx context.Context, p *auth.Principal, id meeting.ID) (map[string]any, error) {
	rs, err := s.Recordings.List(ctx, p, id)
	return list("recordings", rs), err
}

func (s *Server) legalHold(ctx context.Context, p *auth.Principal, id meeting.ID) (map[string]any, error) {
	h, err := s.Recordings.GetHold(ctx, p, id)
	return map[string]any{"hold": h}, err
}

func (s *Server) recordingReads(ctx context.Context, p *auth.Principal, id recording.ID) (map[string]any, error) {
	rs, err := s.Recordings.Reads(ctx, p, id)
	return list("reads", rs), err
}

// recordingMedia serves GET /api/v1/recordings/{id}/media for a signed
// link (u, e, s: the player's <video src>), with Range requests.
func (s *Server) recordingMedia(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIDAs[recording.ID](r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f, err := s.Recordings.OpenLinked(r.Context(), id, q.Get("u"), q.Get("e"), q.Get("s"))
	if err != nil {
		return err
	}
	defer f.Close()
	serveRecording(w, r, f, "inline")
	return nil
}

// recordingFile serves GET /api/v1/recordings/{id}/file for a bearer
// token (API clients, the office's copy), with Range requests.
func (s *Server) recordingFile(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathIDAs[recording.ID](r, "id")
	if err != nil {
		return err
	}
	f, err := s.Recordings.Download(r.Context(), p, id)
	if err != nil {
		return err
	}
	defer f.Close()
	serveRecording(w, r, f, "attachment")
	return nil
}

// serveRecording answers with http.ServeContent over the seekable
// decrypted file: Range, If-Range and 416 for a range outside the file.
func serveRecording(w http.ResponseWriter, r *http.Request, f recording.Media, disposition string) {
	setFileHeaders(w.Header(), f.MIME, disposition, f.Name, f.SHA256)
	http.ServeContent(w, r, "", f.ModTime, f.SectionReader)
}

// recordingChapters serves the chapters as WebVTT.
func (s *Server) recordingChapters(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathIDAs[recording.ID](r, "id")
	if err != nil {
		return err
	}
	vtt, err := s.Recordings.ChaptersVTT(r.Context(), p, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/vtt; charset=utf-8")
	w.Header().Set("Cache-Control", "private, no-store")
	_, err = w.Write([]byte(vtt))
	return err
}
