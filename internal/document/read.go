package document

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/filetype"
	"github.com/cau-gov/cau/internal/pdfmark"
)

// mayRead reports whether p may see d: organizers see everything; others
// see a confidential document only when named on it.
func mayRead(d Document, acc MeetingAccess, p *auth.Principal) bool {
	return !d.Confidential || acc.CanManage || slices.Contains(d.AllowedUserIDs, p.UserID)
}

// visible loads a document the caller may see, or ErrNotFound.
func (s *Service) visible(ctx context.Context, p *auth.Principal, id ID) (Document, error) {
	d, acc, err := s.load(ctx, p, id)
	if err != nil {
		return Document{}, err
	}
	if !acc.CanManage {
		d.AllowedUserIDs = nil // the list of names is the organizers' business
	}
	return d, nil
}

func (s *Service) load(ctx context.Context, p *auth.Principal, id ID) (Document, MeetingAccess, error) {
	d, err := s.store.Document(ctx, id)
	if err != nil {
		return Document{}, MeetingAccess{}, err
	}
	// Not seeing the meeting means not seeing its documents: Meetings
	// answers ErrNotFound then, which is the 404 of a missing document.
	acc, err := s.meetings.Access(ctx, d.MeetingID, p)
	if err != nil {
		return Document{}, MeetingAccess{}, err
	}
	if !mayRead(d, acc, p) {
		return Document{}, MeetingAccess{}, ErrNotFound
	}
	return d, acc, nil
}

// Get returns a document's metadata with its versions.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id ID) (Document, error) {
	return s.visible(ctx, p, id)
}

// List returns a meeting's documents that the caller may see, in upload order.
func (s *Service) List(ctx context.Context, p *auth.Principal, meetingID MeetingID) ([]Document, error) {
	acc, err := s.meetings.Access(ctx, meetingID, p)
	if err != nil {
		return nil, err
	}
	all, err := s.store.MeetingDocuments(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	out := make([]Document, 0, len(all))
	for _, d := range all {
		if !mayRead(d, acc, p) {
			continue
		}
		if !acc.CanManage {
			d.AllowedUserIDs = nil
		}
		out = append(out, d)
	}
	return out, nil
}

// File is an opened document file ready to send.
type File struct {
	Name     string // download name
	MIME     string
	Size     int64 // -1 when unknown in advance
	SHA256   []byte
	Body     io.ReadCloser
	Version  int
	Document Document
}

// Open returns version n of a document for p, recording the read and
// auditing it. kind ReadView is the PDF view, ReadDownload the original.
// Every PDF that leaves the server carries p's watermark.
func (s *Service) Open(ctx context.Context, p *auth.Principal, id ID, n int, kind ReadKind) (File, error) {
	d, acc, err := s.load(ctx, p, id)
	if err != nil {
		return File{}, err
	}
	v, ok := d.Version(n)
	if !ok {
		return File{}, fmt.Errorf("version %d: %w", n, ErrNotFound)
	}
	ft, _ := filetype.ByName(v.FileType)
	blobID, name, mime := v.BlobID, v.Filename, ft.MIME
	isPDF := ft == filetype.PDF
	switch kind {
	case ReadView:
		switch {
		case isPDF:
		case !ft.Office:
			return File{}, ErrNoPDF
		case v.Conversion == ConversionDone:
			blobID, isPDF = v.PDFBlobID, true
			name, mime = baseName(v.Filename)+".pdf", filetype.PDF.MIME
		case v.Conversion == ConversionPending:
			return File{}, ErrConversionPending
		default:
			return File{}, fmt.Errorf("%w (%s)", ErrConversionFailed, v.ConversionError)
		}
	case ReadDownload:
		if d.Confidential && ft.Office && !acc.CanManage {
			return File{}, ErrOriginalRestricted
		}
	default:
		return File{}, fmt.Errorf("open: unknown kind %q", kind)
	}

	f := File{Name: name, MIME: mime, Size: v.Size, Version: n, Document: d}
	if !isPDF {
		f.SHA256 = v.SHA256
		if f.Body, err = s.blobs.Open(blobID); err != nil {
			return File{}, err
		}
	} else if f.Body, f.Size, err = s.watermarked(ctx, p, blobID); err != nil {
		return File{}, err
	}
	at := s.now()
	err = s.store.RecordRead(ctx, Read{DocumentID: id, Version: n, UserID: p.UserID, Kind: kind, At: at},
		entry(p, "document.read", id, map[string]any{"meeting_id": d.MeetingID, "version": n, "kind": kind}))
	if err != nil {
		f.Body.Close()
		return File{}, fmt.Errorf("record read: %w", err)
	}
	return f, nil
}

// watermarked decrypts a PDF and stamps it for p. pdfcpu needs the whole
// file in memory; the marker bounds how many run at once.
func (s *Service) watermarked(ctx context.Context, p *auth.Principal, blobID string) (_ io.ReadCloser, _ int64, err error) {
	// A slot is held from reading the stored PDF until the stamped copy
	// has been sent (the body's Close), so memory stays bounded however
	// many people open large PDFs at once.
	select {
	case s.pdfSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	defer func() {
		if err != nil {
			<-s.pdfSlots
		}
	}()
	r, err := s.blobs.Open(blobID)
	if err != nil {
		return nil, 0, err
	}
	src, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return nil, 0, fmt.Errorf("read stored PDF: %w", err)
	}
	unit, err := s.store.UnitName(ctx, p.UnitID)
	if err != nil {
		return nil, 0, err
	}
	var out bytes.Buffer
	mark := pdfmark.Mark{Name: p.FullName, Unit: unit, At: s.now()}
	if err := s.marker.Apply(ctx, bytes.NewReader(src), &out, mark); err != nil {
		if errors.Is(err, pdfmark.ErrNotPDF) {
			// A PDF the stamper cannot parse is not handed out unmarked.
			return nil, 0, fmt.Errorf("%w (the PDF could not be watermarked: %v)", ErrConversionFailed, err)
		}
		return nil, 0, err
	}
	return &slotBody{Reader: &out, release: func() { <-s.pdfSlots }}, int64(out.Len()), nil
}

// slotBody gives back its PDF slot when closed (once).
type slotBody struct {
	io.Reader
	release func()
	closed  bool
}

func (b *slotBody) Close() error {
	if !b.closed {
		b.closed = true
		b.release()
	}
	return nil
}

func baseName(name string) string {
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '.' {
			return name[:i]
		}
	}
	return name
}

// Reads lists a document's read receipts, newest first, and who has not
// opened it yet; organizers only.
func (s *Service) Reads(ctx context.Context, p *auth.Principal, id ID) ([]Read, []Reader, error) {
	d, acc, err := s.load(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	if !acc.CanManage {
		return nil, nil, ErrForbidden
	}
	reads, err := s.store.Reads(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	unread, err := s.store.NotOpened(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	return reads, unread, nil
}
