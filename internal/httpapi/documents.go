package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/document"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/filetype"
)

// Documents are uploaded as multipart/form-data: the text fields first
// (title, item_id, confidential, allowed_user_ids), then one part named
// "file" whose filename is the document's name. Fields after the file are
// refused: the file streams straight to storage, so everything that can be
// refused cheaply is checked before its first byte is read.

// multipartSlack is room for the multipart framing and text fields on top
// of CAU_MAX_UPLOAD_BYTES.
const multipartSlack = 1 << 20

// maxFieldBytes bounds one text field of an upload.
const maxFieldBytes = 64 << 10

// versionJSON is a document version in API answers.
type versionJSON struct {
	Version         int        `json:"version"`
	Filename        string     `json:"filename"`
	Type            string     `json:"type"`
	MIME            string     `json:"mime"`
	SizeBytes       int64      `json:"size_bytes"`
	SHA256          string     `json:"sha256"`
	Conversion      string     `json:"conversion"`
	ConversionError string     `json:"conversion_error,omitempty"`
	ConvertedAt     *time.Time `json:"converted_at,omitempty"`
	UploadedBy      int64      `json:"uploaded_by"`
	UploadedAt      time.Time  `json:"uploaded_at"`
	FileURL         string     `json:"file_url"`
	PDFURL          string     `json:"pdf_url,omitempty"`
}

