package app

import (
	"path/filepath"

	"github.com/cau-gov/cau/internal/convert"
	"github.com/cau-gov/cau/internal/document"
	"github.com/cau-gov/cau/internal/httpapi"
	"github.com/cau-gov/cau/internal/jobs"
	"github.com/cau-gov/cau/internal/pdfmark"
)

// wireDocuments builds the documents service: the encrypted blob store
// under $CAU_DATA_DIR/documents with the keys of CAU_DOCUMENT_KEYS_FILE
// (generated outside production), the watermarker, the LibreOffice
// converter and its job. meetings answers the caller's standing in a
// meeting (documentAccess, in meetings.go, adapts meeting.Service).
func (a *App) wireDocuments(deps *httpapi.Deps, handlers *[]jobs.Handler, meetings document.Meetings) (*document.Service, error) {
	cfg := a.Config
	marker, err := pdfmark.New(filepath.Join(cfg.DataDir, "pdfcpu"), 2)
	if err != nil {
		return nil, err
	}
	conv := convert.New(cfg.Documents.Convert)
	if err := conv.Available(); err != nil {
		a.Log.Warn("office documents will not get a PDF view", "error", err)
	}
	svc := document.New(document.Config{
		Store: a.DB, Meetings: meetings, Blobs: a.Blobs, Marker: marker, Converter: conv,
		Enqueue: document.AsynqEnqueuer{Client: a.Jobs, Timeout: cfg.Documents.Convert.Timeout},
		Mailer:  a.Mailer, PublicURL: cfg.HTTP.PublicURL,
		MaxUpload: cfg.Documents.MaxUploadBytes, Log: a.Log.With("component", "documents"),
	})
	deps.Documents = svc
	*handlers = append(*handlers, svc.ConvertHandler())
	a.onServe("resume document conversions", svc.ResumeConversions)
	return svc, nil
}
