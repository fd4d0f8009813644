// Package seed loads the demo province that `make run` shows: the unit tree
// of the reference scenario with one hall per unit, and demo accounts for
// every role. It is idempotent: codes and usernames are natural keys, so a
// second run adds nothing and changes no password a user has since set.
package seed

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/store"
)

// ErrProduction means the demo data was asked for in production.
var ErrProduction = errors.New("demo data is refused in CAU_ENV=production")

// Account is a demo login printed by `make run`.
type Account struct {
	Username string
	FullName string
	Role     auth.Role
	Unit     string
}

// Summary is what Demo made (or found already made).
type Summary struct {
	Units, Halls, Users int
	// Accounts lists the named demo logins (not the 180 hall operators).
	Accounts []Account
	// OperatorExample is one hall operator's username.
	OperatorExample string
}

// ProvinceCode is the root unit's code.
const ProvinceCode = "ubnd-tinh-lam-dong"

type unitRow struct {
	id   int64
	code string
	name string
}

// Demo writes the demo province in one transaction and, when it added
// anything, one "seed.demo" audit row. passwordHash is the argon2id hash of
// the demo password, computed once by the caller: hashing it for each of
// ~200 users would take most of a minute on purpose. Demo prints nothing;
// the CLI prints the returned Summary.
func Demo(ctx context.Context, db *store.DB, passwordHash string, now time.Time) (Summary, error) {
	var sum Summary
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		var before Summary
		if err := counts(ctx, tx, &before); err != nil {
			return err
		}
		province, err := upsertUnit(ctx, tx, 0, "province", ProvinceCode, "UBND tỉnh Lâm Đồng")
		if err != nil {
			return err
		}
		all := []unitRow{province}
		var depts, dists []unitRow
		for _, name := range departments {
			u, err := upsertUnit(ctx, tx, province.id, "department", slug(name), name)
			if err != nil {
				return err
			}
			depts = append(depts, u)
		}
		all = append(all, depts...)
		for _, d := range districts {
			dslug := slug(strings.TrimPrefix(strings.TrimPrefix(d.name, "Thành phố "), "Huyện "))
			du, err := upsertUnit(ctx, tx, province.id, "district", dslug, "UBND "+lowerFirst(d.name))
			if err != nil {
				return err
			}
			dists = append(dists, du)
			all = append(all, du)
			for _, c := range d.communes {
				cu, err := upsertUnit(ctx, tx, du.id, "commune", slug(c)+"-"+dslug, "UBND "+lowerFirst(c)+", "+lowerFirst(d.name))
				if err != nil {
					return err
				}
				all = append(all, cu)
			}
		}
		for _, u := range all {
			if err := upsertHall(ctx, tx, u); err != nil {
				return err
			}
		}

		// Named demo accounts.
		office := depts[0]
		named := []struct {
			username, fullName string
			unit               unitRow
			role               auth.Role
		}{
			{"admin", "Quản trị hệ thống", office, auth.RoleAdmin},
			{"thuky", "Nguyễn Thị Thu", office, auth.RoleSecretary},
			{"chutri", "Trần Văn Quang", province, auth.RoleChair},
		}
		for i := 0; i < 20; i++ {
			// Directors of the first eight departments and the chairs of the twelve districts.
			unit := dists[(i-8+len(dists))%len(dists)]
			if i < 8 {
				unit = depts[i+1]
			}
			named = append(named, struct {
				username, fullName string
				unit               unitRow
				role               auth.Role
			}{fmt.Sprintf("daibieu%d", i+1), personName(i), unit, auth.RoleDelegate})
		}
		for _, n := range named {
			if err := upsertUser(ctx, tx, n.unit.id, n.username, n.fullName, passwordHash, n.role, nil); err != nil {
				return err
			}
			sum.Accounts = append(sum.Accounts, Account{Username: n.username, FullName: n.fullName, Role: n.role, Unit: n.unit.name})
		}
		for i, u := range all {
			var hallID int64
			if err := tx.QueryRow(ctx, `SELECT id FROM halls WHERE code = $1`, u.code).Scan(&hallID); err != nil {
				return fmt.Errorf("seed: hall %s: %w", u.code, err)
			}
			username := "ktv." + u.code
			if len(username) > 64 {
				username = username[:64]
			}
			if i == 40 {
				sum.OperatorExample = username
			}
			if err := upsertUser(ctx, tx, u.id, username, "Kỹ thuật viên "+personName(i+20), passwordHash, auth.RoleHallOperator, &hallID); err != nil {
				return err
			}
		}
		// The province's notices are signed for the chairman by the office
		// chief, as a real TB-UBND is (the admin screens change it).
		if _, err := tx.Exec(ctx, `INSERT INTO unit_signatures (unit_id, authority, title, signer_name, updated_at)
			VALUES ($1, 'TL. CHỦ TỊCH', 'CHÁNH VĂN PHÒNG', $2, $3) ON CONFLICT (unit_id) DO NOTHING`, province.id, personName(7), now); err != nil {
			return fmt.Errorf("seed: signature block: %w", err)
		}
		if err := counts(ctx, tx, &sum); err != nil {
			return err
		}
		if sum.Units == before.Units && sum.Halls == before.Halls && sum.Users == before.Users {
			return nil // nothing new: a second run leaves no trace
		}
		return store.AppendAudit(ctx, tx, audit.Entry{ActorName: "cau seed --demo", Action: "seed.demo", ObjectType: "province",
			ObjectID: ProvinceCode, Detail: map[string]any{
				"units_added": sum.Units - before.Units, "halls_added": sum.Halls - before.Halls, "users_added": sum.Users - before.Users,
			}}, now)
	})
	return sum, err
}

