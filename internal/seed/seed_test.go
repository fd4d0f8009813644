package seed

import (
	"context"
	"testing"

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
	first, err := Demo(ctx, db, hash)
	if err != nil {
		t.Fatal(err)
	}
	if first.Units != 180 || first.Halls != 180 || first.Users != 203 {
		t.Fatalf("units %d halls %d users %d, want 180 180 203", first.Units, first.Halls, first.Users)
	}
	second, err := Demo(ctx, db, hash)
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
	var name string
	if err := db.Pool.QueryRow(ctx, `SELECT name FROM halls WHERE code = 'xa-da-tong-dam-rong'`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "Điểm cầu UBND xã Đạ Tông, Huyện Đam Rông" {
		t.Fatalf("hall name %q", name)
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
