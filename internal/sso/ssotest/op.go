// Package ssotest runs OpenID Connect providers for tests, on loopback
// listeners the caller opens: OP, a complete provider built on
// github.com/zitadel/oidc's op package (discovery, JWKS, authorize with a
// username/password page, token, userinfo, end_session), and Forger, a
// small provider whose ID tokens a test shapes (wrong audience, expired,
// unsigned, other key, other nonce) to check that they are refused. It is
// test code: nothing in production wiring imports it.
package ssotest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// User is an account at the test provider. Username is what the provider
// sends as preferred_username (scope profile); Email with scope email.
type User struct {
	ID, Username, Password, FirstName, LastName, Email string
}

// Client is a confidential web client registered at the provider.
type Client struct {
	ID, Secret     string
	RedirectURIs   []string
	PostLogoutURIs []string
}

// OP is a running provider.
type OP struct {
	Issuer string // http://127.0.0.1:port, no trailing slash
	srv    *http.Server
	store  *opStorage
}

// StartOP serves a provider with users on ln until Close. Clients are
// registered with Register before their first request (the relying
// party's address is often known only once the provider's is).
func StartOP(ln net.Listener, users ...User) (*OP, error) {
	issuer := "http://" + ln.Addr().String()
	us := userStore{}
	for _, u := range users {
		us[u.ID] = &storage.User{ID: u.ID, Username: u.Username, Password: u.Password, FirstName: u.FirstName,
			LastName: u.LastName, Email: u.Email, EmailVerified: u.Email != "", PreferredLanguage: language.Vietnamese}
	}
	st := &opStorage{clients: map[string]*storage.Client{}, postLogout: map[string][]string{}}
	st.Storage = storage.NewStorageWithClients(us, st.clients)
	router := exampleop.SetupServer(issuer, st, nil, false)
	// The login page is a browser's: give it an icon, not a 404.
	router.Get("/favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	o := &OP{Issuer: issuer, store: st, srv: &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := o.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return o, nil
}

// Register adds a client; call it before the client's first request.
func (o *OP) Register(c Client) {
	o.store.mu.Lock()
	defer o.store.mu.Unlock()
	o.store.clients[c.ID] = storage.WebClient(c.ID, c.Secret, c.RedirectURIs...)
	o.store.postLogout[c.ID] = c.PostLogoutURIs
}

// Close stops the provider.
func (o *OP) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return o.srv.Shutdown(ctx)
}

// EndedSessions counts the sessions ended through end_session_endpoint.
func (o *OP) EndedSessions() int {
	o.store.mu.Lock()
	defer o.store.mu.Unlock()
	return o.store.ended
}

// opStorage is the example's in-memory storage with the client's
// post-logout addresses registered and ended sessions counted.
type opStorage struct {
	*storage.Storage
	mu         sync.Mutex
	clients    map[string]*storage.Client // the map the storage reads
	postLogout map[string][]string
	ended      int
}

func (s *opStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return logoutClient{Client: c, postLogout: s.postLogout[id]}, nil
}

func (s *opStorage) TerminateSession(ctx context.Context, userID, clientID string) error {
	s.mu.Lock()
	s.ended++
	s.mu.Unlock()
	return s.Storage.TerminateSession(ctx, userID, clientID)
}

type logoutClient struct {
	op.Client
	postLogout []string
}

func (c logoutClient) PostLogoutRedirectURIs() []string { return c.postLogout }

type userStore map[string]*storage.User

func (u userStore) GetUserByID(id string) *storage.User { return u[id] }
func (u userStore) GetUserByUsername(name string) *storage.User {
	for _, x := range u {
		if strings.EqualFold(x.Username, name) {
			return x
		}
	}
	return nil
}
func (u userStore) ExampleClientID() string { return storage.ServiceUserID }
