package document

import "github.com/cau-gov/cau/internal/fault"

// Errors the service returns, in the fault vocabulary.
var (
	// ErrNotFound means the document (or meeting) does not exist or is not
	// visible to the caller: a confidential document is "not found" for
	// people not named on it, so its existence is not revealed.
	ErrNotFound = fault.New(fault.NotFound, "not_found", "document not found")
	// ErrForbidden means the caller sees the meeting but may not do this
	// (only the meeting's organizers upload and see read receipts).
	ErrForbidden = fault.New(fault.Forbidden, "forbidden", "only the meeting's organizers may do this")
	// ErrTooLarge means the upload exceeds CAU_MAX_UPLOAD_BYTES.
	ErrTooLarge = fault.New(fault.TooLarge, "file_too_large", "file too large")
	// ErrUnsupportedType means the content is not an accepted type, or the
	// file name claims another type than the content.
	ErrUnsupportedType = fault.New(fault.Unsupported, "unsupported_type", "unsupported file type")
	// ErrNoPDF means the version has no PDF view (an image: open the file).
	ErrNoPDF = fault.New(fault.Conflict, "no_pdf_view", "this file has no PDF view; open the file itself")
	// ErrConversionPending means the PDF view is still being made.
	ErrConversionPending = fault.New(fault.Conflict, "conversion_pending", "the PDF view is still being prepared; try again shortly or open the original")
	// ErrConversionFailed means no PDF view could be made; the reason follows.
	ErrConversionFailed = fault.New(fault.Conflict, "conversion_failed", "no PDF view could be made; open the original")
	// ErrOriginalRestricted means a confidential office original is only
	// for organizers; others read the watermarked PDF.
	ErrOriginalRestricted = fault.New(fault.Forbidden, "original_restricted", "the original of a confidential document is for the organizers only; open the PDF view")
)
