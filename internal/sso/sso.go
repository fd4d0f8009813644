// Package sso signs users in through the province's OpenID Connect
// provider: the authorization code flow with PKCE (RFC 7636), the ID token
// checked by github.com/coreos/go-oidc (signature against the provider's
// JWKS, issuer, audience, expiry) and its nonce checked here.
//
// Nothing about a login is trusted to the browser: the state, nonce and
// PKCE verifier are stored server-side (Store), live CAU_OIDC_LOGIN_TTL and
// are taken once; the state is also bound to the starting browser by a
// cookie value, so a callback URL carried to another browser (login CSRF)
// is refused. The provider's user is linked to an existing Cầu account by
// one claim the administrator chooses (config.OIDC LinkClaim/LinkField);
// accounts and roles are never created from the provider's word. Each
// sign-in and each refusal writes an audit row.
package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/fault"
)

// Pending is a login started at the provider and not yet back.
type Pending struct {
	StateHash   []byte // SHA-256 of the state sent to the provider
	BrowserHash []byte // SHA-256 of the value in the starting browser's cookie
	Nonce       string
	Verifier    string // the PKCE code verifier
	ReturnTo    string // the client path the user wanted
	ExpiresAt   time.Time
}

// Session is the provider's side of one sign-in, kept for logout.
type Session struct {
	RefreshHash []byte // finds the sign-in's refresh family
	UserID      auth.UserID
	Subject     string
	IDToken     string
	ExpiresAt   time.Time
}

// Store is what single sign-on needs from storage (internal/store).
type Store interface {
	// SaveSSOLogin stores a pending login (and drops expired ones).
	SaveSSOLogin(ctx context.Context, p Pending, now time.Time) error
	// TakeSSOLogin removes and returns the pending login with stateHash;
	// a missing or expired one is a fault.NotFound.
	TakeSSOLogin(ctx context.Context, stateHash []byte, now time.Time) (Pending, error)
	// AccountsByLink lists the accounts whose field (config.LinkUsername,
	// LinkEmail, LinkPersonalID) equals value (e-mail case-insensitively).
	AccountsByLink(ctx context.Context, field, value string) ([]auth.Account, error)
	// SaveSSOSession records the provider session of the refresh family of
	// s.RefreshHash (and drops expired ones).
	SaveSSOSession(ctx context.Context, s Session, now time.Time) error
	// SSOSessionIDToken is the ID token of the sign-in whose refresh family
	// holds refreshHash; fault.NotFound when it was not an SSO sign-in.
	SSOSessionIDToken(ctx context.Context, refreshHash []byte) (string, error)
	Audit(ctx context.Context, e audit.Entry, at time.Time) error
}

// SignInner begins a Cầu sign-in for an account (auth.Service).
type SignInner interface {
	SignInExternal(ctx context.Context, acct auth.Account, ip, userAgent string, detail map[string]any) (auth.SignIn, error)
}

// Options are the service's collaborators besides the configuration.
type Options struct {
	Store  Store
	Auth   SignInner
	Logger *slog.Logger
	// HTTPClient talks to the provider (default: 10 s timeout).
	HTTPClient *http.Client
	// SessionTTL bounds how long a provider session is kept for logout
	// (the refresh family's lifetime, CAU_REFRESH_TTL).
	SessionTTL time.Duration
	Now        func() time.Time
}

// Service is the relying party. The provider's discovery document is read
// on first use and kept; until it is read, logins answer ErrProvider and
// the next attempt tries again (a provider down at start does not stop Cầu).
type Service struct {
	cfg  config.OIDC
	opt  Options
	mu   sync.Mutex
	prov *provider
}

type provider struct {
	p          *oidc.Provider
	verifier   *oidc.IDTokenVerifier
	oauth      oauth2.Config
	endSession string // end_session_endpoint, "" when the provider has none
}

// New builds the service; it contacts nobody yet.
func New(cfg config.OIDC, opt Options) *Service {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.SessionTTL <= 0 {
		opt.SessionTTL = 30 * 24 * time.Hour
	}
	return &Service{cfg: cfg, opt: opt}
}

// LocalPasswords reports whether username/password logins are allowed.
func (s *Service) LocalPasswords() bool { return s.cfg.LocalPasswords }

func (s *Service) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, s.opt.HTTPClient)
}

