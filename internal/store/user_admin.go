package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/org"
)

const adminUserColumns = `u.id, u.unit_id, u.username, u.full_name, u.email, u.position, coalesce(u.personal_id, ''), u.active, u.demo_password,
	coalesce(u.locked_until > now(), false), u.must_change_password, u.created_at`

func scanAdminUser(row pgx.CollectableRow) (org.User, error) {
	var u org.User
	err := row.Scan(&u.ID, &u.UnitID, &u.Username, &u.FullName, &u.Email, &u.Position, &u.PersonalID, &u.Active, &u.DemoPassword, &u.Locked,
		&u.MustChangePassword, &u.CreatedAt)
	return u, err
}

// Users implements org.Store; total counts every match, past the page too.
func (db *DB) Users(ctx context.Context, f org.UserFilter) ([]org.User, int, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.UnitID != nil {
		if f.IncludeDescendants {
			where = append(where, "u.unit_id IN "+subtrees(arg([]auth.UnitID{*f.UnitID})))
		} else {
			where = append(where, "u.unit_id = "+arg(*f.UnitID))
		}
	}
	if f.Within != nil {
		where = append(where, "u.unit_id IN "+subtrees(arg(f.Within)))
	}
	if f.Role != "" {
		where = append(where, "EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = "+arg(string(f.Role))+")")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		// Diacritics-insensitive: "nguyen thi" finds "Nguyễn Thị Thu".
		where = append(where, "vn_fold(u.full_name || ' ' || u.username) LIKE '%' || vn_fold("+arg(escapeLike(q))+") || '%'")
	}
	if f.ActiveOnly {
		where = append(where, "u.active")
	}
	from := ` FROM users u`
	if len(where) > 0 {
		from += " WHERE " + strings.Join(where, " AND ")
	}
	filterArgs := len(args)
	// A search ranks exact matches first, so the person typed in full is the
	// first row (the meeting editor picks it on Enter): the username, then the
	// whole name, then names or usernames starting with the text.
	order := ""
	if q := strings.TrimSpace(f.Query); q != "" {
		p, like := arg(q), arg(escapeLike(q))
		order = `CASE WHEN lower(u.username) = lower(` + p + `) THEN 0
			WHEN vn_fold(u.full_name) = vn_fold(` + p + `) THEN 1
			WHEN vn_fold(u.full_name) LIKE vn_fold(` + like + `) || '%' OR lower(u.username) LIKE lower(` + like + `) || '%' THEN 2
			ELSE 3 END, `
	}
	// Folded order puts "Đặng" among the D's, not after "Z" as code points would.
	q := `SELECT ` + adminUserColumns + `, count(*) OVER ()` + from +
		" ORDER BY " + order + "vn_fold(u.full_name), u.full_name, u.id LIMIT " + arg(f.Limit) + " OFFSET " + arg(f.Offset)
	rows, err := db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	total := 0
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (org.User, error) {
		var u org.User
		err := row.Scan(&u.ID, &u.UnitID, &u.Username, &u.FullName, &u.Email, &u.Position, &u.PersonalID, &u.Active, &u.DemoPassword, &u.Locked,
			&u.MustChangePassword, &u.CreatedAt, &total)
		return u, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	if len(users) == 0 && f.Offset > 0 {
		// Past the last page the window function saw no row to count on.
		if err := db.Pool.QueryRow(ctx, `SELECT count(*)`+from, args[:filterArgs]...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count users: %w", err)
		}
	}
	if err := attachGrants(ctx, db.Pool, users); err != nil {
		return nil, 0, err
	}
	return users, total, nil
}

// attachGrants loads the role grants of every listed user in one query.
func attachGrants(ctx context.Context, q Querier, users []org.User) error {
	if len(users) == 0 {
		return nil
	}
	ids := make([]auth.UserID, len(users))
	at := make(map[auth.UserID]int, len(users))
	for i, u := range users {
		ids[i], at[u.ID] = u.ID, i
		users[i].Grants = []auth.RoleGrant{}
	}
	rows, err := q.Query(ctx, `
		SELECT user_id, role, scope_unit_id, hall_id FROM user_roles WHERE user_id = ANY($1)
		ORDER BY user_id, role, scope_unit_id NULLS FIRST, hall_id NULLS FIRST`, ids)
	if err != nil {
		return fmt.Errorf("load role grants: %w", err)
	}
	var uid auth.UserID
	var g auth.RoleGrant
	_, err = pgx.ForEachRow(rows, []any{&uid, &g.Role, &g.ScopeUnitID, &g.HallID}, func() error {
		i := at[uid]
		users[i].Grants = append(users[i].Grants, g)
		g = auth.RoleGrant{} // the pointers are fresh for the next row
		return nil
	})
	if err != nil {
		return fmt.Errorf("load role grants: %w", err)
	}
	return nil
}

// subtrees is a subquery selecting the units in the subtrees rooted at the
// units of the array parameter ref.
func subtrees(ref string) string {
	return `(WITH RECURSIVE sub AS (
		SELECT id FROM units WHERE id = ANY(` + ref + `)
		UNION
		SELECT c.id FROM units c JOIN sub ON c.parent_id = sub.id
	) SELECT id FROM sub)`
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// User implements org.Store.
func (db *DB) User(ctx context.Context, id auth.UserID) (org.User, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+adminUserColumns+` FROM users u WHERE u.id = $1`, id)
	if err != nil {
		return org.User{}, fmt.Errorf("get user: %w", err)
	}
	u, err := pgx.CollectExactlyOneRow(rows, scanAdminUser)
	if err != nil {
		return org.User{}, notFound(err, fmt.Sprintf("user %d", id))
	}
	us := []org.User{u}
	if err := attachGrants(ctx, db.Pool, us); err != nil {
		return org.User{}, err
	}
	return us[0], nil
}

// CreateUser implements org.Store.
func (db *DB) CreateUser(ctx context.Context, n org.NewUser, e audit.Entry, now time.Time) (org.User, error) {
	var id auth.UserID
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		id, err = insertUser(ctx, tx, n, e, now)
		return err
	})
	if err != nil {
		return org.User{}, fmt.Errorf("create user: %w", err)
	}
	return db.User(ctx, id)
}

