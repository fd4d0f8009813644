package app_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/roomtoken"
	"github.com/cau-gov/cau/sfu/sfuclient"
	"github.com/golang-jwt/jwt/v5"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
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

// TestWHIPAndWHEPThroughTheServer publishes an encoder over WHIP and plays
// the floor over WHEP through the whole server, with real room tokens; an
// expired token, a token of another room and one without the permission
// are refused and leave nobody behind.
func TestWHIPAndWHEPThroughTheServer(t *testing.T) {
	env := apptest.New(t)
	signer := roomtoken.NewSigner(env.App.RoomKey)
	sign := func(room, id string, perms ...string) string {
		tok, err := signer.Sign(roomtoken.Claims{Room: room, Identity: id, Name: "Điểm cầu " + id, Kind: "hall", Perms: perms}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const room = "loadtest-whip"
	enc, err := sfuclient.PublishWHIP(ctx, env.URL+"/whip/"+room, sign(room, "hall-1", roomtoken.PermPublish), sfuclient.Options{},
		sfuclient.WHIPPublication{VideoMime: webrtc.MimeTypeVP8, RIDs: []string{"q", "h", "f"}, Audio: true})
	if err != nil {
		t.Fatalf("WHIP through the server: %v", err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sfuclient.SendVideo(sctx, enc.Video, sfuclient.VideoSpec{Bitrates: []int{150_000, 500_000, 1_500_000}})
	}()
	defer func() { stop(); <-done }()
	if err := env.App.SFU.PinFloor(room, "hall-1"); err != nil {
		t.Fatalf("the encoder is not in the room: %v", err)
	}

	frames := make(chan struct{}, 1)
	viewer, err := sfuclient.PlayWHEP(ctx, env.URL+"/whep/"+room, sign(room, "lobby", roomtoken.PermSubscribe),
		sfuclient.Options{OnTrack: keyFrames(frames)}, 1)
	if err != nil {
		t.Fatalf("WHEP through the server: %v", err)
	}
	select {
	case <-frames:
	case <-ctx.Done():
		t.Fatal("the lobby screen never got a key frame of the floor")
	}

	env.User(t, env.Unit(t, 0, "province", "lam-dong", "UBND tỉnh Lâm Đồng"), "vanthu", "mật-khẩu-đủ-dài")
	access, _ := env.Login(t, "vanthu", "mật-khẩu-đủ-dài")
	expired, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, roomtoken.Claims{Room: room, Identity: "hall-3", Perms: []string{roomtoken.PermPublish},
		RegisteredClaims: jwt.RegisteredClaims{Issuer: roomtoken.Issuer, Audience: jwt.ClaimStrings{roomtoken.Audience},
			IssuedAt: jwt.NewNumericDate(time.Now().Add(-2 * time.Hour)), ExpiresAt: jwt.NewNumericDate(time.Now().Add(-time.Hour))}}).SignedString(env.App.RoomKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		url, token string
		status     int
	}{
		"expired":         {"/whip", expired, http.StatusUnauthorized},
		"other room":      {"/whip/" + room, sign("meeting-999", "hall-3", roomtoken.PermPublish), http.StatusForbidden},
		"no publish":      {"/whip", sign(room, "hall-3", roomtoken.PermSubscribe), http.StatusForbidden},
		"an access token": {"/whip", access, http.StatusUnauthorized},
	} {
		_, err := sfuclient.PublishWHIP(ctx, env.URL+c.url, c.token, sfuclient.Options{}, sfuclient.WHIPPublication{Audio: true})
		var he *sfuclient.HTTPError
		if !errors.As(err, &he) || he.Status != c.status {
			t.Errorf("%s: %v, want HTTP %d", name, err, c.status)
		}
	}
	if _, ok := env.App.SFU.Participant(room, "hall-3"); ok {
		t.Error("a refused encoder joined the room")
	}
	if err := viewer.Close(ctx); err != nil {
		t.Errorf("WHEP DELETE: %v", err)
	}
	if err := enc.Close(ctx); err != nil {
		t.Errorf("WHIP DELETE: %v", err)
	}
	if _, ok := env.App.SFU.Participant(room, "hall-1"); ok {
		t.Error("the encoder is still in the room after DELETE")
	}
}

// keyFrames is an OnTrack that reads every track and signals frames,
// without waiting, at each key frame of a synthetic video.
func keyFrames(frames chan<- struct{}) func(*webrtc.TrackRemote, *webrtc.RTPReceiver) {
	return func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		go sfuclient.ReadPackets(tr, func(p *rtp.Packet) {
			if f, ok := sfuclient.ParseSynthetic(p.Payload); ok && f.Keyframe && tr.Kind() == webrtc.RTPCodecTypeVideo {
				select {
				case frames <- struct{}{}:
				default:
				}
			}
		})
	}
}
