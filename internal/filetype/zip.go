package filetype

import (
	"bufio"
	"compress/flate"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Limits of the zip walk: an archive beyond them is refused rather than
// letting one upload spend unbounded CPU or memory here, or later in
// LibreOffice. They hold for every entry whichever way its size is written
// (local header, zip64 extra field or data descriptor): a declared size is
// checked before inflating, and every deflated entry is inflated to prove
// it, so a header that lies is caught too. Inflating runs at roughly
// 0.5–1 GB/s here, so the total bound keeps a refusal well under a second.
const (
	maxZipEntries    = 20000
	maxSmallPart     = 1 << 20   // [Content_Types].xml and mimetype are read into memory
	maxInflatedEntry = 256 << 20 // one part: a 100 MiB spreadsheet's sheet XML is about 60 MiB
	maxInflatedTotal = 512 << 20 // all parts together
	// maxRatio bounds inflated/compressed bytes once an entry passes
	// ratioFloor: office XML compresses 5–30×; a bomb compresses 1000×.
	maxRatio   = 100
	ratioFloor = 8 << 20
)

const (
	sigLocal      = 0x04034b50
	sigCentral    = 0x02014b50
	sigEnd        = 0x06054b50
	sigDescriptor = 0x08074b50
)

// Main-part content types of the Office Open XML documents we accept.
// Macro-enabled and template variants are deliberately absent.
var ooxmlMain = map[string]Type{
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml":   DOCX,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml":         XLSX,
	"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
}

var odfMime = map[string]Type{ODT.MIME: ODT, ODS.MIME: ODS, ODP.MIME: ODP}

type zipWalk struct {
	br           *bufio.Reader
	inflated     int64 // bytes inflated so far, all entries
	entries      map[string]bool
	contentTypes []byte
	mimetype     []byte
	firstName    string
}

// detectZip walks the local headers of a zip stream up to the central
// directory and decides from [Content_Types].xml or the mimetype entry.
func detectZip(br *bufio.Reader) (Type, error) {
	z := &zipWalk{br: br, entries: map[string]bool{}}
	if err := z.walk(); err != nil {
		return Type{}, err
	}
	if z.mimetype != nil {
		// ODF requires mimetype to be the first entry, stored uncompressed.
		if t, ok := odfMime[strings.TrimSpace(string(z.mimetype))]; ok && z.firstName == "mimetype" {
			return t, nil
		}
	}
	if z.contentTypes != nil {
		var types struct {
			Overrides []struct {
				PartName    string `xml:"PartName,attr"`
				ContentType string `xml:"ContentType,attr"`
			} `xml:"Override"`
		}
		if err := xml.Unmarshal(z.contentTypes, &types); err != nil {
			return Type{}, fmt.Errorf("%w: a zip with an unreadable [Content_Types].xml", ErrUnsupported)
		}
		for _, o := range types.Overrides {
			t, ok := ooxmlMain[strings.TrimSpace(o.ContentType)]
			if ok && z.entries[strings.TrimPrefix(o.PartName, "/")] {
				return t, nil
			}
		}
	}
	return Type{}, fmt.Errorf("%w: a zip archive that is not a DOCX, XLSX, PPTX or OpenDocument file", ErrUnsupported)
}

func (z *zipWalk) walk() error {
	var sig [4]byte
	for n := 0; ; n++ {
		if n > maxZipEntries {
			return fmt.Errorf("%w: a zip with more than %d entries", ErrUnsupported, maxZipEntries)
		}
		if _, err := io.ReadFull(z.br, sig[:]); err != nil {
			return fmt.Errorf("%w: a damaged zip archive (%v)", ErrUnsupported, err)
		}
		switch binary.LittleEndian.Uint32(sig[:]) {
		case sigLocal:
			if err := z.entry(n == 0); err != nil {
				return err
			}
		case sigCentral, sigEnd:
			return nil
		default:
			return fmt.Errorf("%w: a damaged zip archive (unexpected record)", ErrUnsupported)
		}
	}
}

func (z *zipWalk) entry(first bool) error {
	var h [26]byte
	if _, err := io.ReadFull(z.br, h[:]); err != nil {
		return fmt.Errorf("%w: a damaged zip archive (%v)", ErrUnsupported, err)
	}
	flags := binary.LittleEndian.Uint16(h[2:])
	method := binary.LittleEndian.Uint16(h[4:])
	csize := uint64(binary.LittleEndian.Uint32(h[14:]))
	usize := uint64(binary.LittleEndian.Uint32(h[18:]))
	nameLen := int(binary.LittleEndian.Uint16(h[22:]))
	extraLen := int(binary.LittleEndian.Uint16(h[24:]))
	nameExtra := make([]byte, nameLen+extraLen)
	if _, err := io.ReadFull(z.br, nameExtra); err != nil {
		return fmt.Errorf("%w: a damaged zip archive (%v)", ErrUnsupported, err)
	}
	name := string(nameExtra[:nameLen])
	if flags&1 != 0 {
		return fmt.Errorf("%w: an encrypted zip archive", ErrUnsupported)
	}
	// A zip64 extra field means 8-byte sizes, here and in the data descriptor.
	zip64 := hasZip64Extra(nameExtra[nameLen:])
	if csize == 0xffffffff || usize == 0xffffffff {
		csize, _ = zip64Sizes(nameExtra[nameLen:], csize, usize)
	}
	if first {
		z.firstName = name
	}
	z.entries[name] = true

	var want *[]byte
	switch name {
	case "[Content_Types].xml":
		want = &z.contentTypes
	case "mimetype":
		want = &z.mimetype
	}
	descriptor := flags&8 != 0
	if !descriptor {
		if err := checkDeclared(name, csize, usize); err != nil {
			return err
		}
	}
	// raw is the entry's compressed bytes; content is what it inflates to.
	var raw *countingReader
	switch {
	case !descriptor:
		raw = &countingReader{r: bufio.NewReader(io.LimitReader(z.br, int64(csize)))}
	case method == 8:
		// No size up front: inflating finds the end. flate reads through
		// ReadByte, so it stops exactly at the stream's end.
		raw = &countingReader{r: z.br}
	default:
		return fmt.Errorf("%w: a zip entry of unknown length", ErrUnsupported)
	}
	var content io.Reader
	switch method {
	case 0:
		content = raw
	case 8:
		content = flate.NewReader(raw)
	default:
		return fmt.Errorf("%w: a zip entry compressed with method %d", ErrUnsupported, method)
	}
	limit := int64(maxInflatedEntry)
	if !descriptor && int64(usize) < limit {
		limit = int64(usize) // a header that understates its size is caught here
	}
	b := bounded{raw: raw, r: content, limit: limit, total: &z.inflated, name: name}
	if want != nil {
		part, err := io.ReadAll(io.LimitReader(&b, maxSmallPart+1))
		if err != nil {
			return err
		}
		if len(part) > maxSmallPart {
			return fmt.Errorf("%w: %s too large", ErrUnsupported, name)
		}
		*want = part
	}
	if _, err := io.Copy(io.Discard, &b); err != nil {
		return err
	}
	if !descriptor {
		if b.n != int64(usize) {
			return fmt.Errorf("%w: a damaged zip archive (%s inflates to %d bytes, its header says %d)", ErrUnsupported, name, b.n, usize)
		}
		// Stored entries and a deflate stream that ends early leave bytes.
		if _, err := io.Copy(io.Discard, raw); err != nil {
			return fmt.Errorf("%w: a damaged zip archive (%v)", ErrUnsupported, err)
		}
		return nil
	}
	return z.skipDescriptor(zip64)
}

// checkDeclared refuses an entry whose header already says it is too big.
func checkDeclared(name string, csize, usize uint64) error {
	if usize > maxInflatedEntry {
		return fmt.Errorf("%w: %s would inflate to %d bytes (at most %d)", ErrUnsupported, name, usize, int64(maxInflatedEntry))
	}
	if usize > ratioFloor && usize > maxRatio*csize {
		return fmt.Errorf("%w: %s would inflate %d times (at most %d)", ErrUnsupported, name, usize/max(csize, 1), maxRatio)
	}
	return nil
}

// countingReader counts the compressed bytes flate has taken. It is an
// io.ByteReader, so flate reads through it without buffering ahead.
type countingReader struct {
	r interface {
		io.Reader
		io.ByteReader
	}
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// bounded reads one entry's inflated content and stops at the first limit
// passed: the entry's, the archive's total or the compression ratio.
type bounded struct {
	raw   *countingReader
	r     io.Reader
	n     int64 // inflated bytes of this entry
	limit int64
	total *int64
	name  string
}

func (b *bounded) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	*b.total += int64(n)
	switch {
	case b.n > b.limit && b.limit < maxInflatedEntry:
		return n, fmt.Errorf("%w: a damaged zip archive (%s inflates beyond the %d bytes its header says)", ErrUnsupported, b.name, b.limit)
	case b.n > b.limit:
		return n, fmt.Errorf("%w: %s inflates beyond %d bytes", ErrUnsupported, b.name, b.limit)
	case *b.total > maxInflatedTotal:
		return n, fmt.Errorf("%w: the archive inflates beyond %d bytes", ErrUnsupported, int64(maxInflatedTotal))
	case b.n > ratioFloor && b.n > maxRatio*b.raw.n:
		return n, fmt.Errorf("%w: %s inflates more than %d times", ErrUnsupported, b.name, maxRatio)
	}
	if err != nil && err != io.EOF {
		return n, fmt.Errorf("%w: a damaged zip archive (%v)", ErrUnsupported, err)
	}
	return n, err
}

// skipDescriptor skips the data descriptor after an entry: an optional
// signature, the CRC, then both sizes (8 bytes each in zip64).
func (z *zipWalk) skipDescriptor(zip64 bool) error {
	sizes := 8
	if zip64 {
		sizes = 16
	}
	var b [4]byte
	if _, err := io.ReadFull(z.br, b[:]); err != nil {
		return fmt.Errorf("%w: a damaged zip archive (%v)", ErrUnsupported, err)
	}
	skip := sizes
	if binary.LittleEndian.Uint32(b[:]) == sigDescriptor {
		skip += 4 // what was read was the signature; the CRC follows
	}
	if _, err := io.CopyN(io.Discard, z.br, int64(skip)); err != nil {
		return fmt.Errorf("%w: a damaged zip archive (%v)", ErrUnsupported, err)
	}
	return nil
}

func hasZip64Extra(extra []byte) bool {
	for len(extra) >= 4 {
		id := binary.LittleEndian.Uint16(extra)
		size := int(binary.LittleEndian.Uint16(extra[2:]))
		if id == 0x0001 {
			return true
		}
		if size+4 > len(extra) {
			return false
		}
		extra = extra[4+size:]
	}
	return false
}

// zip64Sizes reads the sizes from a zip64 extended-information extra field.
func zip64Sizes(extra []byte, csize, usize uint64) (uint64, uint64) {
	for len(extra) >= 4 {
		id := binary.LittleEndian.Uint16(extra)
		size := int(binary.LittleEndian.Uint16(extra[2:]))
		extra = extra[4:]
		if size > len(extra) {
			break
		}
		field := extra[:size]
		extra = extra[size:]
		if id != 0x0001 {
			continue
		}
		// The field holds only the sizes that overflowed, uncompressed first.
		if usize == 0xffffffff && len(field) >= 8 {
			usize = binary.LittleEndian.Uint64(field)
			field = field[8:]
		}
		if csize == 0xffffffff && len(field) >= 8 {
			csize = binary.LittleEndian.Uint64(field)
		}
	}
	return csize, usize
}
