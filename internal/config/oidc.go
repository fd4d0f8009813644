package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// OIDC link fields: the Cầu account field the chosen claim is matched to.
const (
	LinkUsername   = "username"
	LinkEmail      = "email"
	LinkPersonalID = "personal_id"
)

// OIDC is single sign-on through the province's OpenID Connect provider
// (internal/sso). It is off while Issuer is empty.
type OIDC struct {
	// Issuer is CAU_OIDC_ISSUER, the provider's issuer URL (its discovery
	// document is Issuer + "/.well-known/openid-configuration"). Empty: no SSO.
	Issuer string
	// ClientID and ClientSecret are CAU_OIDC_CLIENT_ID and
	// CAU_OIDC_CLIENT_SECRET, Cầu's registration at the provider. The
	// secret may be empty for a public client (PKCE is always used).
	ClientID, ClientSecret string
	// RedirectURL is CAU_OIDC_REDIRECT_URL, registered at the provider.
	// Default CAU_PUBLIC_URL + "/api/v1/auth/oidc/callback".
	RedirectURL string
	// LinkClaim is CAU_OIDC_LINK_CLAIM, the ID token (or UserInfo) claim
	// that names the Cầu account. Default "preferred_username".
	LinkClaim string
	// LinkField is CAU_OIDC_LINK_FIELD, the account field the claim must
	// equal: username (default), email or personal_id. A provider subject
	// whose claim matches no active account is refused; nothing is created.
	LinkField string
	// Scopes is CAU_OIDC_SCOPES, comma-separated scopes asked for besides
	// openid. Default "profile,email".
	Scopes []string
	// LocalPasswords is CAU_LOCAL_PASSWORDS: on (default) keeps the
	// username/password login; off leaves SSO the only way in (refused
	// unless CAU_OIDC_ISSUER is set).
	LocalPasswords bool
	// LoginTTL is CAU_OIDC_LOGIN_TTL: how long a started SSO login may take
	// at the provider before its state expires. Default 10m.
	LoginTTL time.Duration
}

// Enabled reports whether SSO is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

func defaultOIDC() OIDC {
	return OIDC{LinkClaim: "preferred_username", LinkField: LinkUsername, Scopes: []string{"profile", "email"},
		LocalPasswords: true, LoginTTL: 10 * time.Minute}
}

// loadOIDC reads the CAU_OIDC_* variables over o; publicURL gives the
// default redirect.
func loadOIDC(getenv func(string) string, o *OIDC, publicURL string) []error {
	var errs []error
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	set := func(name string, dst *string) {
		if v := get(name); v != "" {
			*dst = v
		}
	}
	set("CAU_OIDC_ISSUER", &o.Issuer)
	set("CAU_OIDC_CLIENT_ID", &o.ClientID)
	o.ClientSecret = getenv("CAU_OIDC_CLIENT_SECRET")
	set("CAU_OIDC_REDIRECT_URL", &o.RedirectURL)
	set("CAU_OIDC_LINK_CLAIM", &o.LinkClaim)
	set("CAU_OIDC_LINK_FIELD", &o.LinkField)
	if v := get("CAU_OIDC_SCOPES"); v != "" {
		o.Scopes = nil
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
			if s != "openid" {
				o.Scopes = append(o.Scopes, s)
			}
		}
	}
	switch v := strings.ToLower(get("CAU_LOCAL_PASSWORDS")); v {
	case "":
	case "on", "true", "1", "yes":
		o.LocalPasswords = true
	case "off", "false", "0", "no":
		o.LocalPasswords = false
	default:
		errs = append(errs, fmt.Errorf("CAU_LOCAL_PASSWORDS: %q is not on or off", v))
	}
	if v := get("CAU_OIDC_LOGIN_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("CAU_OIDC_LOGIN_TTL: %q is not a duration like 10m", v))
		}
		o.LoginTTL = d
	}
	if o.RedirectURL == "" && o.Issuer != "" {
		o.RedirectURL = strings.TrimRight(publicURL, "/") + "/api/v1/auth/oidc/callback"
	}
	return errs
}

// validate names the variable of each bad OIDC setting.
func (o OIDC) validate(production bool) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !o.LocalPasswords && !o.Enabled() {
		bad("CAU_LOCAL_PASSWORDS: off needs CAU_OIDC_ISSUER (nobody could sign in)")
	}
	if o.LoginTTL < time.Minute || o.LoginTTL > time.Hour {
		bad("CAU_OIDC_LOGIN_TTL: %s is not 1m–1h", o.LoginTTL)
	}
	switch o.LinkField {
	case LinkUsername, LinkEmail, LinkPersonalID:
	default:
		bad("CAU_OIDC_LINK_FIELD: %q must be username, email or personal_id", o.LinkField)
	}
	if o.LinkClaim == "" {
		bad("CAU_OIDC_LINK_CLAIM: must not be empty")
	}
	if !o.Enabled() {
		return errs
	}
	if u, err := url.Parse(o.Issuer); err != nil || u.Host == "" || (u.Scheme != "https" && (production || u.Scheme != "http")) {
		bad("CAU_OIDC_ISSUER: %q is not an https URL (http only outside production)", o.Issuer)
	}
	if o.ClientID == "" {
		bad("CAU_OIDC_CLIENT_ID: required with CAU_OIDC_ISSUER")
	}
	if u, err := url.Parse(o.RedirectURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		bad("CAU_OIDC_REDIRECT_URL: %q is not an http(s) URL", o.RedirectURL)
	}
	return errs
}
