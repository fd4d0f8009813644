package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestReadLiveKitKeys(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       *LiveKitKeys // nil: an error
	}{
		{"pair", "APIabc: s3cret\n", &LiveKitKeys{Key: "APIabc", Secret: "s3cret"}},
		{"comments and blanks first", "# keys\n\n  k1 :  v1  \nk2: v2\n", &LiveKitKeys{Key: "k1", Secret: "v1"}},
		{"no colon", "APIabc s3cret\n", nil},
		{"no secret", "APIabc:\n", nil},
		{"empty", "\n# nothing\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keys.yaml")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := ReadLiveKitKeys(path)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("read %+v from %q, want an error", got, tc.file)
				}
				return
			}
			if err != nil || *got != *tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	if _, err := ReadLiveKitKeys(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing file read without error")
	}
}

// The publisher gets a token that may publish; a player one that may
// subscribe, and the header naming the publisher's two WHIP tracks.
func TestLiveKitEndpoints(t *testing.T) {
	k := &LiveKitKeys{Key: "APIkey", Secret: "0123456789abcdef0123456789abcdef"}
	grant := func(tok string) (string, map[string]any) {
		t.Helper()
		claims := jwt.MapClaims{}
		if _, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return []byte(k.Secret), nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer("APIkey")); err != nil {
			t.Fatal(err)
		}
		sub, _ := claims["sub"].(string)
		video, _ := claims["video"].(map[string]any)
		return sub, video
	}
	pub, err := k.endpoint("http://127.0.0.1:1", "room-a", -1)
	if err != nil {
		t.Fatal(err)
	}
	sub, video := grant(pub.Token)
	if pub.URL != "http://127.0.0.1:1/whip/v1" || pub.Header != nil || sub != fanoutPublisherID ||
		video["room"] != "room-a" || video["roomJoin"] != true || video["canPublish"] != true || video["canSubscribe"] != false {
		t.Errorf("publisher: %+v, sub %q, grant %v", pub, sub, video)
	}
	pl, err := k.endpoint("http://127.0.0.1:1", "room-a", 7)
	if err != nil {
		t.Fatal(err)
	}
	sub, video = grant(pl.Token)
	if pl.URL != "http://127.0.0.1:1/whip/v1" || sub != "fanout-player-7" || video["canPublish"] != false || video["canSubscribe"] != true {
		t.Errorf("player: %+v, sub %q, grant %v", pl, sub, video)
	}
	var info struct {
		Tracks map[string][]string `json:"subscribedParticipantTrackNames"`
	}
	if err := json.Unmarshal([]byte(pl.Header.Get("X-LiveKit-ClientInfo")), &info); err != nil ||
		strings.Join(info.Tracks[fanoutPublisherID], ",") != "synthesized-camera,synthesized-microphone" {
		t.Errorf("player's client info %q (%v)", pl.Header.Get("X-LiveKit-ClientInfo"), err)
	}
}

// The fan-out against a real LiveKit server on loopback, when
// deploy/local/livekit.sh has built one (CAU_LIVEKIT_BIN names another):
// the publisher and the one-shot subscribers work as the bench uses them.
func TestFanoutAgainstLiveKit(t *testing.T) {
	bin := os.Getenv("CAU_LIVEKIT_BIN")
	if bin == "" {
		bin = "../../var/livekit/livekit-server-v1.13.5"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("no LiveKit server (%v): deploy/local/livekit.sh builds it", err)
	}
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.yaml")
	if err := os.WriteFile(keys, []byte("APItest: 0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	httpPort, udpPort := freeTCPPort(t), freeUDPPort(t)
	cfg := fmt.Sprintf("port: %d\nbind_addresses: [127.0.0.1]\nrtc:\n  udp_port: %d\n  tcp_port: 0\n  use_external_ip: false\n"+
		"  node_ip: 127.0.0.1\n  enable_loopback_candidate: true\n  ips:\n    includes: [127.0.0.1/32]\n  stun_servers: []\n"+
		"turn:\n  enabled: false\nkey_file: %s\nlogging:\n  level: error\n", httpPort, udpPort, keys)
	if err := os.WriteFile(filepath.Join(dir, "livekit.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--config", filepath.Join(dir, "livekit.yaml"))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	url := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	for {
		resp, err := http.Get(url + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("LiveKit did not answer on %s: %v", url, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	k, err := ReadLiveKitKeys(keys)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := RunFanout(ctx, FanoutOptions{URL: url, Room: "fanout-test", Players: 2, Duration: time.Second,
		ServerPID: cmd.Process.Pid, LiveKit: k, Server: "livekit"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Connected != 2 || rep.PacketsOut < 2*150 || rep.DelayP50 <= 0 || rep.ServerCores <= 0 {
		t.Errorf("want 2 players with video and audio, about 400 packets/s, delays and the server's CPU: %+v", rep)
	}
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}
