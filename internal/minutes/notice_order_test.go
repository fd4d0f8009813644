package minutes_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/minutes"
)

// TestNoticeSignatureAndOrder: the notice is signed with the issuing
// unit's signature block (the office chief for the People's Committee,
// not the chair), and "Nơi nhận" lists units in the tree's order: a
// department before a district, the district's wards after it by number
// (2 before 10), never as text sorts them (1, 10, 11, 2).
func TestNoticeSignatureAndOrder(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	unit := func(parent auth.UnitID, level, code, name string) auth.UnitID {
		var id auth.UnitID
		if err := b.db.Pool.QueryRow(ctx, `INSERT INTO units (parent_id, level, code, name) VALUES ($1, $2, $3, $4) RETURNING id`,
			parent, level, code, name).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	city := unit(b.unit, "district", "da-lat", "UBND thành phố Đà Lạt")
	var wards []auth.UnitID
	for _, n := range []string{"11", "2", "10", "1"} {
		wards = append(wards, unit(city, "commune", "phuong-"+n, "UBND Phường "+n))
	}
	dept := unit(b.unit, "department", "so-xd", "Sở Xây dựng")
	if _, err := b.db.Pool.Exec(ctx, `INSERT INTO unit_signatures (unit_id, authority, title, signer_name, updated_at)
		VALUES ($1, 'TL. Chủ tịch', 'Chánh Văn phòng', 'Phan Thị Thanh Hà', now())`, b.unit); err != nil {
		t.Fatal(err)
	}

	m, err := b.svc.Draft(ctx, b.secretary, b.meeting)
	if err != nil {
		t.Fatal(err)
	}
	body := m.Body
	body.Conclusions = []minutes.Conclusion{
		{Number: 1, Text: "Giao các phường rà soát quy hoạch chi tiết.", UnitIDs: wards},
		{Number: 2, Text: "Giao Sở Xây dựng và UBND thành phố Đà Lạt hướng dẫn thực hiện.", UnitIDs: []auth.UnitID{city, dept}},
	}
	if m, err = b.svc.Save(ctx, b.secretary, b.meeting, 1, body); err != nil {
		t.Fatal(err)
	}
	approved, err := b.svc.Approve(ctx, b.chair, b.meeting, m.Version)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range approved.NoticeUnits {
		names = append(names, u.Name)
	}
	want := "Sở Xây dựng|UBND thành phố Đà Lạt|UBND Phường 1|UBND Phường 2|UBND Phường 10|UBND Phường 11"
	if got := strings.Join(names, "|"); got != want {
		t.Fatalf("notice units:\n got %s\nwant %s", got, want)
	}

	// Without a block anywhere above the unit the chair signs, as before.
	doc, err := b.svc.NoticeDocument(approved, approved.NoticeUnits, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := doc.Signers; len(s) != 1 || s[0].Role != "CHỦ TRÌ" || s[0].Name != b.chairName {
		t.Fatalf("signer without a block %+v, want the chair", s)
	}
	// What readers get: the PDF the distribution job rendered and stored.
	if err := b.svc.Distribute(ctx, b.meeting); err != nil {
		t.Fatal(err)
	}
	pdf, err := b.svc.PDF(ctx, b.chair, b.meeting, true)
	if err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("CAU_PDF_OUT"); out != "" {
		_ = os.WriteFile(out+".notice-signature.pdf", pdf.Bytes, 0o644)
	}
	text := pdfText(t, pdf.Bytes)
	if text == "" {
		return
	}
	for _, w := range []string{"TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG", "Phan Thị Thanh Hà"} {
		if !strings.Contains(text, w) {
			t.Errorf("notice lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "CHỦ TRÌ") {
		t.Errorf("the chair signs the notice although the unit has a signature block:\n%s", text)
	}
	last := -1
	for _, w := range []string{"- Sở Xây dựng;", "- UBND thành phố Đà Lạt;", "- UBND Phường 1;", "- UBND Phường 2;", "- UBND Phường 10;", "- UBND Phường 11;", "- Lưu: VT."} {
		i := strings.Index(text, w)
		if i <= last {
			t.Fatalf("%q at %d, after %d: \"Nơi nhận\" out of the tree's order:\n%s", w, i, last, text)
		}
		last = i
	}
}
