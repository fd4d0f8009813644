// Command testop runs the test OpenID Connect provider of package ssotest
// (zitadel's OP with an in-memory storage) on a free loopback port for the
// browser tests (web/e2e/lib/oidc.js). It prints "issuer=URL" once it
// listens and serves until SIGTERM. Test code: not part of the cau binary.
//
//	testop -client cau-e2e:secret -redirect URL -post-logout URL -user id:username:password:Given:Family
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/cau-gov/cau/internal/sso/ssotest"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var users list
	client := flag.String("client", "cau-e2e:e2e-secret", "client id:secret")
	redirect := flag.String("redirect", "", "the client's redirect URL")
	postLogout := flag.String("post-logout", "", "the client's post-logout redirect URL")
	flag.Var(&users, "user", "id:username:password:Given:Family (repeatable)")
	flag.Parse()
	if err := run(*client, *redirect, *postLogout, users); err != nil {
		fmt.Fprintln(os.Stderr, "testop:", err)
		os.Exit(1)
	}
}

func run(client, redirect, postLogout string, users []string) error {
	id, secret, ok := strings.Cut(client, ":")
	if !ok || redirect == "" {
		return fmt.Errorf("-client id:secret and -redirect are required")
	}
	var us []ssotest.User
	for _, u := range users {
		p := strings.Split(u, ":")
		if len(p) != 5 {
			return fmt.Errorf("-user %q: want id:username:password:Given:Family", u)
		}
		us = append(us, ssotest.User{ID: p[0], Username: p[1], Password: p[2], FirstName: p[3], LastName: p[4]})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	op, err := ssotest.StartOP(ln, us...)
	if err != nil {
		return err
	}
	c := ssotest.Client{ID: id, Secret: secret, RedirectURIs: []string{redirect}}
	if postLogout != "" {
		c.PostLogoutURIs = []string{postLogout}
	}
	op.Register(c)
	fmt.Printf("issuer=%s\n", op.Issuer)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return op.Close()
}
