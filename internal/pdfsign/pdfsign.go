// Package pdfsign signs a PDF as an incremental update: the original bytes
// stay untouched, and an appended section adds a signature dictionary, an
// invisible signature field and a catalog with an AcroForm naming it. The
// signature is a detached CMS (PKCS #7) SignedData over the /ByteRange,
// i.e. every byte of the file except the hex /Contents placeholder, so any
// changed byte makes it invalid (ISO 32000-1, 12.8; adbe.pkcs7.detached).
//
// It handles the PDFs Cầu writes (pdfdoc: classic xref table, one trailer,
// no AcroForm yet); other files are refused with ErrUnsupported rather than
// signed wrongly.
package pdfsign

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"time"
	"unicode/utf16"

	"github.com/smallstep/pkcs7"
	"software.sslmate.com/src/go-pkcs12"
)

// Signer is a certificate with its private key and the chain up to (not
// including) the root that the verifier trusts.
type Signer struct {
	Cert  *x509.Certificate
	Key   crypto.Signer
	Chain []*x509.Certificate
}

// LoadPKCS12 reads a unit's certificate from a PKCS #12 (.p12/.pfx) file.
func LoadPKCS12(path, password string) (Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Signer{}, fmt.Errorf("read certificate: %w", err)
	}
	return ParsePKCS12(data, password)
}

// ParsePKCS12 decodes a PKCS #12 bundle.
func ParsePKCS12(data []byte, password string) (Signer, error) {
	key, cert, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return Signer{}, fmt.Errorf("decode certificate: %w: %v", ErrCertificate, err)
	}
	k, ok := key.(crypto.Signer)
	if !ok {
		return Signer{}, fmt.Errorf("certificate key %T cannot sign: %w", key, ErrCertificate)
	}
	return Signer{Cert: cert, Key: k, Chain: chain}, nil
}

// Info is what the signature dictionary says about the signing.
type Info struct {
	Name     string    // signer's name (/Name)
	Reason   string    // "Phê duyệt biên bản"
	Location string    // "Lâm Đồng"
	Time     time.Time // signing time (/M and the CMS signingTime)
}

// contentsSize is the room reserved for the CMS signature in bytes; the
// hex placeholder is twice as long. A 4096-bit RSA chain of three fits.
const contentsSize = 16384

// byteRangeWidth is the width each ByteRange number is padded to.
const byteRangeWidth = 10

var (
	startxrefRe = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	rootRe      = regexp.MustCompile(`/Root\s+(\d+)\s+0\s+R`)
	infoRe      = regexp.MustCompile(`/Info\s+(\d+)\s+0\s+R`)
	sizeRe      = regexp.MustCompile(`/Size\s+(\d+)`)
)

// Sign returns pdf with a signature appended as an incremental update.
func Sign(pdf []byte, s Signer, info Info) ([]byte, error) {
	if s.Cert == nil || s.Key == nil {
		return nil, fmt.Errorf("sign: %w: no certificate", ErrCertificate)
	}
	doc, err := parse(pdf)
	if err != nil {
		return nil, err
	}
	sigObj, fieldObj := doc.size, doc.size+1

	var out bytes.Buffer
	out.Write(pdf)
	if pdf[len(pdf)-1] != '\n' {
		out.WriteByte('\n')
	}
	offsets := map[int]int{}

	// The signature dictionary; ByteRange and Contents are filled in below.
	offsets[sigObj] = out.Len()
	fmt.Fprintf(&out, "%d 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached\n", sigObj)
	out.WriteString("/ByteRange [")
	brAt := out.Len()
	fmt.Fprintf(&out, "%0*d %0*d %0*d %0*d", byteRangeWidth, 0, byteRangeWidth, 0, byteRangeWidth, 0, byteRangeWidth, 0)
	out.WriteString("]\n/Contents ")
	contentsAt := out.Len()
	out.WriteByte('<')
	out.Write(bytes.Repeat([]byte{'0'}, contentsSize*2))
	out.WriteByte('>')
	contentsEnd := out.Len()
	fmt.Fprintf(&out, "\n/M %s /Name %s /Reason %s /Location %s >>\nendobj\n",
		pdfDate(info.Time), pdfText(info.Name), pdfText(info.Reason), pdfText(info.Location))

	// An invisible widget: a signature field needs no appearance.
	offsets[fieldObj] = out.Len()
	fmt.Fprintf(&out, "%d 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig /T %s /V %d 0 R /F 132 /Rect [0 0 0 0] /P %d 0 R >>\nendobj\n",
		fieldObj, pdfText("Signature1"), sigObj, doc.firstPage)

	// The catalog again, now with the AcroForm.
	offsets[doc.root] = out.Len()
	fmt.Fprintf(&out, "%d 0 obj\n%s /AcroForm << /Fields [%d 0 R] /SigFlags 3 >> >>\nendobj\n",
		doc.root, doc.catalogBody, fieldObj)

	xrefAt := out.Len()
	out.WriteString("xref\n")
	fmt.Fprintf(&out, "%d 1\n%010d 00000 n \n", doc.root, offsets[doc.root])
	fmt.Fprintf(&out, "%d 2\n%010d 00000 n \n%010d 00000 n \n", sigObj, offsets[sigObj], offsets[fieldObj])
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root %d 0 R", fieldObj+1, doc.root)
	if doc.info > 0 {
		fmt.Fprintf(&out, " /Info %d 0 R", doc.info)
	}
	fmt.Fprintf(&out, " /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", doc.startxref, xrefAt)

	b := out.Bytes()
	ranges := [4]int{0, contentsAt, contentsEnd, len(b) - contentsEnd}
	br := fmt.Sprintf("%0*d %0*d %0*d %0*d", byteRangeWidth, ranges[0], byteRangeWidth, ranges[1], byteRangeWidth, ranges[2], byteRangeWidth, ranges[3])
	copy(b[brAt:], br)

	signed := make([]byte, 0, ranges[1]+ranges[3])
	signed = append(signed, b[:contentsAt]...)
	signed = append(signed, b[contentsEnd:]...)
	der, err := cms(signed, s)
	if err != nil {
		return nil, err
	}
	if len(der) > contentsSize {
		return nil, fmt.Errorf("sign: signature of %d bytes exceeds the %d reserved: %w", len(der), contentsSize, ErrCertificate)
	}
	hex.Encode(b[contentsAt+1:], der)
	return b, nil
}