// documentJSON is a document in API answers.
type documentJSON struct {
	ID             int64         `json:"id"`
	MeetingID      int64         `json:"meeting_id"`
	ItemID         *int64        `json:"item_id"`
	Title          string        `json:"title"`
	Confidential   bool          `json:"confidential"`
	AllowedUserIDs []int64       `json:"allowed_user_ids,omitempty"`
	CreatedBy      int64         `json:"created_by"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
	CurrentVersion int           `json:"current_version"`
	Versions       []versionJSON `json:"versions"`
}

func toDocumentJSON(d document.Document) documentJSON {
	out := documentJSON{ID: int64(d.ID), MeetingID: int64(d.MeetingID), Title: d.Title, Confidential: d.Confidential,
		CreatedBy: int64(d.CreatedBy), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, CurrentVersion: d.Current().Number,
		Versions: make([]versionJSON, 0, len(d.Versions))}
	if d.ItemID != nil {
		id := int64(*d.ItemID)
		out.ItemID = &id
	}
	for _, u := range d.AllowedUserIDs {
		out.AllowedUserIDs = append(out.AllowedUserIDs, int64(u))
	}
	for _, v := range d.Versions {
		ft, _ := filetype.ByName(v.FileType)
		base := fmt.Sprintf("/api/v1/documents/%d/versions/%d", d.ID, v.Number)
		vj := versionJSON{Version: v.Number, Filename: v.Filename, Type: v.FileType, MIME: ft.MIME, SizeBytes: v.Size,
			SHA256: fmt.Sprintf("%x", v.SHA256), Conversion: string(v.Conversion), ConversionError: v.ConversionError,
			ConvertedAt: v.ConvertedAt, UploadedBy: int64(v.UploadedBy), UploadedAt: v.UploadedAt, FileURL: base + "/file"}
		if ft == filetype.PDF || v.Conversion == document.ConversionDone {
			vj.PDFURL = base + "/pdf"
		}
		out.Versions = append(out.Versions, vj)
	}
	return out
}

func pathID(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s must be a positive whole number: %w", name, errNotFound)
	}
	return n, nil
}

// uploadReader opens a multipart upload body, capped in size.
func (s *Server) uploadReader(w http.ResponseWriter, r *http.Request) (*multipart.Reader, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, fault.New(fault.Unsupported, "unsupported_media_type", "send the file as multipart/form-data with a part named \"file\"")
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.Documents.MaxUploadBytes+multipartSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fault.New(fault.Malformed, "malformed_multipart", "the multipart body cannot be read: "+err.Error())
	}
	return mr, nil
}

func readField(p *multipart.Part) (string, error) {
	b, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
	if err != nil {
		return "", multipartError(err)
	}
	if len(b) > maxFieldBytes {
		return "", fault.Field(p.FormName(), fault.TooLong)
	}
	return strings.TrimSpace(string(b)), nil
}

func multipartError(err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return document.ErrTooLarge
	}
	return fault.New(fault.Malformed, "malformed_multipart", "the multipart body cannot be read: "+err.Error())
}

// nextFilePart skips nothing: it returns the next part, which must be the file.
func nextPart(mr *multipart.Reader) (*multipart.Part, error) {
	p, err := mr.NextPart()
	if err == io.EOF {
		return nil, fault.Field("file", fault.Required)
	}
	if err != nil {
		return nil, multipartError(err)
	}
	return p, nil
}

func parseIDList(s string) ([]auth.UserID, bool) {
	var out []auth.UserID
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '[' || r == ']' }) {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n < 1 {
			return nil, false
		}
		out = append(out, auth.UserID(n))
	}
	return out, true
}

// POST /api/v1/meetings/{id}/documents
func (s *Server) uploadDocument(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	meetingID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	mr, err := s.uploadReader(w, r)
	if err != nil {
		return err
	}
	var meta document.UploadMeta
	bad := map[string]fault.Problem{}
	for {
		part, err := nextPart(mr)
		if err != nil {
			return err
		}
		name := part.FormName()
		if name == "file" {
			if len(bad) > 0 {
				return &fault.Invalid{Fields: bad}
			}
			meta.Filename = part.FileName()
			d, err := s.Documents.Upload(r.Context(), p, document.MeetingID(meetingID), meta, part)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusCreated, toDocumentJSON(d))
			return nil
		}
		v, err := readField(part)
		if err != nil {
			return err
		}
		switch name {
		case "title":
			meta.Title = v
		case "item_id":
			if v == "" {
				continue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				bad["item_id"] = fault.WrongFormat
				continue
			}
			id := document.ItemID(n)
			meta.ItemID = &id
		case "confidential":
			b, err := strconv.ParseBool(v)
			if err != nil {
				bad["confidential"] = fault.WrongFormat
			}
			meta.Confidential = b
		case "allowed_user_ids":
			ids, ok := parseIDList(v)
			if !ok {
				bad["allowed_user_ids"] = fault.WrongFormat
			}
			meta.AllowedUserIDs = append(meta.AllowedUserIDs, ids...)
		default:
			return fault.New(fault.Malformed, "unknown_field", fmt.Sprintf("unknown field %q", name))
		}
	}
}

// POST /api/v1/documents/{id}/versions
func (s *Server) uploadDocumentVersion(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	mr, err := s.uploadReader(w, r)
	if err != nil {
		return err
	}
	part, err := nextPart(mr)
	if err != nil {
		return err
	}
	if part.FormName() != "file" {
		return fault.New(fault.Malformed, "unknown_field", fmt.Sprintf("unknown field %q: a new version is one part named \"file\"", part.FormName()))
	}
	d, err := s.Documents.AddVersion(r.Context(), p, document.ID(id), part.FileName(), part)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toDocumentJSON(d))
	return nil
}

// GET /api/v1/meetings/{id}/documents
func (s *Server) listDocuments(ctx context.Context, p *auth.Principal, meeting document.MeetingID) (map[string]any, error) {
	docs, err := s.Documents.List(ctx, p, meeting)
	out := make([]documentJSON, len(docs))
	for i, d := range docs {
		out[i] = toDocumentJSON(d)
	}
	return map[string]any{"documents": out}, err
}

// GET /api/v1/documents/{id}
func (s *Server) getDocument(ctx context.Context, p *auth.Principal, id document.ID) (documentJSON, error) {
	d, err := s.Documents.Get(ctx, p, id)
	if err != nil {
		return documentJSON{}, err
	}
	return toDocumentJSON(d), nil
}

// downloadDocument serves GET /api/v1/documents/{id}/versions/{v}/file.
func (s *Server) downloadDocument(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return s.openDocument(w, r, p, document.ReadDownload)
}

// viewDocument serves GET /api/v1/documents/{id}/versions/{v}/pdf.
func (s *Server) viewDocument(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return s.openDocument(w, r, p, document.ReadView)
}

// openDocument sends version {v} of a document for reading as kind.
func (s *Server) openDocument(w http.ResponseWriter, r *http.Request, p *auth.Principal, kind document.ReadKind) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := pathID(r, "v")
	if err != nil || v > 1<<30 {
		return errNotFound
	}
	f, err := s.Documents.Open(r.Context(), p, document.ID(id), int(v), kind)
	if err != nil {
		return err
	}
	defer f.Body.Close()
	disposition := "attachment"
	if kind == document.ReadView {
		disposition = "inline"
	}
	setFileHeaders(w.Header(), f.MIME, disposition, f.Name, f.SHA256)
	if f.Size >= 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(f.Size, 10))
	}
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, f.Body); err != nil {
		// Headers are gone; a tampered blob or a client that left ends here.
		s.log.ErrorContext(r.Context(), "send document", "document_id", id, "version", v, "error", err)
	}
	return nil
}

// contentDisposition names the file for browsers: an ASCII fallback and
// the UTF-8 name (RFC 6266 / RFC 5987) so Vietnamese names survive.
// setFileHeaders are the headers of a stored file sent to its reader (a
// document version or a recording): its type and name, no sniffing, no
// shared cache, and its SHA-256 so a reader can check what it kept.
func setFileHeaders(h http.Header, mime, disposition, name string, sha256 []byte) {
	h.Set("Content-Type", mime)
	h.Set("Content-Disposition", contentDisposition(disposition, name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	if sha256 != nil {
		h.Set("X-Content-SHA256", fmt.Sprintf("%x", sha256))
	}
}

func contentDisposition(kind, name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, kind, ascii, url.PathEscape(name))
}

// readJSON is a read receipt in API answers.
type readJSON struct {
	UserID   int64     `json:"user_id"`
	FullName string    `json:"full_name"`
	Unit     string    `json:"unit"`
	Version  int       `json:"version"`
	Kind     string    `json:"kind"`
	At       time.Time `json:"at"`
}

// readerJSON sums up one person's reads of a document.
type readerJSON struct {
	UserID   int64     `json:"user_id"`
	FullName string    `json:"full_name"`
	Unit     string    `json:"unit"`
	FirstAt  time.Time `json:"first_at"`
	LastAt   time.Time `json:"last_at"`
	Count    int       `json:"count"`
}

// personJSON names someone who has not opened a document.
type personJSON struct {
	UserID   int64  `json:"user_id"`
	FullName string `json:"full_name"`
	Unit     string `json:"unit"`
}

// GET /api/v1/documents/{id}/reads
func (s *Server) documentReads(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	reads, unread, err := s.Documents.Reads(r.Context(), p, document.ID(id))
	if err != nil {
		return err
	}
	out := make([]readJSON, len(reads))
	byUser := map[int64]*readerJSON{}
	var readers []*readerJSON
	for i, rd := range reads {
		out[i] = readJSON{UserID: int64(rd.UserID), FullName: rd.FullName, Unit: rd.UnitName, Version: rd.Version, Kind: string(rd.Kind), At: rd.At}
		u := byUser[out[i].UserID]
		if u == nil {
			u = &readerJSON{UserID: out[i].UserID, FullName: rd.FullName, Unit: rd.UnitName, FirstAt: rd.At, LastAt: rd.At}
			byUser[u.UserID] = u
			readers = append(readers, u)
		}
		u.Count++
		// reads come newest first
		u.FirstAt = rd.At
	}
	if readers == nil {
		readers = []*readerJSON{}
	}
	notOpened := make([]personJSON, len(unread))
	for i, u := range unread {
		notOpened[i] = personJSON{UserID: int64(u.UserID), FullName: u.FullName, Unit: u.UnitName}
	}
	writeJSON(w, http.StatusOK, map[string]any{"readers": readers, "reads": out, "not_opened": notOpened})
	return nil
}
