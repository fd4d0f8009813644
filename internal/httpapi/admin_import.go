package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/org"
)

// maxImportBytes caps an import file: a thousand users in XLSX is about
// 60 KiB, in CSV less.
const maxImportBytes = 2 << 20

// importUsers takes an XLSX or CSV file of users as the multipart part
// "file". With ?dry_run=true it answers every row and its problems and
// writes nothing; without, it writes every user in one transaction or,
// when any row has a problem, nothing (422 import_rows, the problems in
// fields as "line N.field").
func (s *Server) importUsers(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	dry := r.URL.Query().Get("dry_run")
	if dry != "" && dry != "true" && dry != "false" {
		return fault.Field("dry_run", fault.WrongFormat)
	}
	file, err := importFile(w, r)
	if err != nil {
		return err
	}
	rep, err := s.Org.ImportUsers(r.Context(), p, file, dry == "true")
	if errors.Is(err, org.ErrImportRows) {
		bad := &fault.Invalid{Code: "import_rows", Fields: map[string]fault.Problem{}}
		for _, row := range rep.Rows {
			for _, pr := range row.Problems {
				bad.Fields[fmt.Sprintf("line %d.%s", row.Line, pr.Field)] = fault.NewProblem(pr.Code)
			}
		}
		return bad
	}
	if err != nil {
		return err
	}
	status := http.StatusOK
	if !rep.DryRun {
		status = http.StatusCreated
	}
	writeJSON(w, status, rep)
	return nil
}

// importFile reads the part "file" of a multipart body, at most
// maxImportBytes; a bigger file is 413 import_too_large.
func importFile(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, fault.New(fault.Unsupported, "unsupported_media_type", "send the file as multipart/form-data with a part named \"file\"")
	}
	tooLarge := fault.New(fault.TooLarge, "import_too_large", fmt.Sprintf("an import file is at most %d MiB", maxImportBytes>>20))
	r.Body = http.MaxBytesReader(w, r.Body, maxImportBytes+multipartSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fault.New(fault.Malformed, "malformed_multipart", "the multipart body cannot be read: "+err.Error())
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, fault.Field("file", fault.Required)
		}
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return nil, tooLarge
		}
		if err != nil {
			return nil, fault.New(fault.Malformed, "malformed_multipart", "the multipart body cannot be read: "+err.Error())
		}
		if part.FormName() != "file" {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, maxImportBytes+1))
		if errors.As(err, &maxErr) || len(b) > maxImportBytes {
			return nil, tooLarge
		}
		if err != nil {
			return nil, fault.New(fault.Malformed, "malformed_multipart", "the multipart body cannot be read: "+err.Error())
		}
		if len(strings.TrimSpace(string(b))) == 0 {
			return nil, fault.Field("file", fault.Required)
		}
		return b, nil
	}
}

type signatureInput struct {
	Authority  string `json:"authority"`
	Title      string `json:"title"`
	SignerName string `json:"signer_name"`
}

// saveSignature sets the unit's signature block of conclusion notices.
func (s *Server) saveSignature(ctx context.Context, p *auth.Principal, unit auth.UnitID, in signatureInput) (org.Signature, error) {
	return s.Org.SaveSignature(ctx, p, unit, org.Signature{Authority: in.Authority, Title: in.Title, SignerName: in.SignerName})
}
