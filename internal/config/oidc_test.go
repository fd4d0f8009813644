package config

import (
	"strings"
	"testing"
)

func TestOIDC(t *testing.T) {
	base := map[string]string{"CAU_OIDC_ISSUER": "https://sso.lamdong.gov.vn/realms/lamdong", "CAU_OIDC_CLIENT_ID": "cau",
		"CAU_PUBLIC_URL": "https://cau.lamdong.gov.vn"}
	with := func(kv ...string) func(string) string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c, err := Load(with("CAU_OIDC_SCOPES", "openid, profile email", "CAU_LOCAL_PASSWORDS", "off"))
	if err != nil {
		t.Fatal(err)
	}
	o := c.OIDC
	if !o.Enabled() || o.LocalPasswords || o.RedirectURL != "https://cau.lamdong.gov.vn/api/v1/auth/oidc/callback" ||
		strings.Join(o.Scopes, ",") != "profile,email" || o.LinkClaim != "preferred_username" || o.LinkField != LinkUsername {
		t.Fatalf("loaded %+v", o)
	}
	if d, err := Load(func(string) string { return "" }); err != nil || d.OIDC.Enabled() || !d.OIDC.LocalPasswords {
		t.Fatalf("defaults: %+v %v", d.OIDC, err)
	}
	for _, tc := range []struct {
		getenv func(string) string
		want   string
	}{
		{func(k string) string { return map[string]string{"CAU_LOCAL_PASSWORDS": "off"}[k] }, "CAU_LOCAL_PASSWORDS"},
		{with("CAU_LOCAL_PASSWORDS", "maybe"), "CAU_LOCAL_PASSWORDS"},
		{with("CAU_OIDC_CLIENT_ID", ""), "CAU_OIDC_CLIENT_ID"},
		{with("CAU_OIDC_LINK_FIELD", "phone"), "CAU_OIDC_LINK_FIELD"},
		{with("CAU_OIDC_ISSUER", "sso.lamdong.gov.vn"), "CAU_OIDC_ISSUER"},
		{with("CAU_OIDC_REDIRECT_URL", "ftp://x/cb"), "CAU_OIDC_REDIRECT_URL"},
		{with("CAU_OIDC_LOGIN_TTL", "5s"), "CAU_OIDC_LOGIN_TTL"},
		{with("CAU_OIDC_ISSUER", "http://sso.lamdong.gov.vn", "CAU_ENV", "production"), "CAU_OIDC_ISSUER"},
	} {
		if _, err := Load(tc.getenv); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one naming %s", err, tc.want)
		}
	}
}
