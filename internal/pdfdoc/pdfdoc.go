// Package pdfdoc renders administrative documents (minutes, conclusion
// notices) as PDF in the layout of Decree 30/2020/NĐ-CP, Appendix I: A4,
// margins top/bottom 20 mm, left 30 mm, right 15 mm; the issuing unit and
// the number on the left, the national name and motto (underlined) on the
// right; place and date in italics; the kind and title centred in bold; the
// body in 14 pt with a first-line indent; the signature blocks; "Nơi nhận".
// The serif font is embedded so the text layer gives back the Vietnamese
// words exactly.
package pdfdoc

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/vntime"
	"github.com/go-pdf/fpdf"
)

// Page geometry in millimetres (Decree 30/2020, Appendix I, section II).
const (
	marginTop    = 20.0
	marginBottom = 20.0
	marginLeft   = 30.0
	marginRight  = 15.0
	pageWidth    = 210.0
	textWidth    = pageWidth - marginLeft - marginRight // 165 mm

	// The header is two columns: the issuing unit (left) and the national
	// name (right), which is the wider of the two lines at 12/13 pt.
	leftColumn  = 68.0
	rightColumn = textWidth - leftColumn

	bodySize   = 14.0 // pt; the decree allows 13–14
	headerSize = 13.0
	lineHeight = 6.5  // mm, about 1.3 lines at 14 pt
	indent     = 12.7 // mm first-line indent (1–1.27 cm)
)

// NationalName and Motto are the national emblem lines every document carries.
const (
	NationalName = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
	Motto        = "Độc lập - Tự do - Hạnh phúc"
)

// Document is what a page shows. Strings are plain UTF-8; the renderer does
// the layout.
type Document struct {
	// Parent is the governing body above the issuer (optional, upright caps),
	// e.g. "UBND TỈNH LÂM ĐỒNG" above "VĂN PHÒNG".
	Parent string
	// Issuer is the issuing unit in capitals; "\n" breaks it where offices
	// do, e.g. "ỦY BAN NHÂN DÂN\nTỈNH LÂM ĐỒNG".
	Issuer string
	// Symbol is the number and symbol without "Số: ", e.g. "12/BB-UBND".
	// Empty renders "Số:      /BB-…" for a draft.
	Symbol string
	// Place is the place name of the date line, e.g. "Lâm Đồng".
	Place string
	// Date is the signing date; its calendar day in Asia/Ho_Chi_Minh is printed.
	Date time.Time
	// Kind is the document kind in capitals ("BIÊN BẢN", "THÔNG BÁO").
	Kind string
	// Title is the summary line under the kind ("Cuộc họp …").
	Title string
	// Body is the content in order.
	Body []Block
	// Signers sign left to right; minutes have the secretary on the left and
	// the chair on the right.
	Signers []Signer
	// Recipients are listed under "Nơi nhận:".
	Recipients []string
	// Draft prints "DỰ THẢO" at the top; approved documents have it false.
	Draft bool
}

// Block is a heading or a paragraph of the body.
type Block struct {
	Heading bool   // a bold unindented line
	Text    string // a paragraph; "\n" starts a new paragraph
}

// Signer is one signature block.
type Signer struct {
	Role  string // "CHỦ TRÌ", "THƯ KÝ", "TM. ỦY BAN NHÂN DÂN"
	Title string // optional second line, e.g. "CHỦ TỊCH"
	Name  string // full name, printed in bold under the signing space
}

// DateLine formats "Lâm Đồng, ngày 23 tháng 11 năm 2026". Days and months
// below 10 get a leading zero for day 1–9 and months 1–2 as the decree asks
// ("ngày 05 tháng 02").
func DateLine(place string, t time.Time) string {
	t = vntime.In(t)
	day := fmt.Sprintf("%d", t.Day())
	if t.Day() < 10 {
		day = "0" + day
	}
	month := fmt.Sprintf("%d", int(t.Month()))
	if t.Month() < 3 {
		month = "0" + month
	}
	return fmt.Sprintf("%s, ngày %s tháng %s năm %d", place, day, month, t.Year())
}

