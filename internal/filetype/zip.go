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
// letting one upload spend unbounded CPU or memory.
const (
	maxZipEntries      = 20000
	maxSmallPart       = 1 << 20 // [Content_Types].xml and mimetype are read into memory
	maxInflatedPerFile = 1 << 30 // entries whose size only a data descriptor gives are inflated to find their end
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
	var data io.Reader
	switch {
	case !descriptor:
		data = io.LimitReader(z.br, int64(csize))
	case method == 8:
		// No size up front: inflating finds the end. flate reads through
		// bufio.Reader's ReadByte, so it stops exactly at the stream's end.
		data = io.LimitReader(flate.NewReader(z.br), maxInflatedPerFile+1)
	default:
		return fmt.Errorf("%w: a zip entry of unknown length", ErrUnsupported)
	}
	if want != nil {
		var r io.Reader = data
		if !descriptor {
			switch method {
			case 0:
			case 8:
				r = flate.NewReader(data)
			default:
				return fmt.Errorf("%w: a zip entry compressed with method %d", ErrUnsupported, method)
			}
		}
		b, err := io.ReadAll(io.LimitReader(r, maxSmallPart+1))
		if err != nil || len(b) > maxSmallPart {
			return fmt.Errorf("%w: %s unreadable or too large", ErrUnsupported, name)
		}
		*want = b
	}
	n, err := io.Copy(io.Discard, data)
	if err != nil {
		return fmt.Errorf("%w: a damaged zip archive (%v)", ErrUnsupported, err)
	}
	if descriptor && n > maxInflatedPerFile {
		return fmt.Errorf("%w: a zip entry inflating beyond %d bytes", ErrUnsupported, int64(maxInflatedPerFile))
	}
	if descriptor {
		return z.skipDescriptor(zip64)
	}
	return nil
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
