package pdfsign_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/pdfdoc"
	"github.com/cau-gov/cau/internal/pdfsign"
	"github.com/cau-gov/cau/internal/pdfsign/pdfsigntest"
)

func TestSignVerifiedByPdfsig(t *testing.T) {
	for _, tool := range []string{"pdfsig", "certutil"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (deploy/local/pdftools.sh installs it)", tool)
		}
	}
	pki := pdfsigntest.New(t)
	signer, err := pdfsign.ParsePKCS12(pki.P12, "mật-khẩu")
	if err != nil {
		t.Fatalf("ParsePKCS12: %v", err)
	}
	doc, err := pdfdoc.Render(pdfdoc.Document{
		Issuer: "ỦY BAN NHÂN DÂN\nTỈNH LÂM ĐỒNG", Symbol: "3/TB-UBND", Place: "Lâm Đồng",
		Date: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC), Kind: "THÔNG BÁO",
		Title: "Kết luận của Chủ tịch UBND tỉnh", Body: []pdfdoc.Block{{Text: "Giao Sở Tài chính chủ trì."}},
		Signers: []pdfdoc.Signer{{Role: "TL. CHỦ TỊCH", Title: "CHÁNH VĂN PHÒNG", Name: "Lê Minh Tâm"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := pdfsign.Sign(doc, signer, pdfsign.Info{Name: "Lê Minh Tâm", Reason: "Phát hành thông báo kết luận", Location: "Lâm Đồng", Time: time.Now()})
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if string(signed[:len(doc)]) != string(doc) {
		t.Fatal("the signed file does not start with the original bytes: not an incremental update")
	}
	nss := pdfsigntest.TrustStore(t, pki.CAPEM)
	out := pdfsigntest.PDFSig(t, nss, signed)
	t.Logf("pdfsig:\n%s", out)
	for _, want := range []string{"Signature Validation: Signature is Valid.", "Certificate Validation: Certificate is Trusted.", "Ủy ban nhân dân tỉnh Lâm Đồng", "Signature Type: adbe.pkcs7.detached", "Total document signed"} {
		if !strings.Contains(out, want) {
			t.Errorf("pdfsig output lacks %q:\n%s", want, out)
		}
	}

	// One changed byte in the signed range (the page content, before the
	// signature) makes the signature invalid.
	tampered := append([]byte(nil), signed...)
	i := strings.Index(string(tampered), "/Title")
	tampered[i+1] = 'X'
	if out := pdfsigntest.PDFSig(t, nss, tampered); !strings.Contains(out, "Signature Validation: Digest Mismatch.") && !strings.Contains(out, "Signature is Invalid") {
		t.Errorf("pdfsig accepted a changed byte:\n%s", out)
	}
	// Without the CA in the store the signature is intact but not trusted.
	if out := pdfsigntest.PDFSig(t, t.TempDir(), signed); strings.Contains(out, "Certificate is Trusted") {
		t.Errorf("pdfsig trusted an unknown CA:\n%s", out)
	}
}

func TestSignRefuses(t *testing.T) {
	pki := pdfsigntest.New(t)
	if _, err := pdfsign.ParsePKCS12(pki.P12, "sai"); !errors.Is(err, pdfsign.ErrCertificate) {
		t.Errorf("wrong password: got %v, want ErrCertificate", err)
	}
	signer, err := pdfsign.ParsePKCS12(pki.P12, "mật-khẩu")
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{
		"empty":      []byte("x"),
		"not a pdf":  []byte("hello\nstartxref\n5\n%%EOF\n"),
		"xref bogus": []byte("%PDF-1.4\nstartxref\n999999\n%%EOF\n"),
	} {
		if _, err := pdfsign.Sign(in, signer, pdfsign.Info{}); !errors.Is(err, pdfsign.ErrUnsupported) {
			t.Errorf("%s: got %v, want ErrUnsupported", name, err)
		}
	}
	if _, err := pdfsign.Sign([]byte("%PDF"), pdfsign.Signer{}, pdfsign.Info{}); !errors.Is(err, pdfsign.ErrCertificate) {
		t.Errorf("no certificate: got %v, want ErrCertificate", err)
	}
}
