package pdfsign_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/cau-gov/cau/internal/pdfdoc"
	"github.com/cau-gov/cau/internal/pdfsign"
)

// testPKI is a CA, a unit certificate it issued, and the unit's PKCS #12.
type testPKI struct {
	caPEM []byte
	p12   []byte
}

func newPKI(t *testing.T) testPKI {
	t.Helper()
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Cầu Test CA", Organization: []string{"Cầu"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "Ủy ban nhân dân tỉnh Lâm Đồng", Organization: []string{"UBND tỉnh Lâm Đồng"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(leafDER)
	p12, err := pkcs12.Modern.Encode(key, leaf, nil, "mật-khẩu")
	if err != nil {
		t.Fatal(err)
	}
	return testPKI{caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), p12: p12}
}

// nssDB makes an NSS database that trusts only the test CA.
func nssDB(t *testing.T, caPEM []byte) string {
	t.Helper()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-N", "-d", "sql:" + dir, "--empty-password"},
		{"-A", "-d", "sql:" + dir, "-n", "cau-test-ca", "-t", "CT,C,C", "-a", "-i", ca},
	} {
		if out, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

func pdfsig(t *testing.T, nss string, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "signed.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("pdfsig", "-nssdir", "sql:"+nss, path).CombinedOutput()
	return string(out)
}

func TestSignVerifiedByPdfsig(t *testing.T) {
	for _, tool := range []string{"pdfsig", "certutil"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (deploy/local/pdftools.sh installs it)", tool)
		}
	}
	pki := newPKI(t)
	signer, err := pdfsign.ParsePKCS12(pki.p12, "mật-khẩu")
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
	nss := nssDB(t, pki.caPEM)
	out := pdfsig(t, nss, signed)
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
	if out := pdfsig(t, nss, tampered); !strings.Contains(out, "Signature Validation: Digest Mismatch.") && !strings.Contains(out, "Signature is Invalid") {
		t.Errorf("pdfsig accepted a changed byte:\n%s", out)
	}
	// Without the CA in the store the signature is intact but not trusted.
	if out := pdfsig(t, t.TempDir(), signed); strings.Contains(out, "Certificate is Trusted") {
		t.Errorf("pdfsig trusted an unknown CA:\n%s", out)
	}
}

func TestSignRefuses(t *testing.T) {
	pki := newPKI(t)
	if _, err := pdfsign.ParsePKCS12(pki.p12, "sai"); !errors.Is(err, pdfsign.ErrCertificate) {
		t.Errorf("wrong password: got %v, want ErrCertificate", err)
	}
	signer, err := pdfsign.ParsePKCS12(pki.p12, "mật-khẩu")
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
