package ssotest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Forgery is how the Forger shapes its next ID tokens.
type Forgery int

// The forgeries. Honest signs a correct token; each other one breaks one
// thing a relying party must check.
const (
	Honest        Forgery = iota
	WrongAudience         // aud is another client
	Expired               // exp an hour ago
	Unsigned              // alg "none", no signature
	OtherKey              // signed by a key the JWKS does not hold
	WrongNonce            // nonce of another login
	WrongIssuer           // iss is another provider
)

// Forger is a small real provider (discovery, JWKS, authorize, token over
// HTTP) whose authorize endpoint signs in Subject at once and whose ID
// tokens carry Claims and the Forgery set by the test.
type Forger struct {
	Issuer   string
	ClientID string

	mu      sync.Mutex
	forgery Forgery
	claims  map[string]any
	codes   map[string]grant
	key     *rsa.PrivateKey
	other   *rsa.PrivateKey
	srv     *http.Server
}

type grant struct {
	nonce, challenge string
}

// StartForger serves a Forger for clientID on ln until Close.
func StartForger(ln net.Listener, clientID string) (*Forger, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	f := &Forger{Issuer: "http://" + ln.Addr().String(), ClientID: clientID, key: key, other: other,
		codes: map[string]grant{}, claims: map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", f.discovery)
	mux.HandleFunc("GET /jwks", f.jwks)
	mux.HandleFunc("GET /authorize", f.authorize)
	mux.HandleFunc("POST /token", f.token)
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := f.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return f, nil
}

// Close stops the provider.
func (f *Forger) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return f.srv.Shutdown(ctx)
}

// Set makes the next ID tokens carry claims (sub, preferred_username, …)
// shaped by forgery.
func (f *Forger) Set(forgery Forgery, claims map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forgery, f.claims = forgery, claims
}

func (f *Forger) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{
		"issuer": f.Issuer, "authorization_endpoint": f.Issuer + "/authorize", "token_endpoint": f.Issuer + "/token",
		"jwks_uri": f.Issuer + "/jwks", "response_types_supported": []string{"code"},
		"subject_types_supported": []string{"public"},
		// "none" advertised on purpose: a relying party must refuse it anyway.
		"id_token_signing_alg_values_supported": []string{"RS256", "none"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

func (f *Forger) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
}

// authorize signs the user in at once and sends the browser back.
func (f *Forger) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != f.ClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	code := random()
	f.mu.Lock()
	f.codes[code] = grant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge")}
	f.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token redeems a code once, checking the PKCE verifier.
func (f *Forger) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	g, ok := f.codes[r.PostForm.Get("code")]
	delete(f.codes, r.PostForm.Get("code"))
	forgery, claims := f.forgery, f.claims
	f.mu.Unlock()
	if !ok || pkceChallenge(r.PostForm.Get("code_verifier")) != g.challenge {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	now := time.Now()
	c := map[string]any{"iss": f.Issuer, "aud": f.ClientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce}
	for k, v := range claims {
		c[k] = v
	}
	key := f.key
	switch forgery {
	case WrongAudience:
		c["aud"] = "another-client"
	case Expired:
		c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
	case OtherKey:
		key = f.other
	case WrongNonce:
		c["nonce"] = random()
	case WrongIssuer:
		c["iss"] = "http://127.0.0.1:1"
	}
	payload, _ := json.Marshal(c)
	var idToken string
	if forgery == Unsigned {
		idToken = b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(payload) + "."
	} else {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		jws, err := signer.Sign(payload)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		idToken, _ = jws.CompactSerialize()
	}
	writeJSON(w, map[string]any{"access_token": random(), "token_type": "Bearer", "expires_in": 300, "id_token": idToken})
}

func pkceChallenge(verifier string) string {
	if verifier == "" {
		return "-"
	}
	return s256(verifier)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return b64(b)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func s256(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return b64(h[:])
}