// provider reads the discovery document once.
func (s *Service) provider(ctx context.Context) (*provider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prov != nil {
		return s.prov, nil
	}
	p, err := oidc.NewProvider(s.ctx(ctx), s.cfg.Issuer)
	if err != nil {
		s.opt.Logger.Warn("oidc discovery failed", "issuer", s.cfg.Issuer, "error", err)
		return nil, fmt.Errorf("%w: discovery: %v", ErrProvider, err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = p.Claims(&meta)
	s.prov = &provider{
		p:        p,
		verifier: p.Verifier(&oidc.Config{ClientID: s.cfg.ClientID, Now: s.opt.Now}),
		oauth: oauth2.Config{ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret, Endpoint: p.Endpoint(),
			RedirectURL: s.cfg.RedirectURL, Scopes: append([]string{oidc.ScopeOpenID}, s.cfg.Scopes...)},
		endSession: meta.EndSession,
	}
	return s.prov, nil
}

// Start is a login begun: where to send the browser, and the value to put
// in its cookie (handed back to Finish).
type Start struct {
	AuthURL string
	Browser string
}

// Begin starts a login that will come back to returnTo (a client path;
// anything else becomes "/").
func (s *Service) Begin(ctx context.Context, returnTo string) (Start, error) {
	prov, err := s.provider(ctx)
	if err != nil {
		return Start{}, err
	}
	state, browser, nonce := randomString(), randomString(), randomString()
	verifier := oauth2.GenerateVerifier()
	now := s.opt.Now()
	p := Pending{StateHash: digest(state), BrowserHash: digest(browser), Nonce: nonce, Verifier: verifier,
		ReturnTo: SafeReturn(returnTo), ExpiresAt: now.Add(s.cfg.LoginTTL)}
	if err := s.opt.Store.SaveSSOLogin(ctx, p, now); err != nil {
		return Start{}, fmt.Errorf("begin sso login: %w", err)
	}
	u := prov.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	return Start{AuthURL: u, Browser: browser}, nil
}

// Callback is what came back from the provider to the redirect URL.
type Callback struct {
	State, Code             string
	Error, ErrorDescription string // the provider's error answer, if any
	Browser                 string // the cookie value Begin gave
	IP, UserAgent           string
}

// Result is a finished login.
type Result struct {
	SignIn   auth.SignIn
	ReturnTo string
}

// Finish completes a login. Every refusal is one of this package's errors
// (or auth.ErrInactive), audited, and creates nothing.
func (s *Service) Finish(ctx context.Context, in Callback) (Result, error) {
	r := refusal{s: s, ip: in.IP}
	if in.State == "" || in.Browser == "" {
		return Result{}, r.refuse(ctx, ErrBadState, "missing state or browser cookie")
	}
	now := s.opt.Now()
	p, err := s.opt.Store.TakeSSOLogin(ctx, digest(in.State), now)
	if fault.Is(err, fault.NotFound) {
		return Result{}, r.refuse(ctx, ErrBadState, "unknown, used or expired state")
	}
	if err != nil {
		return Result{}, fmt.Errorf("finish sso login: %w", err)
	}
	if subtle.ConstantTimeCompare(p.BrowserHash, digest(in.Browser)) != 1 {
		return Result{}, r.refuse(ctx, ErrBadState, "state started in another browser")
	}
	if in.Error != "" {
		return Result{}, r.refuse(ctx, ErrDenied, truncate(in.Error+": "+in.ErrorDescription, 300))
	}
	if in.Code == "" {
		return Result{}, r.refuse(ctx, ErrDenied, "no code")
	}
	prov, err := s.provider(ctx)
	if err != nil {
		return Result{}, err
	}
	tok, err := prov.oauth.Exchange(s.ctx(ctx), in.Code, oauth2.VerifierOption(p.Verifier))
	if err != nil {
		return Result{}, r.refuse(ctx, ErrProvider, "code exchange: "+truncate(err.Error(), 300))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Result{}, r.refuse(ctx, ErrInvalidIDToken, "no id_token in the token answer")
	}
	idt, err := prov.verifier.Verify(s.ctx(ctx), raw)
	if err != nil {
		return Result{}, r.refuse(ctx, ErrInvalidIDToken, truncate(err.Error(), 300))
	}
	r.subject = idt.Subject
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(p.Nonce)) != 1 {
		return Result{}, r.refuse(ctx, ErrBadNonce, "nonce differs from the login's")
	}
	value, err := s.linkValue(ctx, prov, idt, tok)
	if err != nil {
		return Result{}, r.refuse(ctx, err, "")
	}
	r.link = value
	accts, err := s.opt.Store.AccountsByLink(ctx, s.cfg.LinkField, value)
	if err != nil {
		return Result{}, fmt.Errorf("finish sso login: %w", err)
	}
	switch {
	case len(accts) == 0:
		return Result{}, r.refuse(ctx, ErrUnknownAccount, "")
	case len(accts) > 1:
		return Result{}, r.refuse(ctx, ErrAmbiguousAccount, fmt.Sprintf("%d accounts", len(accts)))
	}
	acct := accts[0]
	r.account = &acct
	if !acct.Active {
		return Result{}, r.refuse(ctx, auth.ErrInactive, "")
	}
	signed, err := s.opt.Auth.SignInExternal(ctx, acct, in.IP, in.UserAgent, s.detail(idt.Subject, value, ""))
	if err != nil {
		return Result{}, fmt.Errorf("finish sso login: %w", err)
	}
	hash, err := auth.RefreshTokenHash(signed.RefreshToken)
	if err != nil {
		return Result{}, err
	}
	sess := Session{RefreshHash: hash, UserID: acct.ID, Subject: idt.Subject, IDToken: raw, ExpiresAt: now.Add(s.opt.SessionTTL)}
	if err := s.opt.Store.SaveSSOSession(ctx, sess, now); err != nil {
		// The sign-in stands; only logout at the provider is lost.
		s.opt.Logger.Warn("sso session not kept for logout", "user_id", acct.ID, "error", err)
	}
	return Result{SignIn: signed, ReturnTo: p.ReturnTo}, nil
}

// linkValue is the linking claim, from the ID token or else from UserInfo
// (many providers put profile claims only there); UserInfo's subject must
// be the ID token's (OpenID Connect Core 5.3.2).
func (s *Service) linkValue(ctx context.Context, prov *provider, idt *oidc.IDToken, tok *oauth2.Token) (string, error) {
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return "", fmt.Errorf("%w: claims: %v", ErrInvalidIDToken, err)
	}
	if v := claimString(claims, s.cfg.LinkClaim); v != "" {
		return v, nil
	}
	if prov.p.UserInfoEndpoint() == "" {
		return "", ErrNoLinkClaim
	}
	ui, err := prov.p.UserInfo(s.ctx(ctx), oauth2.StaticTokenSource(tok))
	if err != nil {
		return "", fmt.Errorf("%w: userinfo: %v", ErrProvider, err)
	}
	if ui.Subject != idt.Subject {
		return "", fmt.Errorf("%w: userinfo subject differs from the ID token's", ErrInvalidIDToken)
	}
	claims = nil
	if err := ui.Claims(&claims); err != nil {
		return "", fmt.Errorf("%w: userinfo claims: %v", ErrProvider, err)
	}
	if v := claimString(claims, s.cfg.LinkClaim); v != "" {
		return v, nil
	}
	return "", ErrNoLinkClaim
}

