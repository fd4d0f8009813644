package org_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/org"
	"github.com/cau-gov/cau/internal/pgtest"
	"github.com/cau-gov/cau/internal/store"
)

var cheap = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// bundle is a fresh database with a province root, a global admin and the
// service under test.
type bundle struct {
	ctx      context.Context
	db       *store.DB
	svc      *org.Service
	province auth.UnitID
	admin    *auth.Principal
}

func setup(t *testing.T) *bundle {
	t.Helper()
	b := &bundle{ctx: context.Background(), db: pgtest.New(t)}
	b.svc = org.NewService(b.db, cheap, func() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) })
	if err := b.db.Pool.QueryRow(b.ctx, `INSERT INTO units (level, code, name) VALUES ('province', 'tinh', 'UBND tỉnh Lâm Đồng') RETURNING id`).Scan(&b.province); err != nil {
		t.Fatal(err)
	}
	b.admin = &auth.Principal{UserID: 1_000_000, Username: "root", UnitID: b.province, Grants: []auth.RoleGrant{{Role: auth.RoleAdmin}}}
	return b
}

func (b *bundle) unit(t *testing.T, p *auth.Principal, parent auth.UnitID, level, code, name string) auth.UnitID {
	t.Helper()
	u, err := b.svc.CreateUnit(b.ctx, p, org.UnitInput{ParentID: &parent, Level: level, Code: code, Name: name})
	if err != nil {
		t.Fatalf("create unit %s under %d: %v", code, parent, err)
	}
	return u.ID
}

func (b *bundle) user(t *testing.T, unit auth.UnitID, username string, grants ...auth.RoleGrant) org.User {
	t.Helper()
	u, _, err := b.svc.CreateUser(b.ctx, b.admin, org.UserInput{UnitID: unit, Username: username, FullName: "Người " + username, Grants: grants})
	if err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	return u
}

