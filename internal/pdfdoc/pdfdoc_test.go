package pdfdoc_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/pdfdoc"
)

// Sample is a minutes document like the reference session's.
func sample() pdfdoc.Document {
	return pdfdoc.Document{
		Issuer: "ỦY BAN NHÂN DÂN\nTỈNH LÂM ĐỒNG",
		Symbol: "12/BB-UBND",
		Place:  "Lâm Đồng",
		Date:   time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC),
		Kind:   "BIÊN BẢN",
		Title:  "Hội nghị trực tuyến toàn tỉnh về Kế hoạch phát triển kinh tế - xã hội năm 2027",
		Body: []pdfdoc.Block{
			{Heading: true, Text: "I. THỜI GIAN, ĐỊA ĐIỂM, THÀNH PHẦN"},
			{Text: "Thời gian: từ 08 giờ 00 phút đến 11 giờ 30 phút ngày 23 tháng 11 năm 2026.\nĐịa điểm: điểm cầu Ủy ban nhân dân tỉnh và 159 điểm cầu của các sở, ban, ngành, huyện, xã. Có mặt 158/160 điểm cầu; vắng điểm cầu xã Đạ Tông và xã Phước Lộc (lỗi đường truyền)."},
			{Heading: true, Text: "II. NỘI DUNG"},
			{Text: "Đồng chí Chủ tịch Ủy ban nhân dân tỉnh chủ trì hội nghị, kết luận: giao Sở Kế hoạch và Đầu tư chủ trì, phối hợp với các sở, ngành, địa phương hoàn thiện dự thảo kế hoạch, trình Ủy ban nhân dân tỉnh trước ngày 15 tháng 12 năm 2026."},
		},
		Signers:    []pdfdoc.Signer{{Role: "THƯ KÝ", Name: "Trần Thị Thu Hằng"}, {Role: "CHỦ TRÌ", Title: "CHỦ TỊCH", Name: "Nguyễn Văn Đức"}},
		Recipients: []string{"Thường trực Tỉnh ủy", "Các sở, ban, ngành", "UBND các huyện, thành phố", "Lưu: VT"},
	}
}

func TestRenderText(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("poppler-utils not installed (deploy/local/pdftools.sh installs it)")
	}
	pdf, err := pdfdoc.Render(sample())
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "bb.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("CAU_PDF_OUT"); out != "" { // to look at the page by hand
		_ = os.WriteFile(out, pdf, 0o644)
	}
	text, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	for _, want := range []string{
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
		"Độc lập - Tự do - Hạnh phúc",
		"ỦY BAN NHÂN DÂN",
		"TỈNH LÂM ĐỒNG",
		"Số: 12/BB-UBND",
		"Lâm Đồng, ngày 23 tháng 11 năm 2026",
		"BIÊN BẢN",
		"Kế hoạch phát triển kinh tế",
		"Đạ Tông",
		"Nguyễn Văn Đức",
		"Trần Thị Thu Hằng",
		"Nơi nhận:",
	} {
		if !strings.Contains(string(text), want) {
			t.Errorf("pdftotext output lacks %q; got:\n%s", want, text)
		}
	}
	fonts, err := exec.Command("pdffonts", path).Output()
	if err != nil {
		t.Fatalf("pdffonts: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(fonts)), "\n")
	if len(lines) < 3 {
		t.Fatalf("pdffonts lists no fonts:\n%s", fonts)
	}
	for _, l := range lines[2:] {
		f := strings.Fields(l)
		// name type encoding emb sub uni object ID: emb is the 5th field from the end.
		if len(f) < 7 || f[len(f)-5] != "yes" || !strings.Contains(strings.ToLower(f[0]), "liberationserif") {
			t.Errorf("font not embedded or not Liberation Serif: %q", l)
		}
	}
}

func TestRenderDeterministic(t *testing.T) {
	a, err := pdfdoc.Render(sample())
	if err != nil {
		t.Fatal(err)
	}
	b, err := pdfdoc.Render(sample())
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Error("two renders of the same document differ; a stored hash could not be checked")
	}
}

func TestRenderRefusesIncomplete(t *testing.T) {
	d := sample()
	d.Issuer = ""
	if _, err := pdfdoc.Render(d); !errors.Is(err, pdfdoc.ErrInvalid) {
		t.Fatalf("Render without issuer: got %v, want ErrInvalid", err)
	}
}

func TestDateLine(t *testing.T) {
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC), "Lâm Đồng, ngày 23 tháng 11 năm 2026"},
		// 17:30 UTC is 00:30 the next day in Hồ Chí Minh City.
		{time.Date(2026, 2, 4, 17, 30, 0, 0, time.UTC), "Lâm Đồng, ngày 05 tháng 02 năm 2026"},
		{time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC), "Lâm Đồng, ngày 01 tháng 3 năm 2026"},
	} {
		if got := pdfdoc.DateLine("Lâm Đồng", c.at); got != c.want {
			t.Errorf("DateLine(%v) = %q, want %q", c.at, got, c.want)
		}
	}
}