// Render lays the document out and returns the PDF bytes. The output is
// deterministic for a given document (fixed creation date), so a stored
// hash of an approved document can be checked again.
func Render(d Document) ([]byte, error) {
	if d.Issuer == "" || d.Kind == "" || d.Place == "" || d.Date.IsZero() {
		return nil, fmt.Errorf("render: issuer, kind, place and date are required: %w", ErrInvalid)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(marginLeft, marginTop, marginRight)
	pdf.SetAutoPageBreak(true, marginBottom)
	pdf.AddUTF8FontFromBytes(family, "", serifRegular)
	pdf.AddUTF8FontFromBytes(family, "B", serifBold)
	pdf.AddUTF8FontFromBytes(family, "I", serifItalic)
	pdf.AddUTF8FontFromBytes(family, "BI", serifBoldItalic)
	pdf.SetCreationDate(d.Date)
	pdf.SetModificationDate(d.Date)
	pdf.SetCatalogSort(true)
	pdf.SetTitle(strings.TrimSpace(d.Kind+" "+d.Title), true)
	pdf.SetCreator("Cầu", true)
	pdf.SetProducer("Cầu", true)
	pdf.SetLang("vi-VN")
	// Page numbers from page 2 on, centred at the top (Decree 30, Appendix I, II.9).
	pdf.SetHeaderFunc(func() {
		if n := pdf.PageNo(); n > 1 {
			pdf.SetFont(family, "", bodySize)
			pdf.SetXY(marginLeft, 10)
			pdf.CellFormat(textWidth, 5, fmt.Sprint(n), "", 0, "C", false, 0, "")
			pdf.SetXY(marginLeft, marginTop)
		}
	})
	pdf.AddPage()

	header(pdf, d)
	title(pdf, d)
	body(pdf, d.Body)
	closing(pdf, d.Signers, d.Recipients)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("render pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// header draws the two header columns and the date line.
func header(pdf *fpdf.Fpdf, d Document) {
	top := pdf.GetY()
	if d.Draft {
		// Boxed at the top right, so a printed draft is never taken for the
		// issued document.
		pdf.SetFont(family, "B", 12)
		w := pdf.GetStringWidth("DỰ THẢO") + 4
		pdf.SetLineWidth(0.3)
		pdf.SetXY(marginLeft+textWidth-w, top-10)
		pdf.CellFormat(w, 6.5, "DỰ THẢO", "1", 0, "C", false, 0, "")
	}
	// Left: parent (regular), issuer (bold), short rule, number.
	y := top
	if d.Parent != "" {
		pdf.SetFont(family, "", 12.5)
		y = centred(pdf, marginLeft, y, leftColumn, d.Parent)
	}
	pdf.SetFont(family, "B", 12.5)
	y = centred(pdf, marginLeft, y, leftColumn, d.Issuer)
	ruleUnder(pdf, marginLeft, leftColumn, y+0.8, leftColumn/3)
	pdf.SetFont(family, "", headerSize)
	symbol := d.Symbol
	if symbol == "" {
		symbol = "      /" + kindAbbrevPlaceholder
	}
	leftEnd := centred(pdf, marginLeft, y+3, leftColumn, "Số: "+symbol)

	// Right: national name (bold 12.5), motto (bold 13.5) underlined over its
	// full length.
	x := marginLeft + leftColumn
	pdf.SetFont(family, "B", 12.5)
	ry := centred(pdf, x, top, rightColumn, NationalName)
	pdf.SetFont(family, "B", 13.5)
	ry = centred(pdf, x, ry, rightColumn, Motto)
	ruleUnder(pdf, x, rightColumn, ry+0.8, pdf.GetStringWidth(Motto))
	pdf.SetFont(family, "I", bodySize)
	ry = centred(pdf, x, ry+3, rightColumn, DateLine(d.Place, d.Date))

	pdf.SetXY(marginLeft, max(leftEnd, ry)+8)
}

// kindAbbrevPlaceholder fills an unnumbered draft's symbol.
const kindAbbrevPlaceholder = "…"

// centred writes s centred in a column starting at x, wrapping if needed,
// and returns the y below it.
func centred(pdf *fpdf.Fpdf, x, y, w float64, s string) float64 {
	pdf.SetXY(x, y)
	pdf.MultiCell(w, 5.6, s, "", "C", false)
	return pdf.GetY()
}

// ruleUnder draws a thin centred rule of length l under a column.
func ruleUnder(pdf *fpdf.Fpdf, x, w, y, l float64) {
	pdf.SetLineWidth(0.3)
	start := x + (w-l)/2
	pdf.Line(start, y, start+l, y)
}

// title draws the kind and the summary (trích yếu), centred and bold,
// with the short rule under the summary that the decree asks for (1/3 to
// 1/2 of the line's length).
func title(pdf *fpdf.Fpdf, d Document) {
	pdf.SetFont(family, "B", bodySize)
	pdf.MultiCell(textWidth, lineHeight, d.Kind, "", "C", false)
	if d.Title != "" {
		pdf.MultiCell(textWidth, lineHeight, d.Title, "", "C", false)
		ruleUnder(pdf, marginLeft, textWidth, pdf.GetY()+0.8, min(pdf.GetStringWidth(d.Title), textWidth)*0.4)
		pdf.Ln(2)
	}
	pdf.Ln(4)
}

// body draws headings and indented, justified paragraphs.
func body(pdf *fpdf.Fpdf, blocks []Block) {
	for _, b := range blocks {
		if b.Heading {
			pdf.SetFont(family, "B", bodySize)
			pdf.SetX(marginLeft + indent)
			pdf.MultiCell(textWidth-indent, lineHeight, b.Text, "", "L", false)
			pdf.Ln(1)
			continue
		}
		pdf.SetFont(family, "", bodySize)
		for _, para := range strings.Split(b.Text, "\n") {
			paragraph(pdf, strings.TrimSpace(para))
		}
	}
}

// paragraph writes one paragraph with a first-line indent: the first line
// is split at the narrower width, the rest flows over the full width.
func paragraph(pdf *fpdf.Fpdf, s string) {
	if s == "" {
		return
	}
	first := pdf.SplitText(s, textWidth-indent)
	if len(first) == 0 {
		return
	}
	pdf.SetX(marginLeft + indent)
	rest := strings.TrimSpace(strings.TrimPrefix(s, first[0]))
	if rest == "" {
		pdf.MultiCell(textWidth-indent, lineHeight, first[0], "", "L", false)
	} else {
		// A one-line MultiCell leaves its (last) line ragged; a "J" cell
		// spreads the words to the right margin like the lines below.
		pdf.CellFormat(textWidth-indent, lineHeight, strings.TrimSpace(first[0]), "", 1, "J", false, 0, "")
	}
	if rest != "" {
		pdf.SetX(marginLeft)
		pdf.MultiCell(textWidth, lineHeight, rest, "", "J", false)
	}
	pdf.Ln(1.5)
}

// closing draws the signature blocks and "Nơi nhận". A single signer
// signs on the right and "Nơi nhận" sits on the left at the level of the
// signer's authority line, as in the decree's forms; with two signers
// (minutes: secretary and chair) the list follows below them.
func closing(pdf *fpdf.Fpdf, signers []Signer, list []string) {
	top, bottom := signatures(pdf, signers)
	if len(signers) == 1 && len(list) > 0 {
		pdf.SetXY(marginLeft, top)
		recipients(pdf, list)
		if pdf.GetY() < bottom {
			pdf.SetY(bottom)
		}
		return
	}
	recipients(pdf, list)
}

// signatures draws the signer blocks side by side; the names sit 25 mm
// below the roles, leaving room for the signature and seal. It returns the
// top of the blocks and the y below them.
func signatures(pdf *fpdf.Fpdf, signers []Signer) (top, bottom float64) {
	if len(signers) == 0 {
		return pdf.GetY(), pdf.GetY()
	}
	const block = 58.0 // mm of height a signature block needs
	_, pageH := pdf.GetPageSize()
	if pdf.GetY()+block > pageH-marginBottom {
		pdf.AddPage()
	}
	pdf.Ln(6)
	top = pdf.GetY()
	w := textWidth / float64(len(signers))
	x0 := marginLeft
	if len(signers) == 1 {
		// A single signer signs on the right, under the date line.
		x0, w = marginLeft+leftColumn, rightColumn
	}
	// Roles first; the names then share one baseline below the tallest role block.
	roleEnd := top
	for i, s := range signers {
		x := x0 + float64(i)*w
		pdf.SetFont(family, "B", bodySize)
		y := centred(pdf, x, top, w, s.Role)
		if s.Title != "" {
			y = centred(pdf, x, y, w, s.Title)
		}
		roleEnd = max(roleEnd, y)
	}
	bottom = roleEnd
	for i, s := range signers {
		x := x0 + float64(i)*w
		pdf.SetFont(family, "B", bodySize)
		bottom = max(bottom, centred(pdf, x, roleEnd+25, w, s.Name))
	}
	bottom += 6
	pdf.SetXY(marginLeft, bottom)
	return top, bottom
}

// recipients draws "Nơi nhận:" in bold italic 12 pt and the list in 11 pt,
// each line starting with "-" and ending with ";" but the last (the
// archive line), which ends with ".".
func recipients(pdf *fpdf.Fpdf, list []string) {
	if len(list) == 0 {
		return
	}
	pdf.SetFont(family, "BI", 12)
	pdf.CellFormat(leftColumn, 5, "Nơi nhận:", "", 1, "L", false, 0, "")
	pdf.SetFont(family, "", 11)
	for i, r := range list {
		end := ";"
		if i == len(list)-1 {
			end = "."
		}
		pdf.SetX(marginLeft)
		pdf.MultiCell(leftColumn, 4.8, "- "+strings.TrimRight(r, ";.")+end, "", "L", false)
	}
}
