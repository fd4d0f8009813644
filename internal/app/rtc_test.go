package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/roomtoken"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// TestSignalingThroughTheServer joins the SFU through the whole server
// (middleware, routes, room token verification) as a hall would.
func TestSignalingThroughTheServer(t *testing.T) {
	env := apptest.New(t)
	signer := roomtoken.NewSigner(env.App.RoomKey)
	tok, err := signer.Sign(roomtoken.Claims{Room: "loadtest-1", Identity: "hall-1", Name: "Điểm cầu thử", Kind: "hall",
		Perms: []string{roomtoken.PermPublish, roomtoken.PermSubscribe}}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	wsURL := "ws" + strings.TrimPrefix(env.URL, "http") + "/rtc"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := sfuclient.Dial(ctx, sfuclient.Options{URL: wsURL, Token: tok})
	if err != nil {
		t.Fatalf("join through the server: %v", err)
	}
	defer c.Close()
	if got := c.Joined().Self.Identity; got != "hall-1" {
		t.Fatalf("joined as %q", got)
	}

	// A token signed by another key, or none, is refused before the upgrade.
	other, _, _ := roomtoken.GenerateKeyPEM()
	priv, _ := roomtoken.ParsePrivateKeyPEM(other)
	forged, _ := roomtoken.NewSigner(priv).Sign(roomtoken.Claims{Room: "loadtest-1", Identity: "hall-2", Perms: []string{"publish"}}, time.Minute)
	for name, token := range map[string]string{"forged": forged, "none": ""} {
		req, _ := http.NewRequest("GET", env.URL+"/rtc", nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := env.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s token: %d, want 401", name, resp.StatusCode)
		}
	}
}
