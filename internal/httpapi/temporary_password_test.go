package httpapi_test

import (
	"context"
	"net/http"
	"testing"
)

// TestTemporaryPasswordMustBeChanged: with must_change_password set (an
// administrator's reset, a new account, an import), the user signs in, the
// answer says so, and every route but /me and /me/password is refused with
// 403 password_change_required until the password is changed.
func TestTemporaryPasswordMustBeChanged(t *testing.T) {
	b := setupAuth(t)
	env := b.env
	if _, err := env.App.DB.Pool.Exec(context.Background(), `UPDATE users SET must_change_password = true WHERE id = $1`, b.userID); err != nil {
		t.Fatal(err)
	}
	var sess struct {
		AccessToken string `json:"access_token"`
		User        struct {
			MustChange bool `json:"must_change_password"`
		} `json:"user"`
	}
	env.DoJSON(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "thuky", "password": "mật-khẩu-đúng"}, http.StatusOK, &sess)
	if !sess.User.MustChange {
		t.Fatal("login answer: must_change_password false for a temporary password")
	}
	var me struct {
		MustChange bool `json:"must_change_password"`
	}
	env.DoJSON(t, "GET", "/api/v1/me", sess.AccessToken, nil, http.StatusOK, &me)
	if !me.MustChange {
		t.Fatal("/me: must_change_password false")
	}
	for _, path := range []string{"/api/v1/meetings", "/api/v1/tasks", "/api/v1/units"} {
		status, body := env.Do(t, "GET", path, sess.AccessToken, nil)
		if status != http.StatusForbidden || errorCode(t, body) != "password_change_required" {
			t.Fatalf("GET %s with a temporary password: %d %s, want 403 password_change_required", path, status, body)
		}
	}
	env.DoJSON(t, "POST", "/api/v1/me/password", sess.AccessToken,
		map[string]string{"old_password": "mật-khẩu-đúng", "new_password": "mật-khẩu-mới-dài"}, http.StatusNoContent, nil)
	access, _ := env.Login(t, "thuky", "mật-khẩu-mới-dài")
	env.DoJSON(t, "GET", "/api/v1/me", access, nil, http.StatusOK, &me)
	if me.MustChange {
		t.Fatal("/me after the change: must_change_password still true")
	}
	if status, body := env.Do(t, "GET", "/api/v1/meetings", access, nil); status != http.StatusOK {
		t.Fatalf("GET /meetings after the change: %d %s", status, body)
	}
}
