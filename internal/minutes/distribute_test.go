package minutes_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/minutes"
	"github.com/cau-gov/cau/internal/pdfsign"
	"github.com/cau-gov/cau/internal/pdfsign/pdfsigntest"
)

// units is the province's concerned and unconcerned units with their users.
type units struct {
	planning, finance, district, health, closed auth.UnitID
	users                                       map[auth.UnitID][]int64 // active users with e-mail
}

func addUnits(t *testing.T, b bundle) units {
	t.Helper()
	ctx := context.Background()
	u := units{users: map[auth.UnitID][]int64{}}
	unit := func(level, code, name string, active bool) auth.UnitID {
		var id auth.UnitID
		if err := b.db.Pool.QueryRow(ctx, `INSERT INTO units (parent_id, level, code, name, active) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			b.unit, level, code, name, active).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	u.planning = unit("department", "so-khdt", "Sở Kế hoạch và Đầu tư", true)
	u.finance = unit("department", "so-tc", "Sở Tài chính", true)
	u.district = unit("district", "duc-trong", "UBND huyện Đức Trọng", true)
	u.health = unit("department", "so-yt", "Sở Y tế", true)
	u.closed = unit("department", "so-cu", "Sở đã giải thể", false)
	n := 0
	for _, id := range []auth.UnitID{u.planning, u.finance, u.district, u.health} {
		for range 2 {
			n++
			var uid int64
			if err := b.db.Pool.QueryRow(ctx, `INSERT INTO users (unit_id, username, full_name, email, password_hash)
				VALUES ($1, $2, $3, $4, 'x') RETURNING id`, id, fmt.Sprintf("unit-user-%d", n), fmt.Sprintf("Cán bộ %d", n),
				fmt.Sprintf("unit-user-%d@example.test", n)).Scan(&uid); err != nil {
				t.Fatal(err)
			}
			u.users[id] = append(u.users[id], uid)
		}
	}
	// An inactive account in a concerned unit gets nothing.
	if _, err := b.db.Pool.Exec(ctx, `INSERT INTO users (unit_id, username, full_name, email, password_hash, active)
		VALUES ($1, 'nghi-huu', 'Cán bộ nghỉ hưu', 'nghi-huu@example.test', 'x', false)`, u.finance); err != nil {
		t.Fatal(err)
	}
	return u
}

func count(t *testing.T, b bundle, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := b.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// TestNoticeDistribution: the conclusions name units and give tasks; the
// approval fixes the notice's units; the job stores the PDFs once and
// tells every concerned unit's users once, however often it runs; units
// not concerned get nothing; the stored bytes are what every read serves.
func TestNoticeDistribution(t *testing.T) {
	b := setup(t)
	u := addUnits(t, b)
	ctx := context.Background()
	m, err := b.svc.Draft(ctx, b.secretary, b.meeting)
	if err != nil {
		t.Fatal(err)
	}
	body := m.Body
	body.Conclusions = []minutes.Conclusion{
		{Number: 1, Text: "Giao Sở Kế hoạch và Đầu tư hoàn thiện dự thảo Kế hoạch năm 2027.", UnitIDs: []auth.UnitID{u.planning}},
		{Number: 2, Text: "Giao Sở Tài chính chủ trì, phối hợp UBND huyện Đức Trọng rà soát nguồn vốn."},
		{Number: 3, Text: "Hội nghị thống nhất thông qua báo cáo tình hình kinh tế - xã hội năm 2026."},
	}

	t.Run("bad units change nothing", func(t *testing.T) {
		for name, ids := range map[string][]auth.UnitID{
			"unknown": {999999}, "closed": {u.closed}, "duplicate": {u.planning, u.planning}, "zero": {0},
		} {
			bad := body
			bad.Conclusions = append([]minutes.Conclusion(nil), body.Conclusions...)
			bad.Conclusions[2].UnitIDs = ids
			var ve *fault.Invalid
			if _, err := b.svc.Save(ctx, b.secretary, b.meeting, 1, bad); !errors.As(err, &ve) || ve.Fields["conclusions[2].unit_ids"].IsZero() {
				t.Errorf("%s unit: %v, want a validation error on conclusions[2].unit_ids", name, err)
			}
		}
		if cur, _ := b.svc.Get(ctx, b.secretary, b.meeting); cur.Version != 1 {
			t.Errorf("refused saves changed the minutes: version %d", cur.Version)
		}
	})

	if m, err = b.svc.Save(ctx, b.secretary, b.meeting, 1, body); err != nil {
		t.Fatal(err)
	}
	// Conclusion 2 gives a task to finance with the district coordinating;
	// a cancelled task's unit is not concerned.
	task := func(lead auth.UnitID, coord []auth.UnitID, cancelled bool) {
		var id int64
		if err := b.db.Pool.QueryRow(ctx, `INSERT INTO tasks (title, source_meeting_id, source_conclusion, lead_unit_id, assigner_id,
			deadline, created_at, updated_at, cancelled_at) VALUES ('Rà soát nguồn vốn', $1, 2, $2, $3, '2026-12-10', $4, $4, $5) RETURNING id`,
			b.meeting, lead, b.chair.UserID, at(12, 0), map[bool]any{true: at(12, 5), false: nil}[cancelled]).Scan(&id); err != nil {
			t.Fatal(err)
		}
		for _, c := range coord {
			if _, err := b.db.Pool.Exec(ctx, `INSERT INTO task_units (task_id, unit_id) VALUES ($1, $2)`, id, c); err != nil {
				t.Fatal(err)
			}
		}
	}
	task(u.finance, []auth.UnitID{u.district}, false)
	task(u.health, nil, true)
	// Before approval there is no notice to read: the meeting's people are
	// told so, the units are not told it exists.
	if _, err := b.svc.Notice(ctx, b.secretary, b.meeting); !errors.Is(err, minutes.ErrNotApproved) {
		t.Errorf("notice page of a draft for the secretary: %v, want ErrNotApproved", err)
	}
	if _, err := b.svc.Notice(ctx, &auth.Principal{UserID: auth.UserID(u.users[u.finance][0]), UnitID: u.finance}, b.meeting); !errors.Is(err, minutes.ErrNotFound) {
		t.Errorf("notice page of a draft for a unit: %v, want ErrNotFound", err)
	}

	// The draft's notice is a preview: marked, unnumbered, addressed to the
	// units an approval would pick now.
	draft, err := b.svc.PDF(ctx, b.secretary, b.meeting, true)
	if err != nil || !draft.Draft {
		t.Fatalf("draft notice: %v draft=%v", err, draft.Draft)
	}
	if out := os.Getenv("CAU_PDF_OUT"); out != "" {
		_ = os.WriteFile(out+".draft-notice.pdf", draft.Bytes, 0o644)
	}
	if text := pdfText(t, draft.Bytes); text != "" {
		for _, w := range []string{"DỰ THẢO", "Số: /TB-UBND", "Nơi nhận:", "- Sở Kế hoạch và Đầu tư;", "- Sở Tài chính;", "- UBND huyện Đức Trọng;"} {
			if !strings.Contains(text, w) {
				t.Errorf("draft notice lacks %q:\n%s", w, text)
			}
		}
		if strings.Contains(text, "Sở Y tế") {
			t.Errorf("draft notice names the cancelled task's unit:\n%s", text)
		}
	}

	approved, err := b.svc.Approve(ctx, b.chair, b.meeting, m.Version)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range approved.NoticeUnits {
		got = append(got, fmt.Sprintf("%s%v", n.Name, n.Conclusions))
	}
	if want := "Sở Kế hoạch và Đầu tư[1] Sở Tài chính[2] UBND huyện Đức Trọng[2]"; strings.Join(got, " ") != want {
		t.Fatalf("notice units %q, want %q", strings.Join(got, " "), want)
	}
	financeUser := &auth.Principal{UserID: auth.UserID(u.users[u.finance][0]), Username: "tc", UnitID: u.finance}
	if _, err := b.svc.PDF(ctx, financeUser, b.meeting, true); !errors.Is(err, minutes.ErrPending) {
		t.Errorf("notice before the job: %v, want ErrPending", err)
	}

	// The job runs twice at once, then once more (a retry after a crash).
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = b.svc.Distribute(ctx, b.meeting) }()
	}
	wg.Wait()
	if err := errors.Join(append(errs, b.svc.Distribute(ctx, b.meeting))...); err != nil {
		t.Fatalf("Distribute: %v", err)
	}
	for _, unit := range []auth.UnitID{u.planning, u.finance, u.district} {
		for _, uid := range u.users[unit] {
			if n := count(t, b, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'minutes.notice'`, uid); n != 1 {
				t.Errorf("user %d of concerned unit %d: %d notices, want 1", uid, unit, n)
			}
			if n := count(t, b, `SELECT count(*) FROM email_outbox WHERE user_id = $1 AND dedup_key LIKE 'minutes.notice:%'`, uid); n != 1 {
				t.Errorf("user %d of concerned unit %d: %d e-mails, want 1", uid, unit, n)
			}
		}
	}
	if n := count(t, b, `SELECT count(*) FROM notifications WHERE kind = 'minutes.notice'`); n != 6 {
		t.Errorf("%d notices in all, want 6 (two users in each of three units; none for Sở Y tế or inactive accounts)", n)
	}
	if n := count(t, b, `SELECT count(*) FROM email_outbox WHERE dedup_key LIKE 'minutes.notice:%'`); n != 6 {
		t.Errorf("%d notice e-mails, want 6", n)
	}
	var mail string
	_ = b.db.Pool.QueryRow(ctx, `SELECT body FROM email_outbox WHERE user_id = $1 AND dedup_key LIKE 'minutes.notice:%'`, u.users[u.finance][0]).Scan(&mail)
	if !strings.Contains(mail, "1/TB-UBND") || !strings.Contains(mail, "2. Giao Sở Tài chính") || strings.Contains(mail, "1. Giao Sở Kế hoạch") {
		t.Errorf("finance's e-mail should carry conclusion 2 only:\n%s", mail)
	}
	// The e-mail is read outside the app: the link is whole, to the page
	// where the unit reads the notice.
	if link := fmt.Sprintf("https://cau.lamdong.gov.vn/meetings/%d/minutes", b.meeting); !strings.Contains(mail, link) {
		t.Errorf("finance's e-mail lacks the link %s:\n%s", link, mail)
	}
	if n := count(t, b, `SELECT count(*) FROM audit_log WHERE action = 'minutes.distribute' AND object_id = $1`, fmt.Sprint(b.meeting)); n != 1 {
		t.Errorf("%d distribution audit rows, want 1", n)
	}
	if n := count(t, b, `SELECT count(*) FROM minutes_files`); n != 2 {
		t.Errorf("%d stored files, want 2 (minutes and notice)", n)
	}
	if n := blobCount(t, b); n != 2 {
		t.Errorf("%d blobs on disk, want 2 (a losing run removes its own)", n)
	}

	// Reads serve the stored bytes, the same every time.
	m, _ = b.svc.Get(ctx, b.chair, b.meeting)
	for _, kind := range []string{minutes.FileMinutes, minutes.FileNotice} {
		f, ok := m.File(kind)
		if !ok || f.Signed {
			t.Fatalf("no unsigned %s file: %+v", kind, m.Files)
		}
		p1, err1 := b.svc.PDF(ctx, b.delegate, b.meeting, kind == minutes.FileNotice)
		p2, err2 := b.svc.PDF(ctx, b.delegate, b.meeting, kind == minutes.FileNotice)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p1.Bytes, p2.Bytes) || p1.SHA256 != f.SHA256 || p1.Draft {
			t.Errorf("%s: two reads differ or do not match the stored hash", kind)
		}
		if out := os.Getenv("CAU_PDF_OUT"); out != "" {
			_ = os.WriteFile(fmt.Sprintf("%s.%s.pdf", out, kind), p1.Bytes, 0o644)
		}
	}
	// The concerned unit reads the notice, not the minutes; others neither.
	if _, err := b.svc.PDF(ctx, financeUser, b.meeting, true); err != nil {
		t.Errorf("concerned unit reads the notice: %v", err)
	}
	if _, err := b.svc.PDF(ctx, financeUser, b.meeting, false); !errors.Is(err, minutes.ErrNotFound) {
		t.Errorf("concerned unit reads the minutes: %v, want ErrNotFound", err)
	}
	health := &auth.Principal{UserID: auth.UserID(u.users[u.health][0]), Username: "yt", UnitID: u.health}
	if _, err := b.svc.PDF(ctx, health, b.meeting, true); !errors.Is(err, minutes.ErrNotFound) {
		t.Errorf("unit not concerned reads the notice: %v, want ErrNotFound", err)
	}
	// The notice page: finance sees its conclusion only, with the stored
	// file; the meeting's people see all; an unconcerned unit nothing.
	if n, err := b.svc.Notice(ctx, financeUser, b.meeting); err != nil {
		t.Errorf("finance reads the notice page: %v", err)
	} else if n.Symbol != "1/TB-UBND" || n.Participant || len(n.Units) != 1 || n.Units[0].UnitID != u.finance ||
		len(n.Conclusions) != 1 || n.Conclusions[0].Number != 2 || n.File == nil || n.File.SHA256 == "" {
		t.Errorf("finance's notice: %+v", n)
	}
	if n, err := b.svc.Notice(ctx, b.delegate, b.meeting); err != nil || !n.Participant || len(n.Conclusions) != 3 || len(n.Units) != 3 {
		t.Errorf("a delegate's notice: %+v, %v", n, err)
	}
	if _, err := b.svc.Notice(ctx, health, b.meeting); !errors.Is(err, minutes.ErrNotFound) {
		t.Errorf("unit not concerned reads the notice page: %v, want ErrNotFound", err)
	}
	// The records of the issue cannot change.
	for _, sql := range []string{`DELETE FROM minutes_files`, `UPDATE minutes_notice_units SET conclusions = '{9}'`, `DELETE FROM minutes_distributions`} {
		if _, err := b.db.Pool.Exec(ctx, sql); err == nil {
			t.Errorf("%s: allowed", sql)
		}
	}

	// A stored file changed at rest is refused, never served.
	f, _ := m.File(minutes.FileNotice)
	path, _ := b.blobs.Path(f.BlobID)
	raw, _ := os.ReadFile(path)
	raw[len(raw)/2] ^= 1
	_ = os.WriteFile(path, raw, 0o600)
	if _, err := b.svc.PDF(ctx, b.delegate, b.meeting, true); err == nil {
		t.Error("a changed stored file was served")
	}
}

