package minutes_test

import (
	"context"
	"crypto/rand"
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
	"github.com/cau-gov/cau/internal/blob"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/minutes"
	"github.com/cau-gov/cau/internal/pgtest"
	"github.com/cau-gov/cau/internal/store"
	"github.com/cau-gov/cau/internal/vntime"
)

var hcm = vntime.Zone

// at is 23/11/2026 hh:mm in Hà Nội.
func at(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, hcm) }

type bundle struct {
	db                             *store.DB
	svc                            *minutes.Service
	meeting                        int64
	chair, secretary, delegate     *auth.Principal
	unit                           auth.UnitID
	halls                          [3]int64
	item1, item2                   int64
	chairName, secName, d1, d2, d3 string
	blobs                          *blob.Store
}

// setup records a province-wide session in the meetings schema's tables
// and session log, as the meetings service writes them: 3 halls (one never
// connects, one leaves early), 5 people (one marked absent, one never
// seen), 2 agenda items, two floors (one by a whole hall) and a vote.
func setup(t *testing.T) bundle {
	t.Helper()
	db := pgtest.New(t)
	ctx := context.Background()
	b := bundle{db: db, chairName: "Nguyễn Văn Đức", secName: "Trần Thị Thu Hằng", d1: "Lê Quang Huy", d2: "Phạm Thị Lan", d3: "Hoàng Minh Tú"}
	one := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := db.Pool.QueryRow(ctx, sql, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	b.unit = auth.UnitID(one(`INSERT INTO units (level, code, name) VALUES ('province', 'ubnd', 'Ủy ban nhân dân tỉnh Lâm Đồng') RETURNING id`))
	for i, name := range []string{"Điểm cầu UBND tỉnh", "Điểm cầu huyện Đức Trọng", "Điểm cầu xã Đạ Tông"} {
		b.halls[i] = one(`INSERT INTO halls (unit_id, code, name) VALUES ($1, $2, $3) RETURNING id`, b.unit, fmt.Sprintf("h%d", i), name)
	}
	user := func(name, position string) int64 {
		return one(`INSERT INTO users (unit_id, username, full_name, position, password_hash) VALUES ($1, $2, $3, $4, 'x') RETURNING id`,
			b.unit, fmt.Sprintf("u%d", time.Now().UnixNano()), name, position)
	}
	chair, sec := user(b.chairName, "Chủ tịch UBND tỉnh"), user(b.secName, "Chuyên viên Văn phòng")
	d1, d2, d3 := user(b.d1, "Giám đốc Sở Tài chính"), user(b.d2, "Chủ tịch UBND huyện"), user(b.d3, "Chủ tịch UBND xã")
	b.chair = &auth.Principal{UserID: auth.UserID(chair), Username: "chair", UnitID: b.unit, Grants: []auth.RoleGrant{{Role: auth.RoleChair}}}
	b.secretary = &auth.Principal{UserID: auth.UserID(sec), Username: "sec", UnitID: b.unit, Grants: []auth.RoleGrant{{Role: auth.RoleSecretary}}}
	b.delegate = &auth.Principal{UserID: auth.UserID(d1), Username: "d1", UnitID: b.unit, Grants: []auth.RoleGrant{{Role: auth.RoleDelegate}}}

	b.meeting = one(`INSERT INTO meetings (kind, title, place, status, starts_at, ends_at, unit_id, created_by, opened_at, closed_at)
		VALUES ('province_online', 'Hội nghị trực tuyến về Kế hoạch phát triển kinh tế - xã hội năm 2027', 'Hội trường UBND tỉnh',
		'ended', $1, $2, $3, $4, $5, $6) RETURNING id`, at(8, 0), at(11, 30), b.unit, sec, at(8, 2), at(10, 45))
	for _, h := range b.halls {
		exec(`INSERT INTO meeting_halls (meeting_id, hall_id) VALUES ($1, $2)`, b.meeting, h)
	}
	for id, role := range map[int64]string{chair: "chair", sec: "secretary", d1: "delegate", d2: "delegate", d3: "delegate"} {
		exec(`INSERT INTO meeting_participants (meeting_id, user_id, role) VALUES ($1, $2, $3)`, b.meeting, id, role)
	}
	b.item1 = one(`INSERT INTO agenda_items (meeting_id, position, title, presenter_user_id, started_at, ended_at)
		VALUES ($1, 1, 'Báo cáo tình hình kinh tế - xã hội năm 2026', $2, $3, $4) RETURNING id`, b.meeting, d1, at(8, 5), at(9, 0))
	b.item2 = one(`INSERT INTO agenda_items (meeting_id, position, title, started_at, ended_at)
		VALUES ($1, 2, 'Dự thảo Kế hoạch năm 2027', $2, $3) RETURNING id`, b.meeting, at(9, 0), at(10, 40))

	seq := 0
	event := func(typ string, when time.Time, data string) {
		seq++
		exec(`INSERT INTO session_events (meeting_id, seq, at, type, data) VALUES ($1, $2, $3, $4, $5)`, b.meeting, seq, when, typ, data)
	}
	event("session.opened", at(8, 2), `{}`)
	event("hall.connected", at(7, 55), fmt.Sprintf(`{"hall_id": %d}`, b.halls[0]))
	event("hall.connected", at(7, 58), fmt.Sprintf(`{"hall_id": %d}`, b.halls[1]))
	event("hall.disconnected", at(8, 30), fmt.Sprintf(`{"hall_id": %d}`, b.halls[1]))
	event("hall.connected", at(8, 31), fmt.Sprintf(`{"hall_id": %d}`, b.halls[1])) // a reconnect
	event("hall.disconnected", at(10, 15), fmt.Sprintf(`{"hall_id": %d}`, b.halls[1]))
	event("session.closed", at(10, 45), `{}`)
	exec(`UPDATE meetings SET last_seq = $2 WHERE id = $1`, b.meeting, seq)
	for id, st := range map[int64]string{chair: "in_hall", sec: "in_hall", d1: "online", d2: "absent"} {
		exec(`INSERT INTO session_attendance (meeting_id, user_id, status, since) VALUES ($1, $2, $3, $4)`, b.meeting, id, st, at(8, 0))
	}
	// d1 joined online at 08:01 and left at 10:20 (then came back: online).
	exec(`UPDATE session_attendance SET joined_at = $3 WHERE meeting_id = $1 AND user_id = $2`, b.meeting, d1, at(8, 1))
	exec(`INSERT INTO speaking_requests (meeting_id, user_id, item_id, status, requested_at, granted_at, ended_at)
		VALUES ($1, $2, $3, 'done', $4, $5, $6)`, b.meeting, d1, b.item1, at(8, 10), at(8, 20), at(8, 25))
	// A whole hall's request with no item: it belongs to the item running at the time.
	exec(`INSERT INTO speaking_requests (meeting_id, hall_id, status, requested_at, granted_at, ended_at)
		VALUES ($1, $2, 'done', $3, $4, $5)`, b.meeting, b.halls[1], at(9, 5), at(9, 10), at(9, 14))
	exec(`INSERT INTO speaking_requests (meeting_id, user_id, item_id, status, requested_at)
		VALUES ($1, $2, $3, 'withdrawn', $4)`, b.meeting, chair, b.item2, at(9, 20))
	vote := one(`INSERT INTO votes (meeting_id, item_id, question, options, secret, voter_roles, status, opened_at, closed_at, opened_by)
		VALUES ($1, $2, 'Thông qua dự thảo Kế hoạch năm 2027', '{Tán thành,Không tán thành,Không biểu quyết}', false, '{chair,delegate}',
		'closed', $3, $4, $5) RETURNING id`, b.meeting, b.item2, at(10, 30), at(10, 35), chair)
	for _, v := range []int64{chair, d1, d3} {
		exec(`INSERT INTO vote_voters (vote_id, voter_id) VALUES ($1, $2)`, vote, v)
	}
	exec(`INSERT INTO vote_counts (vote_id, choice, n) VALUES ($1, 'Tán thành', 2), ($1, 'Không tán thành', 1), ($1, 'Không biểu quyết', 0)`, vote)
	// A secret vote on the usual options with a two-thirds rule that fails:
	// 1 of the 3 present for.
	secret := one(`INSERT INTO votes (meeting_id, item_id, question, options, secret, voter_roles, status, opened_at, closed_at, opened_by,
			base, rule, base_count, passed)
		VALUES ($1, $2, 'Điều chỉnh chỉ tiêu đầu tư công', '{yes,no,abstain}', true, '{chair,delegate}', 'closed', $3, $4, $5,
			'present', 'two_thirds', 3, false) RETURNING id`, b.meeting, b.item1, at(8, 50), at(8, 55), chair)
	for _, v := range []int64{chair, d1, d3} {
		exec(`INSERT INTO vote_voters (vote_id, voter_id) VALUES ($1, $2)`, secret, v)
	}
	exec(`INSERT INTO vote_counts (vote_id, choice, n) VALUES ($1, 'yes', 1), ($1, 'no', 1), ($1, 'abstain', 1)`, secret)

	b.blobs = newBlobs(t)
	b.svc = minutes.NewService(db, minutes.Config{Issuer: "UBND", IssuerName: "ỦY BAN NHÂN DÂN\nTỈNH LÂM ĐỒNG", Place: "Lâm Đồng", Blobs: b.blobs,
		PublicURL: "https://cau.lamdong.gov.vn/"},
		func() time.Time { return at(14, 0) }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return b
}

// newBlobs is an encrypted blob store in a temporary directory.
func newBlobs(t *testing.T) *blob.Store {
	t.Helper()
	key := make([]byte, blob.KeySize)
	_, _ = rand.Read(key)
	keys, err := blob.NewKeyring([]string{"test"}, [][]byte{key})
	if err != nil {
		t.Fatal(err)
	}
	s, err := blob.New(t.TempDir(), keys)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDraftFromSession(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	if _, err := b.svc.Draft(ctx, b.delegate, b.meeting); !errors.Is(err, minutes.ErrForbidden) {
		t.Fatalf("a delegate drafted the minutes: %v", err)
	}
	m, err := b.svc.Draft(ctx, b.secretary, b.meeting)
	if err != nil {
		t.Fatalf("Draft: %v", err)
	}
	if _, err := b.svc.Draft(ctx, b.secretary, b.meeting); !errors.Is(err, minutes.ErrExists) {
		t.Errorf("drafted twice: %v", err)
	}
	body := m.Body
	if body.Chair != b.chairName || body.Secretary != b.secName || m.Version != 1 || m.Status != minutes.StatusDraft {
		t.Errorf("chair %q secretary %q version %d status %s", body.Chair, body.Secretary, m.Version, m.Status)
	}
	att := map[string]string{}
	for _, p := range body.People {
		att[p.Name] = p.Attendance
	}
	for name, want := range map[string]string{b.chairName: minutes.Present, b.d1: minutes.Present, b.d2: minutes.AbsentNotice, b.d3: minutes.AbsentNoCause} {
		if att[name] != want {
			t.Errorf("%s: attendance %q, want %q", name, att[name], want)
		}
	}
	halls := map[string]minutes.Hall{}
	for _, h := range body.Halls {
		halls[h.Name] = h
	}
	if h := halls["Điểm cầu UBND tỉnh"]; !h.Present || !h.Joined.Equal(at(7, 55)) || h.Left != nil {
		t.Errorf("province hall %+v: want joined 07:55, never left", h)
	}
	if h := halls["Điểm cầu huyện Đức Trọng"]; !h.Present || !h.Joined.Equal(at(7, 58)) || h.Left == nil || !h.Left.Equal(at(10, 15)) {
		t.Errorf("district hall %+v: want joined 07:58 (first), left 10:15 (last)", h)
	}
	if h := halls["Điểm cầu xã Đạ Tông"]; h.Present || h.Joined != nil {
		t.Errorf("commune hall %+v: want absent", h)
	}
	if len(body.Items) != 2 {
		t.Fatalf("items %+v", body.Items)
	}
	i1, i2 := body.Items[0], body.Items[1]
	if !i1.StartedAt.Equal(at(8, 5)) || !i1.EndedAt.Equal(at(9, 0)) || !strings.HasPrefix(i1.Presenter, b.d1) {
		t.Errorf("item 1: %+v", i1)
	}
	if len(i1.Speakers) != 1 || i1.Speakers[0].Name != b.d1 || !i1.Speakers[0].From.Equal(at(8, 20)) {
		t.Errorf("item 1 speakers: %+v", i1.Speakers)
	}
	if len(i2.Speakers) != 1 || i2.Speakers[0].Hall != "Điểm cầu huyện Đức Trọng" || !i2.Speakers[0].Until.Equal(at(9, 14)) {
		t.Errorf("item 2 speakers (a hall's floor, the withdrawn request left out): %+v", i2.Speakers)
	}
	if len(i2.Votes) != 1 || i2.Votes[0].Counts["Tán thành"] != 2 || i2.Votes[0].Ballots != 3 || i2.Votes[0].Eligible != 4 {
		t.Errorf("item 2 votes: %+v", i2.Votes)
	}
	if len(i1.Votes) != 1 || i1.Votes[0].Rule != "two_thirds" || i1.Votes[0].Base != "present" || i1.Votes[0].Passed == nil || *i1.Votes[0].Passed ||
		i1.Votes[0].BaseCount == nil || *i1.Votes[0].BaseCount != 3 {
		t.Errorf("item 1 votes (a failed two-thirds vote): %+v", i1.Votes)
	}
	for _, p := range body.People {
		if p.Name == b.d1 && (p.Joined == nil || !p.Joined.Equal(at(8, 1)) || p.Left != nil) {
			t.Errorf("%s joined %v left %v, want 08:01 and still present", p.Name, p.Joined, p.Left)
		}
	}
}

func TestEditConflictsAndApproval(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	m, err := b.svc.Draft(ctx, b.secretary, b.meeting)
	if err != nil {
		t.Fatal(err)
	}

	// Two editors save from version 1 at the same moment: one wins, the
	// other gets a version conflict and nothing of theirs is stored.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, p := range []*auth.Principal{b.secretary, b.chair} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := m.Body
			body.Notes = fmt.Sprintf("ghi chú của người sửa %d", i)
			_, errs[i] = b.svc.Save(ctx, p, b.meeting, 1, body)
		}()
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, minutes.ErrVersionConflict):
			conflicts++
		default:
			t.Fatalf("save: %v", err)
		}
	}
	if ok != 1 || conflicts != 1 {
		t.Fatalf("concurrent saves: %d ok, %d conflicts; want 1 and 1", ok, conflicts)
	}
	cur, _ := b.svc.Get(ctx, b.secretary, b.meeting)
	if cur.Version != 2 || !strings.HasPrefix(cur.Body.Notes, "ghi chú của người sửa") {
		t.Fatalf("after the race: version %d notes %q", cur.Version, cur.Body.Notes)
	}

	t.Run("bad saves change nothing", func(t *testing.T) {
		bad := cur.Body
		bad.Conclusions = []minutes.Conclusion{{Number: 2, Text: "số sai"}}
		if _, err := b.svc.Save(ctx, b.secretary, b.meeting, 2, bad); !fault.Is(err, fault.InvalidInput) {
			t.Errorf("conclusion numbered 2 first: %v", err)
		}
		if _, err := b.svc.Save(ctx, b.delegate, b.meeting, 2, cur.Body); !errors.Is(err, minutes.ErrForbidden) {
			t.Errorf("a delegate saved: %v", err)
		}
		if _, err := b.svc.Save(ctx, b.secretary, b.meeting, 1, cur.Body); !errors.Is(err, minutes.ErrVersionConflict) {
			t.Errorf("stale save: %v", err)
		}
		if again, _ := b.svc.Get(ctx, b.secretary, b.meeting); again.Version != 2 || again.Body.Notes != cur.Body.Notes {
			t.Errorf("refused saves changed the minutes: version %d", again.Version)
		}
	})

	body := cur.Body
	body.Items[1].Discussion = "Các đại biểu thống nhất với dự thảo, đề nghị bổ sung chỉ tiêu giải ngân vốn đầu tư công."
	body.Conclusions = []minutes.Conclusion{
		{Number: 1, Text: "Giao Sở Kế hoạch và Đầu tư hoàn thiện dự thảo Kế hoạch, trình UBND tỉnh trước ngày 15/12/2026."},
		{Number: 2, Text: "Giao Sở Tài chính rà soát nguồn vốn, báo cáo trước ngày 10/12/2026."},
	}
	cur, err = b.svc.Save(ctx, b.secretary, b.meeting, 2, body)
	if err != nil {
		t.Fatal(err)
	}
	// Refresh keeps what was written.
	cur, err = b.svc.Refresh(ctx, b.secretary, b.meeting, cur.Version)
	if err != nil || cur.Body.Items[1].Discussion == "" || len(cur.Body.Conclusions) != 2 {
		t.Fatalf("refresh lost the text: %v %+v", err, cur.Body)
	}

	if _, err := b.svc.Approve(ctx, b.secretary, b.meeting, cur.Version); !errors.Is(err, minutes.ErrForbidden) {
		t.Errorf("the secretary approved: %v", err)
	}
	if _, err := b.svc.Approve(ctx, b.chair, b.meeting, cur.Version-1); !errors.Is(err, minutes.ErrVersionConflict) {
		t.Errorf("approval of a stale version: %v", err)
	}
	approved, err := b.svc.Approve(ctx, b.chair, b.meeting, cur.Version)
	if err != nil {
		t.Fatalf("Approve: %v", err)
	}
	want, _ := minutes.Hash(approved.Body, approved.Symbol)
	if approved.Status != minutes.StatusApproved || approved.Symbol != "1/BB-UBND" || approved.NoticeSymbol != "1/TB-UBND" || approved.ContentHash != want {
		t.Errorf("approved: status %s symbol %q notice %q hash %s (want %s)", approved.Status, approved.Symbol, approved.NoticeSymbol, approved.ContentHash, want)
	}

	// Locked: the service refuses, and so does the database.
	if _, err := b.svc.Save(ctx, b.secretary, b.meeting, approved.Version, approved.Body); !errors.Is(err, minutes.ErrLocked) {
		t.Errorf("edit after approval: %v, want ErrLocked", err)
	}
	if _, err := b.svc.Approve(ctx, b.chair, b.meeting, approved.Version); !errors.Is(err, minutes.ErrLocked) {
		t.Errorf("second approval: %v", err)
	}
	if _, err := b.db.Pool.Exec(ctx, `UPDATE minutes SET body = '{}' WHERE meeting_id = $1`, b.meeting); err == nil {
		t.Error("the database let approved minutes change")
	}
	var audits int
	_ = b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE object_type = 'minutes' AND action = 'minutes.approve'`).Scan(&audits)
	if audits != 1 {
		t.Errorf("%d approval audit entries, want 1", audits)
	}
	var notices int
	_ = b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE kind = 'minutes.approved' AND meeting_id = $1`, b.meeting).Scan(&notices)
	if notices != 5 {
		t.Errorf("%d participants told of the approval, want 5", notices)
	}

	if _, err := b.svc.PDF(ctx, b.delegate, b.meeting, false); !errors.Is(err, minutes.ErrPending) {
		t.Errorf("PDF before the distribution job: %v, want ErrPending", err)
	}
	if err := b.svc.Distribute(ctx, b.meeting); err != nil {
		t.Fatalf("Distribute: %v", err)
	}

	t.Run("pdf", func(t *testing.T) {
		if _, err := exec.LookPath("pdftotext"); err != nil {
			t.Skip("poppler-utils not installed")
		}
		for _, c := range []struct {
			notice bool
			want   []string
		}{
			{false, []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Số: 1/BB-UBND", "Lâm Đồng, ngày 23 tháng 11 năm 2026",
				"BIÊN BẢN", b.chairName, b.secName, "Vắng có lý do: " + b.d2, "Điểm cầu xã Đạ Tông", "Tán thành: 2", "Giao Sở Tài chính rà soát",
				"Biểu quyết (kín): Điều chỉnh chỉ tiêu đầu tư công — Tán thành: 1, Không tán thành: 1, Không biểu quyết: 1",
				"Kết quả: không thông qua (cần ít nhất hai phần ba số đại biểu có mặt; Tán thành 1/3).",
				b.d1 + " (Giám đốc Sở Tài chính) (08:01 – 10:45)"}},
			{true, []string{"Số: 1/TB-UBND", "THÔNG BÁO", "Giao Sở Kế hoạch và Đầu tư hoàn thiện"}},
		} {
			got, err := b.svc.PDF(ctx, b.delegate, b.meeting, c.notice)
			if err != nil {
				t.Fatal(err)
			}
			pdf := got.Bytes
			path := filepath.Join(t.TempDir(), "m.pdf")
			_ = os.WriteFile(path, pdf, 0o600)
			if out := os.Getenv("CAU_PDF_OUT"); out != "" {
				_ = os.WriteFile(fmt.Sprintf("%s.%v.pdf", out, c.notice), pdf, 0o644)
			}
			var reads int
			_ = b.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'minutes.read' AND actor_id = $1`, b.delegate.UserID).Scan(&reads)
			if reads == 0 {
				t.Error("the PDF read is not in the audit log")
			}
			text, err := exec.Command("pdftotext", path, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			flat := strings.Join(strings.Fields(string(text)), " ")
			for _, w := range c.want {
				if !strings.Contains(flat, w) {
					t.Errorf("notice=%v: PDF text lacks %q:\n%s", c.notice, w, text)
				}
			}
			for _, w := range []string{"yes:", "no:", "abstain:"} {
				if strings.Contains(flat, w) {
					t.Errorf("notice=%v: PDF text has the English %q:\n%s", c.notice, w, text)
				}
			}
		}
	})
}

// TestConcurrentApprovals approves 50 meetings' minutes at once: their
// numbers are 1..50, no gap and no duplicate.
func TestConcurrentApprovals(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	const n = 50
	rows, err := b.db.Pool.Query(ctx, `INSERT INTO meetings (kind, title, starts_at, ends_at, unit_id, created_by)
		SELECT 'briefing', 'Giao ban tuần ' || g, $1, $2, $3, $4 FROM generate_series(1, $5) g RETURNING id`,
		at(8, 0), at(9, 0), b.unit, b.secretary.UserID, n)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if _, err := b.db.Pool.Exec(ctx, `INSERT INTO meeting_participants (meeting_id, user_id, role) VALUES ($1, $2, 'chair'), ($1, $3, 'secretary')`,
			id, b.chair.UserID, b.secretary.UserID); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Draft(ctx, b.secretary, id); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	symbols := make([]string, n)
	errs := make([]error, n)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := b.svc.Approve(ctx, b.chair, id, 1)
			symbols[i], errs[i] = m.Symbol, err
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("approve %d: %v", ids[i], err)
		}
		seen[symbols[i]] = true
	}
	for k := 1; k <= n; k++ {
		if !seen[fmt.Sprintf("%d/BB-UBND", k)] {
			t.Errorf("number %d/BB-UBND missing (a gap or a duplicate): %v", k, symbols)
		}
	}
}

// TestDraftAttendanceFromActs: the chair and the secretary who ran the
// session without checking themselves in are present; so is a person
// seated in a hall that was connected during the session; an explicit
// absence, a hall that never connected or connected only after the
// closing, and acts outside the session leave a person absent.
func TestDraftAttendanceFromActs(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := b.db.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	var chair, sec, d2, d3 int64
	_ = b.db.Pool.QueryRow(ctx, `SELECT
		(SELECT user_id FROM meeting_participants WHERE meeting_id = $1 AND role = 'chair'),
		(SELECT user_id FROM meeting_participants WHERE meeting_id = $1 AND role = 'secretary'),
		(SELECT id FROM users WHERE full_name = $2), (SELECT id FROM users WHERE full_name = $3)`, b.meeting, b.d2, b.d3).Scan(&chair, &sec, &d2, &d3)
	// Neither the chair nor the secretary checked in.
	exec(`DELETE FROM session_attendance WHERE meeting_id = $1 AND user_id IN ($2, $3)`, b.meeting, chair, sec)
	person := func(name string, hall *int64) int64 {
		var id int64
		if err := b.db.Pool.QueryRow(ctx, `INSERT INTO users (unit_id, username, full_name, password_hash) VALUES ($1, $2, $3, 'x') RETURNING id`,
			b.unit, fmt.Sprintf("u%d", time.Now().UnixNano()), name).Scan(&id); err != nil {
			t.Fatal(err)
		}
		exec(`INSERT INTO meeting_participants (meeting_id, user_id, role, hall_id) VALUES ($1, $2, 'delegate', $3)`, b.meeting, id, hall)
		return id
	}
	// d2 is marked absent though seated in a connected hall; d3 was never
	// ticked but sat in the district hall, connected 07:58–10:15.
	exec(`UPDATE meeting_participants SET hall_id = $3 WHERE meeting_id = $1 AND user_id IN ($2, $4)`, b.meeting, d2, b.halls[1], d3)
	late := b.halls[2]
	commune := person("Đặng Văn Khoa", &late) // the commune hall connects only after the closing
	yesterday := person("Vũ Thị Mai", nil)    // acted the day before, not in the session
	early := person("Bùi Quốc Trung", nil)    // acted 3 hours before the opening
	var seq int64
	_ = b.db.Pool.QueryRow(ctx, `SELECT last_seq FROM meetings WHERE id = $1`, b.meeting).Scan(&seq)
	event := func(typ string, actor *int64, when time.Time, data string) {
		seq++
		exec(`INSERT INTO session_events (meeting_id, seq, at, type, actor_id, data) VALUES ($1, $2, $3, $4, $5, $6)`, b.meeting, seq, when, typ, actor, data)
	}
	event("item.started", &chair, at(8, 5), `{}`)                       // the chair runs the agenda
	event("attendance.marked", &sec, at(7, 40), `{"status": "online"}`) // roll call before the opening
	event("speaking.requested", &yesterday, at(8, 5).Add(-24*time.Hour), `{}`)
	event("speaking.requested", &early, at(5, 2), `{}`)
	event("hall.connected", nil, at(10, 50), fmt.Sprintf(`{"hall_id": %d}`, late))
	exec(`UPDATE meetings SET last_seq = $2 WHERE id = $1`, b.meeting, seq)

	m, err := b.svc.Draft(ctx, b.secretary, b.meeting)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, p := range m.Body.People {
		got[int64(p.UserID)] = p.Attendance
	}
	for who, want := range map[int64]string{
		chair: minutes.Present, sec: minutes.Present, d3: minutes.Present, d2: minutes.AbsentNotice,
		commune: minutes.AbsentNoCause, yesterday: minutes.AbsentNoCause, early: minutes.AbsentNoCause,
	} {
		if got[who] != want {
			t.Errorf("user %d: attendance %q, want %q", who, got[who], want)
		}
	}
	// The PDF's "absent without known cause" line names neither of them.
	doc := b.svc.Document(m)
	for _, bl := range doc.Body {
		for _, line := range strings.Split(bl.Text, "\n") {
			if strings.HasPrefix(line, "Vắng không rõ lý do:") && (strings.Contains(line, b.chairName) || strings.Contains(line, b.secName)) {
				t.Errorf("the minutes call the chair or the secretary absent: %s", line)
			}
		}
	}
	if all := fmt.Sprint(doc.Body); !strings.Contains(all, "Vắng không rõ lý do:") || !strings.Contains(all, "Bùi Quốc Trung") {
		t.Errorf("the PDF lacks the absent line: %v", doc.Body)
	}
}
