package app_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/roomtoken"
	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// startCoturn runs coturn's turnserver on a free loopback port with the
// TURN REST shared secret, relaying between loopback addresses only, and
// returns its address.
func startCoturn(t *testing.T, secret string) string {
	t.Helper()
	bin, err := exec.LookPath("turnserver")
	if err != nil {
		t.Skip("turnserver not installed (deploy/local/coturn.sh, run by make test, installs coturn)")
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	// Relay ports from a small range next to it, away from the kernel's
	// ephemeral range where other tests' sockets live.
	relayLo := 20000 + (port%2000)*10
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
		fmt.Sprintf("--listening-port=%d", port), fmt.Sprintf("--min-port=%d", relayLo), fmt.Sprintf("--max-port=%d", relayLo+9),
		"--use-auth-secret", "--static-auth-secret="+secret, "--realm=cau.test", "--allow-loopback-peers",
		"--no-cli", "--no-tls", "--no-dtls", "--no-tcp", "--no-tcp-relay", "--fingerprint",
		"--db="+filepath.Join(dir, "turndb"), "--pidfile="+filepath.Join(dir, "turn.pid"), "--log-file=stdout", "--simple-log")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start turnserver: %v", err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		once := false
		for sc.Scan() {
			line := sc.Text()
			if !once && strings.Contains(line, "Total General servers") {
				close(ready)
				once = true
			}
			if testing.Verbose() {
				t.Log("turnserver: " + line)
			}
		}
	}()
	t.Cleanup(func() { cancel(); cmd.Wait() })
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("turnserver did not start within 10 s")
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// allocate asks the TURN server for a relay with a credential.
func allocate(addr, user, pass string) error {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer conn.Close()
	c, err := turn.NewClient(&turn.ClientConfig{STUNServerAddr: addr, TURNServerAddr: addr, Username: user, Password: pass,
		Realm: "cau.test", Conn: conn, RTO: 200 * time.Millisecond})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		return err
	}
	relay, err := c.Allocate()
	if err != nil {
		return err
	}
	return relay.Close()
}

// A hall whose network lets only TURN through gets the floor's picture
// relayed by coturn, with the credentials the SFU minted for it at join;
// an expired or forged credential is refused by coturn.
func TestTURNRelayWithMintedCredentials(t *testing.T) {
	const secret = "turn-shared-secret-for-the-test"
	addr := startCoturn(t, secret)
	if u, p := sfu.TURNCredential(secret, "probe", time.Now().Add(time.Minute)); allocate(addr, u, p) != nil {
		t.Fatalf("coturn refused a fresh credential: %v", allocate(addr, u, p))
	}
	if err := allocate(addr, "4102444800:probe", "wrong"); err == nil {
		t.Fatal("coturn allocated with a forged password")
	}
	user, pass := sfu.TURNCredential(secret, "hall-9", time.Now().Add(-time.Minute))
	if err := allocate(addr, user, pass); err == nil {
		t.Fatal("coturn allocated with an expired credential")
	}

	env := apptest.New(t, func(c *config.Config) {
		c.TURN = config.TURN{Secret: secret}
		c.RTC.ICEServers = []sfu.ICEServer{c.TURN.Server("turn:" + addr + "?transport=udp")}
		c.RTC.TURNCredentialTTL = time.Hour
	})
	signer := roomtoken.NewSigner(env.App.RoomKey)
	sign := func(id string, perms ...string) string {
		tok, err := signer.Sign(roomtoken.Claims{Room: "meeting-turn", Identity: id, Name: "Điểm cầu " + id, Kind: "hall", Perms: perms}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(env.URL, "http") + "/rtc"

	pub, err := sfuclient.Dial(ctx, sfuclient.Options{URL: wsURL, Token: sign("hall-1", roomtoken.PermPublish, roomtoken.PermSubscribe)})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	video, err := pub.PublishVideo(ctx, sfu.SourceCamera, webrtc.MimeTypeVP8, "q", "h", "f")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		sfuclient.SendVideo(sctx, video, sfuclient.VideoSpec{Bitrates: []int{150_000, 500_000, 1_500_000}})
	}()
	defer func() { stop(); <-sent }()
	if err := env.App.SFU.PinFloor("meeting-turn", "hall-1"); err != nil {
		t.Fatal(err)
	}

	frames := make(chan struct{}, 1)
	viewer, err := sfuclient.Dial(ctx, sfuclient.Options{URL: wsURL, Token: sign("hall-2", roomtoken.PermSubscribe), RelayOnly: true,
		OnTrack: keyFrames(frames)})
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	servers := viewer.Joined().ICEServers
	if len(servers) != 1 || !strings.HasSuffix(servers[0].Username, ":hall-2") || servers[0].Credential == "" || servers[0].Credential == secret {
		t.Fatalf("joined message ICE servers: %+v", servers)
	}
	var expiry int64
	fmt.Sscanf(servers[0].Username, "%d:", &expiry)
	if d := time.Until(time.Unix(expiry, 0)); d < 59*time.Minute || d > time.Hour+time.Minute {
		t.Errorf("credential valid for %v, want CAU_TURN_CREDENTIAL_TTL (1h)", d)
	}
	if err := viewer.Subscribe("floor", sfu.QualityHigh); err != nil {
		t.Fatal(err)
	}
	select {
	case <-frames:
	case <-ctx.Done():
		t.Fatal("the relay-only hall never got a key frame of the floor")
	}
	pair, err := viewer.DownConnection().GetReceivers()[0].Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Local.Typ != webrtc.ICECandidateTypeRelay {
		t.Fatalf("selected pair %v (%v): want a relay candidate", pair, err)
	}
}
