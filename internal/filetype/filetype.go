// Package filetype tells what a document is from its bytes, never from its
// name: PDF, PNG, JPEG, the Office Open XML formats (DOCX, XLSX, PPTX, by
// the main part named in [Content_Types].xml) and the OpenDocument formats
// (ODT, ODS, ODP, by the mimetype entry). It reads a stream once, so
// uploads are checked as they pass to storage; zip archives are walked
// through their local headers without random access.
package filetype

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"
)

// Type is an accepted document type.
type Type struct {
	Name string // short name: "pdf", "docx", …
	Ext  string // canonical file extension with the dot
	MIME string
	// Office is true for types converted to PDF for viewing.
	Office bool
}

// The accepted types.
var (
	PDF  = Type{Name: "pdf", Ext: ".pdf", MIME: "application/pdf"}
	PNG  = Type{Name: "png", Ext: ".png", MIME: "image/png"}
	JPEG = Type{Name: "jpeg", Ext: ".jpg", MIME: "image/jpeg"}
	DOCX = Type{Name: "docx", Ext: ".docx", MIME: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Office: true}
	XLSX = Type{Name: "xlsx", Ext: ".xlsx", MIME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Office: true}
	PPTX = Type{Name: "pptx", Ext: ".pptx", MIME: "application/vnd.openxmlformats-officedocument.presentationml.presentation", Office: true}
	ODT  = Type{Name: "odt", Ext: ".odt", MIME: "application/vnd.oasis.opendocument.text", Office: true}
	ODS  = Type{Name: "ods", Ext: ".ods", MIME: "application/vnd.oasis.opendocument.spreadsheet", Office: true}
	ODP  = Type{Name: "odp", Ext: ".odp", MIME: "application/vnd.oasis.opendocument.presentation", Office: true}
)

// All lists the accepted types.
var All = []Type{PDF, PNG, JPEG, DOCX, XLSX, PPTX, ODT, ODS, ODP}

// ByName returns the type with the given short name.
func ByName(name string) (Type, bool) {
	for _, t := range All {
		if t.Name == name {
			return t, true
		}
	}
	return Type{}, false
}

// extensions maps every extension a name may carry to its type.
var extensions = map[string]Type{
	".pdf": PDF, ".png": PNG, ".jpg": JPEG, ".jpeg": JPEG,
	".docx": DOCX, ".xlsx": XLSX, ".pptx": PPTX, ".odt": ODT, ".ods": ODS, ".odp": ODP,
}

// Detect reads r as far as it needs to and names the type. For zip-based
// types that is the whole archive; the caller drains what is left.
func Detect(r io.Reader) (Type, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(1024)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return Type{}, fmt.Errorf("read file head: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return PDF, nil
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, nil
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return JPEG, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return detectZip(br)
	}
	return Type{}, fmt.Errorf("%w: %s", ErrUnsupported, describe(head))
}

// describe names common refused contents so the error helps the uploader.
func describe(head []byte) string {
	switch {
	case len(head) == 0:
		return "the file is empty"
	case bytes.HasPrefix(head, []byte("MZ")), bytes.HasPrefix(head, []byte("\x7fELF")):
		return "the file is a program"
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return "old Office formats (.doc, .xls, .ppt) are not accepted; save as .docx, .xlsx or .pptx"
	}
	return "accepted types are PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, PNG and JPEG"
}

// Check reconciles a detected type with the uploader's file name: a name
// with one of the accepted extensions must name the detected type (a .pdf
// that is a zip is refused); any other name gets the type's extension
// appended, so the stored name never claims a type the content is not.
// It returns the name to store.
func Check(t Type, name string) (string, error) {
	name = strings.TrimSpace(path.Base(strings.ReplaceAll(name, `\`, "/")))
	if name == "." || name == "/" || name == "" {
		name = "document"
	}
	ext := strings.ToLower(path.Ext(name))
	claimed, known := extensions[ext]
	if !known {
		// "Báo cáo v1.2" or no extension at all: the content decides.
		return name + t.Ext, nil
	}
	if claimed != t {
		return "", fmt.Errorf("%w: the name ends in %s but the content is %s", ErrNameMismatch, ext, strings.ToUpper(t.Name))
	}
	return name, nil
}
