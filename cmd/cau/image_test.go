package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/pgtest"
	"github.com/cau-gov/cau/internal/redistest"
)

// TestImageReadyz builds deploy/Dockerfile's runtime image and runs it the
// way a data centre would: read-only root, /tmp on tmpfs, keys and data as
// volumes, user 10001, production configuration; `cau keys` and
// `cau migrate up` in throwaway containers first, then `serve` on the
// host's network against this machine's PostgreSQL and Redis, on free
// ports. It passes when /readyz answers 200 and the image's own health
// check (`cau health`) agrees.
//
// A cold build takes minutes, so `make test` skips it; `make images` runs
// it (CAU_IMAGE_TEST=1) after deploy/local/images.sh has made the base images.
func TestImageReadyz(t *testing.T) {
	if os.Getenv("CAU_IMAGE_TEST") == "" {
		t.Skip("CAU_IMAGE_TEST unset: `make images` builds the image and runs this test")
	}
	engine := os.Getenv("ENGINE")
	if engine == "" {
		engine = "docker"
	}
	if err := exec.Command(engine, "info").Run(); err != nil {
		t.Fatalf("CAU_IMAGE_TEST is set but %s does not answer: %v", engine, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	sh := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		cmd := exec.CommandContext(ctx, engine, args...)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s%s", engine, strings.Join(args, " "), err, out.String(), errOut.String())
		}
		return strings.TrimSpace(out.String())
	}

	image := "cau:imagetest"
	start := time.Now()
	// --target: the legacy builder (no BuildKit) builds every stage up to the
	// one asked for, and runtime comes before converter.
	sh("build", "-q", "-f", "../../deploy/Dockerfile", "--target", "runtime", "--build-arg", "VERSION=imagetest", "-t", image, "../..")
	t.Logf("image built in %s", time.Since(start).Round(time.Second))
	if user := sh("image", "inspect", "-f", "{{.Config.User}}", image); user != "10001:10001" {
		t.Fatalf("image user %q, want 10001:10001", user)
	}

	// Volumes the container's user 10001 may write.
	dir := t.TempDir()
	data, keys := filepath.Join(dir, "data"), filepath.Join(dir, "keys")
	for _, d := range []string{data, keys} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, 10001, 10001); err != nil {
			t.Skipf("cannot give the volume to user 10001 (run as root): %v", err)
		}
	}
	httpPort, mediaPort := freeTCPPort(t), freeTCPPort(t)
	name := fmt.Sprintf("cau-imagetest-%d", os.Getpid())
	base := []string{"--network", "host", "--read-only", "--tmpfs", "/tmp",
		"-v", data + ":/var/lib/cau", "-v", keys + ":/etc/cau/keys",
		"-e", "CAU_ENV=production",
		"-e", "DATABASE_URL=" + pgtest.NewEmptyURL(t),
		"-e", "REDIS_URL=" + redistest.NewURL(t),
		"-e", "CAU_HTTP_ADDR=127.0.0.1:" + httpPort,
		"-e", "CAU_PUBLIC_URL=http://127.0.0.1:" + httpPort,
		"-e", "CAU_RTC_UDP_PORT=" + mediaPort,
		"-e", "CAU_RTC_TCP_PORT=" + mediaPort,
		"-e", "CAU_LOGIN_HASH_SLOTS=1",
	}
	run := func(args ...string) string {
		t.Helper()
		return sh(append(append([]string{"run", "--rm"}, base...), append([]string{image}, args...)...)...)
	}
	if out := run("keys"); strings.Count(out, "created ") != 3 {
		t.Fatalf("cau keys in the image: %q; want three files created", out)
	}
	if out := run("migrate", "up"); !strings.Contains(out, "applied") {
		t.Fatalf("cau migrate up in the image: %q", out)
	}
	sh(append(append([]string{"run", "-d", "--name", name}, base...), image, "serve")...)
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := exec.Command(engine, "logs", "--tail", "40", name).CombinedOutput()
			t.Logf("container log:\n%s", logs)
		}
		_ = exec.Command(engine, "rm", "-f", name).Run()
	})

	url := "http://127.0.0.1:" + httpPort + "/readyz"
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer 200 within 60s: last %v", url, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("ready %s after start", time.Since(start).Round(time.Second))
	if out := sh("exec", name, "cau", "health"); !strings.HasPrefix(out, "ok ") {
		t.Fatalf("cau health inside the container: %q", out)
	}
}

// freeTCPPort returns a port free on loopback now (the container binds it
// moments later; on a shared machine a clash is possible but rare).
func freeTCPPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}
