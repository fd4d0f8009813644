package search_test

import (
	"context"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/pgtest"
	"github.com/cau-gov/cau/internal/search"
)

func TestSearch(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	one := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := db.Pool.QueryRow(ctx, sql, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	root := one(`INSERT INTO units (level, code, name) VALUES ('province', 'ubnd', 'UBND tỉnh') RETURNING id`)
	other := one(`INSERT INTO units (parent_id, level, code, name) VALUES ($1, 'department', 'stc', 'Sở Tài chính') RETURNING id`, root)
	sec := one(`INSERT INTO users (unit_id, username, full_name, password_hash) VALUES ($1, 'thuky', 'Thư ký', 'x') RETURNING id`, root)
	del := one(`INSERT INTO users (unit_id, username, full_name, password_hash) VALUES ($1, 'daibieu', 'Đại biểu', 'x') RETURNING id`, root)
	out := one(`INSERT INTO users (unit_id, username, full_name, password_hash) VALUES ($1, 'ngoai', 'Người ngoài', 'x') RETURNING id`, other)
	now := time.Now()
	m := one(`INSERT INTO meetings (kind, title, starts_at, ends_at, unit_id, created_by) VALUES ('regular', 'Họp bàn Kế hoạch đầu tư công năm 2027', $1, $2, $3, $4) RETURNING id`,
		now, now.Add(time.Hour), root, sec)
	one(`INSERT INTO meeting_participants (meeting_id, user_id, role) VALUES ($1, $2, 'delegate') RETURNING meeting_id`, m, del)
	one(`INSERT INTO documents (meeting_id, title, created_by) VALUES ($1, 'Dự thảo kế hoạch giải ngân', $2) RETURNING id`, m, sec)
	one(`INSERT INTO documents (meeting_id, title, confidential, created_by) VALUES ($1, 'Kế hoạch nhân sự (mật)', true, $2) RETURNING id`, m, sec)
	one(`INSERT INTO tasks (title, lead_unit_id, assigner_id, deadline, created_at, updated_at) VALUES ('Xây dựng KẾ HOẠCH chuyển đổi số', $1, $2, '2026-12-31', now(), now()) RETURNING id`, root, sec)
	one(`INSERT INTO tasks (title, lead_unit_id, assigner_id, deadline, created_at, updated_at) VALUES ('Rà soát kế hoạch vốn 100% đã giao', $1, $2, '2026-12-31', now(), now()) RETURNING id`, other, sec)

	svc := search.NewService(db)
	p := func(id int64, unit int64, roles ...auth.Role) *auth.Principal {
		pr := &auth.Principal{UserID: auth.UserID(id), UnitID: auth.UnitID(unit)}
		for _, r := range roles {
			pr.Grants = append(pr.Grants, auth.RoleGrant{Role: r})
		}
		return pr
	}
	kinds := func(rs []search.Result) map[string]int {
		c := map[string]int{}
		for _, r := range rs {
			c[r.Kind]++
		}
		return c
	}
	for _, c := range []struct {
		name string
		who  *auth.Principal
		q    string
		want map[string]int
	}{
		{"secretary, no diacritics", p(sec, root, auth.RoleSecretary), "ke hoach", map[string]int{"meeting": 1, "document": 2, "task": 2}},
		{"delegate: no confidential document, own unit's task", p(del, root, auth.RoleDelegate), "KE HOACH", map[string]int{"meeting": 1, "document": 1, "task": 1}},
		{"outsider: only own unit's task", p(out, other, auth.RoleDelegate), "kế hoạch", map[string]int{"task": 1}},
		{"with diacritics", p(sec, root, auth.RoleSecretary), "Chuyển đổi", map[string]int{"task": 1}},
		{"percent is literal", p(sec, root, auth.RoleSecretary), "100%", map[string]int{"task": 1}},
		{"underscore is literal", p(sec, root, auth.RoleSecretary), "k_ hoach", map[string]int{}},
	} {
		res, err := svc.Search(ctx, c.who, c.q, nil, 0)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := kinds(res)
		if len(got) != len(c.want) {
			t.Errorf("%s: %v, want %v (%+v)", c.name, got, c.want, res)
			continue
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%s: %v, want %v (%+v)", c.name, got, c.want, res)
			}
		}
	}
	for _, bad := range []struct {
		q     string
		kinds []string
		limit int
	}{{"k", nil, 0}, {"  ", nil, 0}, {"ke hoach", []string{"hall"}, 0}, {"ke hoach", nil, 1000}} {
		if _, err := svc.Search(ctx, p(sec, root, auth.RoleSecretary), bad.q, bad.kinds, bad.limit); !fault.Is(err, fault.InvalidInput) {
			t.Errorf("query %+v: %v, want ErrInvalid", bad, err)
		}
	}
}