func blobCount(t *testing.T, b bundle) int {
	t.Helper()
	n := 0
	root, _ := b.blobs.Path("00000000000000000000000000000000")
	_ = filepath.Walk(filepath.Dir(filepath.Dir(root)), func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && !strings.Contains(info.Name(), ".tmp") {
			n++
		}
		return nil
	})
	return n
}

// pdfText is pdftotext's output with runs of spaces folded, "" (and the
// test logs why) when poppler-utils is missing.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Log("pdftotext not installed (deploy/local/pdftools.sh): text not checked")
		return ""
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(lines, "\n")
}

// TestSignedStoredPDF: with the unit's certificate configured the job
// signs the approved PDFs once; pdfsig validates the stored file against
// the test CA, every read serves it unchanged, and one changed byte makes
// pdfsig report it invalid.
func TestSignedStoredPDF(t *testing.T) {
	for _, tool := range []string{"pdfsig", "certutil"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (deploy/local/pdftools.sh installs it)", tool)
		}
	}
	b := setup(t)
	ctx := context.Background()
	caPEM, signer := testSigner(t)
	b.svc = minutes.NewService(b.db, minutes.Config{Issuer: "UBND", IssuerName: "ỦY BAN NHÂN DÂN\nTỈNH LÂM ĐỒNG", Place: "Lâm Đồng",
		Blobs: b.blobs, Signer: &signer}, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	m, err := b.svc.Draft(ctx, b.secretary, b.meeting)
	if err != nil {
		t.Fatal(err)
	}
	body := m.Body
	body.Conclusions = []minutes.Conclusion{{Number: 1, Text: "Giao Sở Tài chính rà soát nguồn vốn, báo cáo trước ngày 10/12/2026."}}
	if m, err = b.svc.Save(ctx, b.secretary, b.meeting, 1, body); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Approve(ctx, b.chair, b.meeting, m.Version); err != nil {
		t.Fatal(err)
	}
	if err := b.svc.Distribute(ctx, b.meeting); err != nil {
		t.Fatal(err)
	}
	nss := pdfsigntest.TrustStore(t, caPEM)
	for _, notice := range []bool{false, true} {
		p1, err1 := b.svc.PDF(ctx, b.delegate, b.meeting, notice)
		p2, err2 := b.svc.PDF(ctx, b.delegate, b.meeting, notice)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if !p1.Signed || !bytes.Equal(p1.Bytes, p2.Bytes) {
			t.Fatalf("notice=%v: signed=%v, reads equal=%v", notice, p1.Signed, bytes.Equal(p1.Bytes, p2.Bytes))
		}
		if out := os.Getenv("CAU_PDF_OUT"); out != "" {
			_ = os.WriteFile(fmt.Sprintf("%s.signed.%v.pdf", out, notice), p1.Bytes, 0o644)
		}
		out := pdfsigntest.PDFSig(t, nss, p1.Bytes)
		for _, want := range []string{"Signature Validation: Signature is Valid.", "Certificate Validation: Certificate is Trusted.", "Total document signed"} {
			if !strings.Contains(out, want) {
				t.Errorf("notice=%v: pdfsig lacks %q:\n%s", notice, want, out)
			}
		}
		// One changed byte inside the signed range (the document's title).
		tampered := bytes.Clone(p1.Bytes)
		i := bytes.Index(tampered, []byte("/Title"))
		tampered[i+1] = 'X'
		if out := pdfsigntest.PDFSig(t, nss, tampered); strings.Contains(out, "Signature is Valid") ||
			!strings.Contains(out, "Digest Mismatch") && !strings.Contains(out, "Signature is Invalid") {
			t.Errorf("notice=%v: pdfsig accepted a changed byte:\n%s", notice, out)
		}
	}
}

// testSigner makes a CA and a unit certificate it issued; it returns the
// CA and the unit's signer.
func testSigner(t *testing.T) ([]byte, pdfsign.Signer) {
	t.Helper()
	pki := pdfsigntest.New(t)
	signer, err := pdfsign.ParsePKCS12(pki.P12, pdfsigntest.Password)
	if err != nil {
		t.Fatal(err)
	}
	return pki.CAPEM, signer
}