func counts(ctx context.Context, tx pgx.Tx, s *Summary) error {
	err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM units), (SELECT count(*) FROM halls), (SELECT count(*) FROM users)`).
		Scan(&s.Units, &s.Halls, &s.Users)
	if err != nil {
		return fmt.Errorf("seed: count: %w", err)
	}
	return nil
}

func upsertUnit(ctx context.Context, tx pgx.Tx, parent int64, level, code, name string) (unitRow, error) {
	var parentID any
	if parent != 0 {
		parentID = parent
	}
	u := unitRow{code: code, name: name}
	err := tx.QueryRow(ctx, `
		INSERT INTO units (parent_id, level, code, name) VALUES ($1, $2, $3, $4)
		ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code
		RETURNING id`, parentID, level, code, name).Scan(&u.id)
	if err != nil {
		return u, fmt.Errorf("seed: unit %s: %w", code, err)
	}
	return u, nil
}

func upsertHall(ctx context.Context, tx pgx.Tx, u unitRow) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO halls (unit_id, code, name) VALUES ($1, $2, $3)
		ON CONFLICT (code) DO NOTHING`, u.id, u.code, "Điểm cầu "+u.name)
	if err != nil {
		return fmt.Errorf("seed: hall %s: %w", u.code, err)
	}
	return nil
}

func upsertUser(ctx context.Context, tx pgx.Tx, unit int64, username, fullName, hash string, role auth.Role, hall *int64) error {
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO users (unit_id, username, full_name, email, password_hash, demo_password)
		VALUES ($1, $2, $3, $4, $5, true)
		ON CONFLICT (username) DO UPDATE SET username = EXCLUDED.username
		RETURNING id`, unit, username, fullName, username+"@demo.cau.local", hash).Scan(&id)
	if err != nil {
		return fmt.Errorf("seed: user %s: %w", username, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO user_roles (user_id, role, hall_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, id, role, hall)
	if err != nil {
		return fmt.Errorf("seed: role of %s: %w", username, err)
	}
	return nil
}

// slug turns a Vietnamese name into an ASCII code: "Xã Đạ Tông" → "xa-da-tong".
func slug(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	plain, _, _ := transform.String(t, s)
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(plain) {
		switch {
		case r == 'đ':
			r = 'd'
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
			continue
		}
		b.WriteRune(r)
		dash = false
	}
	return strings.TrimSuffix(b.String(), "-")
}

func lowerFirst(s string) string {
	for i, r := range s {
		return string(unicode.ToLower(r)) + s[i+len(string(r)):]
	}
	return s
}