func (b *bundle) auditRows(t *testing.T) int {
	t.Helper()
	var n int
	if err := b.db.Pool.QueryRow(b.ctx, `SELECT count(*) FROM audit_log`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}

// TestTreeWithDistricts: province → district → commune, and the rules that
// keep levels ordered.
func TestTreeWithDistricts(t *testing.T) {
	b := setup(t)
	district := b.unit(t, b.admin, b.province, "district", "lam-ha", "UBND huyện Lâm Hà")
	commune := b.unit(t, b.admin, district, "commune", "tan-ha", "UBND xã Tân Hà")
	other := b.unit(t, b.admin, b.province, "district", "di-linh", "UBND huyện Di Linh")

	_, err := b.svc.CreateUnit(b.ctx, b.admin, org.UnitInput{ParentID: &commune, Level: "commune", Code: "x", Name: "X"})
	wantErr(t, "commune under a commune", err, org.ErrLevel)
	_, err = b.svc.CreateUnit(b.ctx, b.admin, org.UnitInput{ParentID: &commune, Level: "department", Code: "y", Name: "Y"})
	wantErr(t, "department under a commune", err, org.ErrLevel)
	_, err = b.svc.MoveUnit(b.ctx, b.admin, district, other)
	wantErr(t, "district under a district (same rank)", err, org.ErrLevel)
	_, err = b.svc.MoveUnit(b.ctx, b.admin, district, commune)
	wantErr(t, "district under its own commune", err, org.ErrCycle)
	_, err = b.svc.MoveUnit(b.ctx, b.admin, district, district)
	wantErr(t, "district under itself", err, org.ErrCycle)
	_, err = b.svc.MoveUnit(b.ctx, b.admin, b.province, district)
	wantErr(t, "the root moved", err, org.ErrRoot)
	lvl := "commune"
	_, err = b.svc.UpdateUnit(b.ctx, b.admin, district, nil, nil, &lvl)
	wantErr(t, "a district with communes made a commune", err, org.ErrLevel)

	// A commune moves to the other district; its ancestry follows.
	if _, err := b.svc.MoveUnit(b.ctx, b.admin, commune, other); err != nil {
		t.Fatal(err)
	}
	anc, err := b.db.Ancestry(b.ctx, commune)
	if err != nil || len(anc) != 3 || anc[1] != other || anc[2] != b.province {
		t.Fatalf("ancestry after move: %v %v", anc, err)
	}
}

// TestTreeWithoutDistricts: after the 2025 reform a province has communes
// straight under it; the same code handles it, and districts can be
// dissolved by moving their communes up.
func TestTreeWithoutDistricts(t *testing.T) {
	b := setup(t)
	c1 := b.unit(t, b.admin, b.province, "commune", "xa-ta-nung", "UBND xã Tà Nung")
	b.unit(t, b.admin, b.province, "department", "so-noi-vu", "Sở Nội vụ")
	district := b.unit(t, b.admin, b.province, "district", "lac-duong", "UBND huyện Lạc Dương")
	c2 := b.unit(t, b.admin, district, "commune", "xa-da-sar", "UBND xã Đạ Sar")

	units, err := b.svc.Units(b.ctx)
	if err != nil || len(units) != 5 {
		t.Fatalf("units: %d %v", len(units), err)
	}
	seen := map[auth.UnitID]bool{}
	for _, u := range units {
		if u.ParentID != nil && !seen[*u.ParentID] {
			t.Fatalf("unit %s listed before its parent", u.Code)
		}
		seen[u.ID] = true
	}
	if _, err := b.svc.MoveUnit(b.ctx, b.admin, c2, b.province); err != nil {
		t.Fatalf("commune up to the province: %v", err)
	}
	if _, err := b.svc.SetUnitActive(b.ctx, b.admin, district, false); err != nil {
		t.Fatalf("empty district deactivated: %v", err)
	}
	_, err = b.svc.MoveUnit(b.ctx, b.admin, c1, district)
	if v := (*fault.Invalid)(nil); !errors.As(err, &v) || v.Fields["parent_id"] != fault.Inactive {
		t.Fatalf("active commune moved into a closed district: %v", err)
	}
}

// TestDeactivationIsBottomUp: a unit with active children, halls or users
// stays open; nothing new goes into a closed unit; reactivation is top-down.
func TestDeactivationIsBottomUp(t *testing.T) {
	b := setup(t)
	district := b.unit(t, b.admin, b.province, "district", "bao-lam", "UBND huyện Bảo Lâm")
	commune := b.unit(t, b.admin, district, "commune", "loc-thang", "UBND thị trấn Lộc Thắng")
	hall, err := b.svc.CreateHall(b.ctx, b.admin, commune, "dc-loc-thang", "Điểm cầu Lộc Thắng")
	if err != nil {
		t.Fatal(err)
	}
	person := b.user(t, commune, "nguoi-loc-thang")

	_, err = b.svc.SetUnitActive(b.ctx, b.admin, district, false)
	wantErr(t, "district with a commune", err, org.ErrInUse)
	_, err = b.svc.SetUnitActive(b.ctx, b.admin, commune, false)
	wantErr(t, "commune with a hall and a user", err, org.ErrInUse)
	_, err = b.svc.SetUnitActive(b.ctx, b.admin, b.province, false)
	wantErr(t, "the root", err, org.ErrRoot)

	off := false
	if _, err := b.svc.UpdateHall(b.ctx, b.admin, hall.ID, org.HallChange{Active: &off}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.SetUserActive(b.ctx, b.admin, person.ID, false); err != nil {
		t.Fatal(err)
	}
	for _, id := range []auth.UnitID{commune, district} {
		if _, err := b.svc.SetUnitActive(b.ctx, b.admin, id, false); err != nil {
			t.Fatalf("deactivate %d bottom-up: %v", id, err)
		}
	}
	var v *fault.Invalid
	_, err = b.svc.CreateUnit(b.ctx, b.admin, org.UnitInput{ParentID: &district, Level: "commune", Code: "moi", Name: "Mới"})
	if !errors.As(err, &v) {
		t.Fatalf("unit in a closed district: %v", err)
	}
	_, err = b.svc.CreateHall(b.ctx, b.admin, commune, "dc-moi", "Mới")
	if !errors.As(err, &v) {
		t.Fatalf("hall in a closed commune: %v", err)
	}
	_, err = b.svc.SetUnitActive(b.ctx, b.admin, commune, true)
	if !errors.As(err, &v) {
		t.Fatalf("commune reopened under a closed district: %v", err)
	}
	on := true
	_, err = b.svc.UpdateHall(b.ctx, b.admin, hall.ID, org.HallChange{Active: &on})
	if !errors.As(err, &v) {
		t.Fatalf("hall reopened in a closed commune: %v", err)
	}
	for _, id := range []auth.UnitID{district, commune} {
		if _, err := b.svc.SetUnitActive(b.ctx, b.admin, id, true); err != nil {
			t.Fatalf("reactivate %d top-down: %v", id, err)
		}
	}
	checkAudit(t, b)
}

// TestScopedAdmin: a district admin works inside its district only, cannot
// touch its own district's record, and cannot reach anyone more powerful.
func TestScopedAdmin(t *testing.T) {
	b := setup(t)
	district := b.unit(t, b.admin, b.province, "district", "lam-ha", "UBND huyện Lâm Hà")
	commune := b.unit(t, b.admin, district, "commune", "nam-ha", "UBND xã Nam Hà")
	dept := b.unit(t, b.admin, b.province, "department", "so-tai-chinh", "Sở Tài chính")
	deptHall, err := b.svc.CreateHall(b.ctx, b.admin, dept, "dc-so-tai-chinh", "Điểm cầu Sở Tài chính")
	if err != nil {
		t.Fatal(err)
	}
	scoped := b.user(t, district, "qt-lam-ha", auth.RoleGrant{Role: auth.RoleAdmin, ScopeUnitID: &district})
	p := &auth.Principal{UserID: scoped.ID, Username: scoped.Username, UnitID: district, Grants: scoped.Grants}
	// A province-wide admin and secretary who happen to sit in the district.
	bigAdmin := b.user(t, district, "qt-tinh", auth.RoleGrant{Role: auth.RoleAdmin})
	bigSecretary := b.user(t, commune, "thuky-tinh", auth.RoleGrant{Role: auth.RoleSecretary})
	delegate := b.user(t, commune, "daibieu-nam-ha", auth.RoleGrant{Role: auth.RoleDelegate})
	name := "Huyện Lâm Hà (mới)"
	rows := b.auditRows(t)

	refused := []struct {
		what string
		do   func() error
	}{
		{"create a district under the province", func() error {
			_, err := b.svc.CreateUnit(b.ctx, p, org.UnitInput{ParentID: &b.province, Level: "district", Code: "h", Name: "H"})
			return err
		}},
		{"rename its own district", func() error { _, err := b.svc.UpdateUnit(b.ctx, p, district, &name, nil, nil); return err }},
		{"deactivate its own district", func() error { _, err := b.svc.SetUnitActive(b.ctx, p, district, false); return err }},
		{"rename the root", func() error { _, err := b.svc.UpdateUnit(b.ctx, p, b.province, &name, nil, nil); return err }},
		{"move a commune to a department", func() error { _, err := b.svc.MoveUnit(b.ctx, p, commune, dept); return err }},
		{"a hall in a department", func() error { _, err := b.svc.CreateHall(b.ctx, p, dept, "dc-x", "X"); return err }},
		{"a user in a department", func() error {
			_, _, err := b.svc.CreateUser(b.ctx, p, org.UserInput{UnitID: dept, Username: "ngoai", FullName: "Ngoài"})
			return err
		}},
		{"reset a province-wide admin's password", func() error { _, err := b.svc.ResetPassword(b.ctx, p, bigAdmin.ID); return err }},
		{"deactivate a province-wide admin", func() error { _, err := b.svc.SetUserActive(b.ctx, p, bigAdmin.ID, false); return err }},
		{"rename a province-wide secretary", func() error {
			_, err := b.svc.UpdateUser(b.ctx, p, bigSecretary.ID, org.UserChange{FullName: &name})
			return err
		}},
		{"strip a province-wide secretary", func() error { _, err := b.svc.SetUserRoles(b.ctx, p, bigSecretary.ID, nil); return err }},
		{"grant province-wide chair", func() error {
			_, err := b.svc.SetUserRoles(b.ctx, p, delegate.ID, []auth.RoleGrant{{Role: auth.RoleChair}})
			return err
		}},
		{"grant admin over the province", func() error {
			_, err := b.svc.SetUserRoles(b.ctx, p, delegate.ID, []auth.RoleGrant{{Role: auth.RoleAdmin, ScopeUnitID: &b.province}})
			return err
		}},
		{"make an operator of a department hall", func() error {
			_, err := b.svc.SetUserRoles(b.ctx, p, delegate.ID, []auth.RoleGrant{{Role: auth.RoleHallOperator, HallID: &deptHall.ID}})
			return err
		}},
		{"list the department's users", func() error {
			_, _, err := b.svc.Users(b.ctx, p, org.UserFilter{UnitID: &dept})
			return err
		}},
	}
	for _, r := range refused {
		if err := r.do(); !errors.Is(err, org.ErrForbidden) {
			t.Errorf("scoped admin may not %s: got %v", r.what, err)
		}
	}
	if n := b.auditRows(t); n != rows {
		t.Fatalf("refused calls wrote %d audit rows", n-rows)
	}

	// Inside the district: new communes, people, commune-scoped powers,
	// province-wide participation roles.
	c := b.unit(t, p, district, "commune", "phu-son", "UBND xã Phú Sơn")
	u, pw, err := b.svc.CreateUser(b.ctx, p, org.UserInput{UnitID: c, Username: "ct-phu-son", FullName: "Chủ tịch Phú Sơn",
		Grants: []auth.RoleGrant{{Role: auth.RoleDelegate}, {Role: auth.RoleSecretary, ScopeUnitID: &c}}})
	if err != nil || pw == "" || len(u.Grants) != 2 {
		t.Fatalf("user inside the district: %+v %q %v", u, pw, err)
	}
	if _, err := b.svc.ResetPassword(b.ctx, p, delegate.ID); err != nil {
		t.Fatalf("reset a delegate's password: %v", err)
	}
	_, err = b.svc.SetUserRoles(b.ctx, p, scoped.ID, nil)
	wantErr(t, "own roles", err, org.ErrSelf)

	list, _, err := b.svc.Users(b.ctx, p, org.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range list {
		if u.UnitID != district && u.UnitID != commune && u.UnitID != c {
			t.Fatalf("scoped admin lists %s of unit %d", u.Username, u.UnitID)
		}
	}
	if len(list) != 5 {
		t.Fatalf("scoped admin lists %d users, want 5", len(list))
	}
	checkAudit(t, b)
}

// TestUserSearch: diacritics- and case-insensitive, LIKE metacharacters
// taken literally, role and unit filters.
func TestUserSearch(t *testing.T) {
	b := setup(t)
	dept := b.unit(t, b.admin, b.province, "department", "so-y-te", "Sở Y tế")
	for _, u := range []struct{ username, name string }{
		{"nguyen-thu", "Nguyễn Thị Thu"}, {"tran-quang", "Trần Văn Quang"}, {"dang-duc", "ĐẶNG ĐỨC ẢNH"}, {"pct_50", "Lê 50% Phần"},
	} {
		if _, _, err := b.svc.CreateUser(b.ctx, b.admin, org.UserInput{UnitID: dept, Username: u.username, FullName: u.name,
			Grants: []auth.RoleGrant{{Role: auth.RoleDelegate}}}); err != nil {
			t.Fatal(err)
		}
	}
	for q, want := range map[string]int{
		"nguyen thi": 1, "NGUYỄN": 1, "đức ảnh": 1, "dang duc anh": 1, "thu": 1, "%": 1, "_": 1, "50%": 1, "x%": 0, "'": 0, "": 4,
	} {
		got, _, err := b.svc.Users(b.ctx, b.admin, org.UserFilter{Query: q})
		if err != nil || len(got) != want {
			t.Errorf("q=%q: %d users (%v), want %d", q, len(got), err, want)
		}
	}
	// Combining diacritics (NFD, as some keyboards send them) fold alike,
	// and names are stored precomposed.
	if got, _, err := b.svc.Users(b.ctx, b.admin, org.UserFilter{Query: norm.NFD.String("Trần Văn")}); err != nil || len(got) != 1 {
		t.Fatalf("NFD query: %d users, %v", len(got), err)
	}
	nfd, _, err := b.svc.CreateUser(b.ctx, b.admin, org.UserInput{UnitID: dept, Username: "nfd", FullName: norm.NFD.String("Hồ Xuân Hương")})
	if err != nil || nfd.FullName != "Hồ Xuân Hương" || !norm.NFC.IsNormalString(nfd.FullName) {
		t.Fatalf("NFD name stored as %q (%v)", nfd.FullName, err)
	}
	if _, err := b.svc.SetUserActive(b.ctx, b.admin, nfd.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, _, err := b.svc.Users(b.ctx, b.admin, org.UserFilter{Query: "ho xuan", ActiveOnly: true}); err != nil || len(got) != 0 {
		t.Fatalf("active-only search finds a deactivated user: %d %v", len(got), err)
	}
	page, total, err := b.svc.Users(b.ctx, b.admin, org.UserFilter{Limit: 3, Offset: 2, ActiveOnly: true})
	if err != nil || len(page) != 2 || total != 4 || page[0].FullName != "Nguyễn Thị Thu" {
		t.Fatalf("page 2 of 3: %d users of %d (%v)", len(page), total, err)
	}
	if _, total, err = b.svc.Users(b.ctx, b.admin, org.UserFilter{Offset: 10, ActiveOnly: true}); err != nil || total != 4 {
		t.Fatalf("past the end: total %d, %v", total, err)
	}
	got, _, err := b.svc.Users(b.ctx, b.admin, org.UserFilter{Role: auth.RoleSecretary})
	if err != nil || len(got) != 0 {
		t.Fatalf("role filter: %d %v", len(got), err)
	}
	// A delegate sees only its own unit and may not ask for another.
	d, _, err := b.svc.Users(b.ctx, &auth.Principal{UserID: 1, UnitID: dept, Grants: []auth.RoleGrant{{Role: auth.RoleDelegate}}}, org.UserFilter{})
	if err != nil || len(d) != 5 { // the four and the deactivated one
		t.Fatalf("delegate lists own unit: %d %v", len(d), err)
	}
	_, _, err = b.svc.Users(b.ctx, &auth.Principal{UserID: 1, UnitID: dept, Grants: []auth.RoleGrant{{Role: auth.RoleDelegate}}}, org.UserFilter{UnitID: &b.province})
	wantErr(t, "delegate lists another unit", err, org.ErrForbidden)
}

func checkAudit(t *testing.T, b *bundle) {
	t.Helper()
	n, breach, err := b.db.VerifyAudit(b.ctx)
	if err != nil || breach != nil || n == 0 {
		t.Fatalf("audit chain: %d rows, breach %v, err %v", n, breach, err)
	}
}

// TestScopedAdminWithTwoScopes: an admin of two districts lists the people
// of both, and nobody else.
func TestScopedAdminWithTwoScopes(t *testing.T) {
	b := setup(t)
	d1 := b.unit(t, b.admin, b.province, "district", "duc-trong", "UBND huyện Đức Trọng")
	d2 := b.unit(t, b.admin, b.province, "district", "don-duong", "UBND huyện Đơn Dương")
	d3 := b.unit(t, b.admin, b.province, "district", "cat-tien", "UBND huyện Cát Tiên")
	c1 := b.unit(t, b.admin, d1, "commune", "hiep-an", "UBND xã Hiệp An")
	for i, u := range []auth.UnitID{c1, d2, d3} {
		b.user(t, u, fmt.Sprintf("nguoi-%d", i))
	}
	p := &auth.Principal{UserID: 1, UnitID: d1, Grants: []auth.RoleGrant{
		{Role: auth.RoleAdmin, ScopeUnitID: &d1}, {Role: auth.RoleAdmin, ScopeUnitID: &d2}}}
	list, _, err := b.svc.Users(b.ctx, p, org.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range list {
		names = append(names, u.Username)
	}
	if len(names) != 2 || names[0] == "nguoi-2" || names[1] == "nguoi-2" {
		t.Fatalf("admin of two districts lists %v, want nguoi-0 and nguoi-1", names)
	}
}

// TestStoreRefusesCycles: the store checks again under a lock, so two
// racing moves cannot close a loop even though each passed org's check.
func TestStoreRefusesCycles(t *testing.T) {
	b := setup(t)
	d := b.unit(t, b.admin, b.province, "district", "lam-ha", "UBND huyện Lâm Hà")
	c := b.unit(t, b.admin, d, "commune", "tan-ha", "UBND xã Tân Hà")
	u, err := b.db.Unit(b.ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	u.ParentID = &c
	_, err = b.db.UpdateUnit(b.ctx, u, audit.Entry{Action: "unit.move"}, time.Now())
	wantErr(t, "district under its commune, in the store", err, org.ErrCycle)
	_, err = b.db.Unit(b.ctx, 999999)
	if !fault.Is(err, fault.NotFound) {
		t.Errorf("missing unit: got %v, want a not-found", err)
	}
}

// TestLevelsAreConfiguration: a province adds a level and uses it; a rank
// change that would put a parent below its children is refused.
func TestLevelsAreConfiguration(t *testing.T) {
	b := setup(t)
	dept := b.unit(t, b.admin, b.province, "department", "so-noi-vu", "Sở Nội vụ")
	district := b.unit(t, b.admin, b.province, "district", "lam-ha", "UBND huyện Lâm Hà")
	b.unit(t, b.admin, district, "commune", "tan-ha", "UBND xã Tân Hà")

	division := org.Level{Code: "division", Rank: 2, NameVI: "Phòng, ban", NameEN: "Division"}
	if _, err := b.svc.SaveLevel(b.ctx, b.admin, division); err != nil {
		t.Fatal(err)
	}
	b.unit(t, b.admin, dept, "division", "phong-cong-chuc", "Phòng Công chức, viên chức")

	scoped := &auth.Principal{UserID: 7, UnitID: district, Grants: []auth.RoleGrant{{Role: auth.RoleAdmin, ScopeUnitID: &district}}}
	_, err := b.svc.SaveLevel(b.ctx, scoped, org.Level{Code: "hamlet", Rank: 3, NameVI: "Thôn", NameEN: "Hamlet"})
	wantErr(t, "a scoped admin adds a level", err, org.ErrForbidden)
	_, err = b.svc.SaveLevel(b.ctx, b.admin, org.Level{Code: "district", Rank: 2, NameVI: "Huyện", NameEN: "District"})
	wantErr(t, "districts ranked with their communes", err, org.ErrLevel)
	var v *fault.Invalid
	_, err = b.svc.SaveLevel(b.ctx, b.admin, org.Level{Code: "Bad Code", Rank: -1, NameVI: "", NameEN: "x"})
	if !errors.As(err, &v) || len(v.Fields) != 3 {
		t.Fatalf("bad level: %v", err)
	}
	// Renaming keeps the rank: allowed.
	if _, err := b.svc.SaveLevel(b.ctx, b.admin, org.Level{Code: "district", Rank: 1, NameVI: "Huyện, thị xã, thành phố", NameEN: "District"}); err != nil {
		t.Fatal(err)
	}
	levels, err := b.svc.Levels(b.ctx)
	if err != nil || len(levels) != 5 {
		t.Fatalf("levels: %+v %v", levels, err)
	}
	checkAudit(t, b)
}