// insertUser inserts n with its grants and appends e naming the new id.
func insertUser(ctx context.Context, tx pgx.Tx, n org.NewUser, e audit.Entry, now time.Time) (auth.UserID, error) {
	var id auth.UserID
	err := tx.QueryRow(ctx, `
		INSERT INTO users (unit_id, username, full_name, email, position, password_hash, must_change_password,
			created_at, updated_at, password_changed_at, personal_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8, NULLIF($9, '')) RETURNING id`,
		n.UnitID, n.Username, n.FullName, n.Email, n.Position, n.PasswordHash, n.MustChangePassword, now, n.PersonalID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("user %s: %w", n.Username, userError(err))
	}
	if err := insertGrants(ctx, tx, id, n.Grants, now); err != nil {
		return 0, err
	}
	e.ObjectID = fmt.Sprint(id)
	return id, AppendAudit(ctx, tx, e, now)
}

// ImportUsers implements org.Store.
func (db *DB) ImportUsers(ctx context.Context, us []org.NewUser, es []audit.Entry, summary audit.Entry, now time.Time) ([]org.User, error) {
	ids := make([]auth.UserID, len(us))
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		for i, n := range us {
			id, err := insertUser(ctx, tx, n, es[i], now)
			if err != nil {
				return err
			}
			ids[i] = id
		}
		summary.Detail["user_ids"] = ids
		return AppendAudit(ctx, tx, summary, now)
	})
	if err != nil {
		return nil, fmt.Errorf("import users: %w", err)
	}
	out := make([]org.User, len(ids))
	for i, id := range ids {
		if out[i], err = db.User(ctx, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TakenUsernames implements org.Store.
func (db *DB) TakenUsernames(ctx context.Context, names []string) ([]string, error) {
	rows, err := db.Pool.Query(ctx, `SELECT username FROM users WHERE username = ANY($1) ORDER BY username`, names)
	if err != nil {
		return nil, fmt.Errorf("taken usernames: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// TakenPersonalIDs implements org.Store.
func (db *DB) TakenPersonalIDs(ctx context.Context, ids []string) ([]string, error) {
	rows, err := db.Pool.Query(ctx, `SELECT personal_id FROM users WHERE personal_id = ANY($1) ORDER BY personal_id`, ids)
	if err != nil {
		return nil, fmt.Errorf("taken personal ids: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// userError is constraintError with the personal ID number's own
// refusal: two admins giving one number at once, the second is told why.
func userError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "users_personal_id_idx" {
		return org.ErrPersonalIDTaken
	}
	return constraintError(err)
}

// UpdateUser implements org.Store.
func (db *DB) UpdateUser(ctx context.Context, id auth.UserID, c org.UserChange, e audit.Entry, now time.Time) (org.User, error) {
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE users SET unit_id = coalesce($2, unit_id), full_name = coalesce($3, full_name),
				email = coalesce($4, email), position = coalesce($5, position), updated_at = $6,
				personal_id = CASE WHEN $7::text IS NULL THEN personal_id ELSE NULLIF($7, '') END
			WHERE id = $1`, id, c.UnitID, c.FullName, c.Email, c.Position, now, c.PersonalID)
		if err != nil {
			return userError(err)
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return AppendAudit(ctx, tx, e, now)
	})
	if err != nil {
		return org.User{}, fmt.Errorf("update user %d: %w", id, err)
	}
	return db.User(ctx, id)
}

// SetUserActive implements org.Store; deactivation revokes refresh tokens.
func (db *DB) SetUserActive(ctx context.Context, id auth.UserID, active bool, e audit.Entry, now time.Time) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET active = $2, updated_at = $3 WHERE id = $1`, id, active, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("user %d: %w", id, ErrNotFound)
		}
		if !active {
			if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, id, now); err != nil {
				return err
			}
		}
		return AppendAudit(ctx, tx, e, now)
	})
}

// SetUserRoles implements org.Store.
func (db *DB) SetUserRoles(ctx context.Context, id auth.UserID, gs []auth.RoleGrant, e audit.Entry, now time.Time) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		// Lock the user row: two admins replacing roles at once serialize.
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, id).Scan(&one); err != nil {
			return notFound(err, fmt.Sprintf("user %d", id))
		}
		if _, err := tx.Exec(ctx, `DELETE FROM user_roles WHERE user_id = $1`, id); err != nil {
			return err
		}
		if err := insertGrants(ctx, tx, id, gs, now); err != nil {
			return err
		}
		return AppendAudit(ctx, tx, e, now)
	})
}

func insertGrants(ctx context.Context, tx pgx.Tx, id auth.UserID, gs []auth.RoleGrant, now time.Time) error {
	for _, g := range gs {
		_, err := tx.Exec(ctx, `INSERT INTO user_roles (user_id, role, scope_unit_id, hall_id, created_at) VALUES ($1, $2, $3, $4, $5)`,
			id, g.Role, g.ScopeUnitID, g.HallID, now)
		if err != nil {
			return fmt.Errorf("grant %s: %w", g.Role, constraintError(err))
		}
	}
	return nil
}

// ResetPassword implements org.Store.
func (db *DB) ResetPassword(ctx context.Context, id auth.UserID, hash string, e audit.Entry, now time.Time) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE users SET password_hash = $2, demo_password = false, must_change_password = true, password_changed_at = $3,
				failed_logins = 0, locked_until = NULL, updated_at = $3 WHERE id = $1`, id, hash, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("user %d: %w", id, ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, id, now); err != nil {
			return err
		}
		return AppendAudit(ctx, tx, e, now)
	})
}
