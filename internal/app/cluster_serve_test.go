package app_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/apptest"
)

// cauBinary is `cau` built once for the tests that run it as a process
// (CAU_TEST_BIN names a binary already built).
var cauBinary = sync.OnceValues(func() (string, error) {
	if b := os.Getenv("CAU_TEST_BIN"); b != "" {
		return b, nil
	}
	dir, err := os.MkdirTemp("", "cau-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "cau")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/cau-gov/cau/cmd/cau").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// serveProc is an SFU node run as a `cau serve` process, so that it can
// die by kill -9 as a real node does: no drain, no goodbye on any socket
// beyond what the kernel does for a dead process.
type serveProc struct {
	id, url string
	env     []string
	log     string
	cmd     *exec.Cmd
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServe starts an SFU-only node of the api node's cluster (its
// database, Redis, room and node keys) serving units, with a heartbeat
// of 250 ms and a TTL of 1 s.
func startServe(t *testing.T, api *apptest.Env, id string, units ...int64) *serveProc {
	t.Helper()
	if _, err := cauBinary(); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	var us []string
	for _, u := range units {
		us = append(us, strconv.FormatInt(u, 10))
	}
	c := api.Config
	sp := &serveProc{id: id, url: fmt.Sprintf("http://127.0.0.1:%d", port), log: filepath.Join(t.TempDir(), id+".log")}
	sp.env = append(os.Environ(),
		"CAU_ENV=test", "DATABASE_URL="+c.DatabaseURL, "REDIS_URL="+c.RedisURL,
		fmt.Sprintf("CAU_HTTP_ADDR=127.0.0.1:%d", port), "CAU_PUBLIC_URL="+sp.url, "CAU_DATA_DIR="+t.TempDir(),
		"CAU_RTC_UDP_PORT=0", "CAU_RTC_TCP_PORT=0", "CAU_RTC_IPS=127.0.0.1",
		"CAU_ROOM_KEY_FILE="+c.Tokens.RoomKeyFile, "CAU_ACCESS_KEY_FILE="+c.Tokens.AccessKeyFile, "CAU_NODE_KEY_FILE="+c.Node.KeyFile,
		"CAU_ROLES=sfu", "CAU_NODE_ID="+id, "CAU_NODE_UNITS="+strings.Join(us, ","),
		"CAU_NODE_HEARTBEAT=250ms", "CAU_NODE_TTL=1s", "CAU_LOG_LEVEL=info", "CAU_RUN_WORKER=false")
	sp.start(t)
	t.Cleanup(sp.kill)
	return sp
}

// start (re)starts the process and waits until it is ready and listed.
func (sp *serveProc) start(t *testing.T) {
	t.Helper()
	bin, _ := cauBinary()
	logf, err := os.OpenFile(sp.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	sp.cmd = exec.Command(bin, "serve")
	sp.cmd.Env, sp.cmd.Stdout, sp.cmd.Stderr = sp.env, logf, logf
	if err := sp.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = sp.cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(sp.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(sp.log)
			t.Fatalf("node %s not ready in 60 s: %v\n%s", sp.id, err, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill ends the process with SIGKILL (kill -9).
func (sp *serveProc) kill() {
	if sp.cmd != nil && sp.cmd.Process != nil {
		_ = sp.cmd.Process.Signal(syscall.SIGKILL)
	}
}