// cms builds the detached SignedData over data, with the signer's chain.
func cms(data []byte, s Signer) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(data)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	// pkcs7 adds the signingTime attribute (the current time) itself.
	if err := sd.AddSignerChain(s.Cert, s.Key, s.Chain, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("sign: %w: %v", ErrCertificate, err)
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return der, nil
}

// parsed is what Sign needs to know about the original file.
type parsed struct {
	startxref   int
	size        int
	root        int
	info        int
	firstPage   int
	catalogBody string // the catalog dictionary without its closing ">>"
}

// parse reads the last trailer and the catalog of a classic-xref PDF.
func parse(pdf []byte) (parsed, error) {
	var p parsed
	m := startxrefRe.FindSubmatch(pdf)
	if m == nil {
		return p, fmt.Errorf("sign: no startxref: %w", ErrUnsupported)
	}
	p.startxref, _ = strconv.Atoi(string(m[1]))
	if p.startxref <= 0 || p.startxref >= len(pdf) || !bytes.HasPrefix(pdf[p.startxref:], []byte("xref")) {
		return p, fmt.Errorf("sign: not a classic xref table: %w", ErrUnsupported)
	}
	tail := pdf[p.startxref:]
	t := bytes.Index(tail, []byte("trailer"))
	if t < 0 {
		return p, fmt.Errorf("sign: no trailer: %w", ErrUnsupported)
	}
	trailer := tail[t:]
	if m := sizeRe.FindSubmatch(trailer); m != nil {
		p.size, _ = strconv.Atoi(string(m[1]))
	}
	if m := rootRe.FindSubmatch(trailer); m != nil {
		p.root, _ = strconv.Atoi(string(m[1]))
	}
	if m := infoRe.FindSubmatch(trailer); m != nil {
		p.info, _ = strconv.Atoi(string(m[1]))
	}
	if p.size <= 0 || p.root <= 0 {
		return p, fmt.Errorf("sign: trailer lacks /Size or /Root: %w", ErrUnsupported)
	}
	cat, err := object(pdf, p.root)
	if err != nil {
		return p, err
	}
	if bytes.Contains(cat, []byte("/AcroForm")) {
		return p, fmt.Errorf("sign: the document already has a form: %w", ErrUnsupported)
	}
	start, end := bytes.Index(cat, []byte("<<")), bytes.LastIndex(cat, []byte(">>"))
	if start < 0 || end <= start {
		return p, fmt.Errorf("sign: catalog is not a dictionary: %w", ErrUnsupported)
	}
	p.catalogBody = string(cat[start:end])
	pages := regexp.MustCompile(`/Pages\s+(\d+)\s+0\s+R`).FindSubmatch(cat)
	if pages == nil {
		return p, fmt.Errorf("sign: catalog has no /Pages: %w", ErrUnsupported)
	}
	n, _ := strconv.Atoi(string(pages[1]))
	tree, err := object(pdf, n)
	if err != nil {
		return p, err
	}
	kid := regexp.MustCompile(`/Kids\s*\[\s*(\d+)\s+0\s+R`).FindSubmatch(tree)
	if kid == nil {
		return p, fmt.Errorf("sign: page tree has no kids: %w", ErrUnsupported)
	}
	p.firstPage, _ = strconv.Atoi(string(kid[1]))
	return p, nil
}

// object returns the text of object n ("n 0 obj … endobj") found by its
// xref entry in the first xref section.
func object(pdf []byte, n int) ([]byte, error) {
	re := regexp.MustCompile(`(?m)^` + strconv.Itoa(n) + ` 0 obj\b`)
	locs := re.FindAllIndex(pdf, -1)
	if len(locs) == 0 {
		return nil, fmt.Errorf("sign: object %d not found: %w", n, ErrUnsupported)
	}
	// The last definition wins (incremental updates append).
	start := locs[len(locs)-1][1]
	end := bytes.Index(pdf[start:], []byte("endobj"))
	if end < 0 {
		return nil, fmt.Errorf("sign: object %d has no endobj: %w", n, ErrUnsupported)
	}
	return pdf[start : start+end], nil
}

// pdfText encodes s as a PDF text string: UTF-16BE with a byte-order mark,
// in hex, so Vietnamese names survive any reader.
func pdfText(s string) string {
	var b bytes.Buffer
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}

// pdfDate formats t as a PDF date string in UTC.
func pdfDate(t time.Time) string {
	if t.IsZero() {
		t = time.Now()
	}
	return "(D:" + t.UTC().Format("20060102150405") + "Z)"
}