// EndSessionURL is where the browser goes to end the provider's session
// after the Cầu sign-in of refreshToken ended: the provider's
// end_session_endpoint with the sign-in's ID token as id_token_hint and
// postLogout as the return address. "" when the sign-in was not through
// SSO or the provider offers no such endpoint.
func (s *Service) EndSessionURL(ctx context.Context, refreshToken, postLogout string) (string, error) {
	hash, err := auth.RefreshTokenHash(refreshToken)
	if err != nil {
		return "", nil // a malformed token is the logout's to refuse
	}
	idToken, err := s.opt.Store.SSOSessionIDToken(ctx, hash)
	if fault.Is(err, fault.NotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sso logout: %w", err)
	}
	prov, err := s.provider(ctx)
	if err != nil || prov.endSession == "" {
		return "", nil // logout in Cầu still happens
	}
	u, err := url.Parse(prov.endSession)
	if err != nil {
		return "", nil
	}
	q := u.Query()
	q.Set("id_token_hint", idToken)
	q.Set("client_id", s.cfg.ClientID)
	if postLogout != "" {
		q.Set("post_logout_redirect_uri", postLogout)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func (s *Service) detail(subject, link, reason string) map[string]any {
	d := map[string]any{"method": "oidc", "issuer": s.cfg.Issuer, "link_claim": s.cfg.LinkClaim}
	if subject != "" {
		d["subject"] = subject
	}
	if link != "" {
		d["link_value"] = link
	}
	if reason != "" {
		d["reason"] = reason
	}
	return d
}

// refusal audits a refused callback with what was known by then.
type refusal struct {
	s                 *Service
	ip, subject, link string
	account           *auth.Account
}

func (r refusal) refuse(ctx context.Context, err error, why string) error {
	code := "refused"
	var f *fault.Error
	if errors.As(err, &f) {
		code = f.Code
	}
	d := r.s.detail(r.subject, r.link, code)
	if why != "" {
		d["why"] = why
	}
	e := audit.Entry{Action: audit.ActionLoginFailed, ObjectType: "user", IP: r.ip, Detail: d, ActorName: r.link}
	if r.account != nil {
		id := int64(r.account.ID)
		e.ActorID, e.ActorName, e.ObjectID = &id, r.account.Username, fmt.Sprint(id)
	}
	if aerr := r.s.opt.Store.Audit(ctx, e, r.s.opt.Now()); aerr != nil {
		return fmt.Errorf("sso refusal (%w): audit: %v", err, aerr)
	}
	r.s.opt.Logger.Info("sso login refused", "reason", code, "why", why, "subject", r.subject, "remote_ip", r.ip)
	if why != "" && !errors.Is(err, ErrBadState) {
		return fmt.Errorf("%w (%s)", err, why)
	}
	return err
}

// SafeReturn keeps a return address only when it is a path of this site:
// "/x" but not "//host" or "/\host" (which browsers read as another host).
func SafeReturn(p string) string {
	if len(p) > 1000 || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsAny(p, "\r\n") {
		return "/"
	}
	return p
}

func claimString(claims map[string]any, name string) string {
	switch v := claims[name].(type) {
	case string:
		return strings.TrimSpace(v)
	case float64:
		return strings.TrimSpace(fmt.Sprintf("%.0f", v))
	}
	return ""
}

// randomString is 256 random bits, base64url.
func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func digest(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
