package seed

import (
	"context"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/pgtest"
)

func TestDemoIsTheReferenceProvinceAndIdempotent(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	hash, err := auth.HashPassword("cau-demo", auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	first, err := Demo(ctx, db, hash, now)
	if err != nil {
		t.Fatal(err)
	}
	if first.Units != 180 || first.Halls != 180 || first.Users != 203 {
		t.Fatalf("units %d halls %d users %d, want 180 180 203", first.Units, first.Halls, first.Users)
	}
	// A demo user changes its password; the second run must keep it.
	if _, err := db.Pool.Exec(ctx, `UPDATE users SET password_hash = 'changed', demo_password = false WHERE username = 'thuky'`); err != nil {
		t.Fatal(err)
	}
	second, err := Demo(ctx, db, hash, now)
	if err != nil {
		t.Fatal(err)
	}
	if second.Units != 180 || second.Halls != 180 || second.Users != 203 {
		t.Fatalf("second run: units %d halls %d users %d", second.Units, second.Halls, second.Users)
	}
	var roles, levels, communes int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM user_roles`).Scan(&roles); err != nil {
		t.Fatal(err)
	}
	if roles != 203 {
		t.Fatalf("%d role grants after two runs, want 203", roles)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT count(DISTINCT level), count(*) FILTER (WHERE level = 'commune') FROM units`).Scan(&levels, &communes); err != nil {
		t.Fatal(err)
	}
	if levels != 4 || communes != 147 {
		t.Fatalf("levels %d communes %d, want 4 and 147", levels, communes)
	}
	var hashes, demo int
	if err := db.Pool.QueryRow(ctx, `SELECT count(DISTINCT password_hash), count(*) FILTER (WHERE demo_password) FROM users`).Scan(&hashes, &demo); err != nil {
		t.Fatal(err)
	}
	if hashes != 2 || demo != 202 {
		t.Fatalf("%d distinct hashes and %d demo passwords, want 2 (one shared, thuky's own) and 202", hashes, demo)
	}
	var seedRows int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'seed.demo'`).Scan(&seedRows); err != nil {
		t.Fatal(err)
	}
	if seedRows != 1 {
		t.Fatalf("%d seed.demo audit rows after two runs, want 1", seedRows)
	}
	if n, breach, err := db.VerifyAudit(ctx); err != nil || breach != nil || n != 1 {
		t.Fatalf("audit chain: %d rows, breach %v, err %v", n, breach, err)
	}
	var named int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM users u JOIN user_roles r ON r.user_id = u.id WHERE
		(u.username, r.role) IN (('admin', 'admin'), ('thuky', 'secretary'), ('chutri', 'chair'))
		OR (u.username ~ '^daibieu([1-9]|1[0-9]|20)$' AND r.role = 'delegate')
		OR (u.username LIKE 'ktv.%' AND r.role = 'hall_operator' AND r.hall_id IS NOT NULL)`).Scan(&named); err != nil {
		t.Fatal(err)
	}
	if named != 203 {
		t.Fatalf("%d users hold their demo role, want 203", named)
	}
	var name string
	if err := db.Pool.QueryRow(ctx, `SELECT name FROM halls WHERE code = 'xa-da-tong-dam-rong'`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "Điểm cầu UBND xã Đạ Tông, huyện Đam Rông" {
		t.Fatalf("hall name %q", name)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT name FROM halls WHERE code = 'da-lat'`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "Điểm cầu UBND thành phố Đà Lạt" {
		t.Fatalf("district hall name %q", name)
	}
	var op string
	if err := db.Pool.QueryRow(ctx, `SELECT u.username FROM users u JOIN user_roles r ON r.user_id = u.id JOIN halls h ON h.id = r.hall_id WHERE h.code = 'phuong-1-da-lat'`).Scan(&op); err != nil {
		t.Fatal(err)
	}
	if op != "ktv.phuong-1-da-lat" {
		t.Fatalf("operator of Phường 1 Đà Lạt: %q", op)
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Xã Đạ Tông": "xa-da-tong",
		"Sở Lao động - Thương binh và Xã hội": "so-lao-dong-thuong-binh-va-xa-hoi",
		"Phường B'Lao": "phuong-b-lao",
		"Xã Đưng K'Nớ": "xa-dung-k-no",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}
