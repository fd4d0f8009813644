package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/keys"
	"github.com/cau-gov/cau/internal/loadtest"
	"github.com/cau-gov/cau/internal/roomtoken"
)

// fanoutArgs are the flags of `cau loadtest --fanout`.
type fanoutArgs struct {
	url      string
	players  int
	duration time.Duration
	pid      int
	json     string
	pion     bool
	livekit  string // LiveKit's key file
	room     string
	name     string
	args     []string
}

// runFanout runs the fan-out scenario against a running server: Cầu's
// (tokens minted with CAU_ROOM_KEY_FILE), with --pion the baseline, with
// --livekit a LiveKit server (tokens signed with its key file).
func runFanout(ctx context.Context, a fanoutArgs, stdout, stderr io.Writer) error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400) // as for the halls: the generator's GC is not what the delays should show
	}
	if a.players < 1 || a.players > 1000 || a.duration < time.Second || a.duration > time.Hour {
		return usageError{"loadtest: --fanout 1–1000 and --duration 1s–1h"}
	}
	if a.pion && a.livekit != "" {
		return usageError{"loadtest: --pion or --livekit, not both"}
	}
	o := loadtest.FanoutOptions{URL: a.url, Players: a.players, Duration: a.duration, ServerPID: a.pid, Server: "cau", Room: a.room}
	if o.Room == "" {
		o.Room = fmt.Sprintf("fanout-%d", time.Now().Unix())
	}
	switch {
	case a.pion:
		o.Server, o.Room = "pion", ""
	case a.livekit != "":
		k, err := loadtest.ReadLiveKitKeys(a.livekit)
		if err != nil {
			return err
		}
		o.Server, o.LiveKit = "livekit", k
	default:
		cfg, _, err := loadConfig(stderr)
		if err != nil {
			return err
		}
		priv, err := keys.LoadEd25519(cfg.Tokens.RoomKeyFile, false)
		if err != nil {
			return fmt.Errorf("CAU_ROOM_KEY_FILE (the server's room key): %w", err)
		}
		o.Signer = roomtoken.NewSigner(priv)
	}
	if a.name != "" {
		o.Server = a.name
	}
	rep, err := loadtest.RunFanout(ctx, o)
	if err != nil {
		return err
	}
	rep.Command = "cau loadtest " + strings.Join(a.args, " ")
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if a.json != "" {
		return rep.WriteJSON(a.json)
	}
	return nil
}

// servePionFanout serves loadtest.PionFanout until ctx ends.
func servePionFanout(ctx context.Context, httpAddr, udpAddr string, stderr io.Writer) error {
	host, _, err := net.SplitHostPort(httpAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return usageError{"loadtest: --serve-pion takes a loopback address (127.0.0.1:port)"}
	}
	f, err := loadtest.NewPionFanout(udpAddr, nil)
	if err != nil {
		return err
	}
	defer f.Close()
	ln, err := net.Listen("tcp", httpAddr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(stderr, "pion fan-out serving WHIP/WHEP on http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
