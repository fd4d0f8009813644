package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/keys"
	"github.com/cau-gov/cau/internal/loadtest"
	"github.com/cau-gov/cau/internal/roomtoken"
)

type startFlags struct {
	url                         string
	accounts, reconnect, inCall int
	duration                    time.Duration
	pid                         int
	json                        string
	args                        []string
}

// runStartScenario is `cau loadtest --start`: the sign-in, join and
// reconnect storm of a session's start against a server seeded with the
// demo province, and with --in-call the forward delay of halls already in
// a call, quiet and during the storm.
func runStartScenario(ctx context.Context, f startFlags, stdout, stderr io.Writer) error {
	if f.accounts < 1 || f.accounts > 10000 || f.reconnect < 0 || f.inCall < 0 || f.inCall > 1000 {
		return usageError{"loadtest --start: --accounts 1–10000, --reconnect-halls ≥ 0, --in-call 0–1000"}
	}
	cfg, _, err := loadConfig(stderr)
	if err != nil {
		return err
	}
	so := loadtest.StartOptions{URL: f.url, Accounts: f.accounts, ReconnectHalls: f.reconnect, Password: cfg.DemoPassword, ServerPID: f.pid}
	var rep *loadtest.StartReport
	if f.inCall == 0 {
		if rep, err = loadtest.RunStart(ctx, so); err != nil {
			return err
		}
	} else {
		priv, err := keys.LoadEd25519(cfg.Tokens.RoomKeyFile, false)
		if err != nil {
			return fmt.Errorf("CAU_ROOM_KEY_FILE (the server's room key): %w", err)
		}
		mo := loadtest.Options{URL: f.url, Halls: f.inCall, Duration: f.duration, ServerPID: f.pid, Console: true,
			Signer: roomtoken.NewSigner(priv)}
		fmt.Fprintf(stderr, "loadtest --start: %d halls in a call for %s, quiet\n", f.inCall, f.duration)
		quiet, err := loadtest.Run(ctx, mo)
		if err != nil {
			return fmt.Errorf("quiet call: %w", err)
		}
		fmt.Fprintf(stderr, "loadtest --start: %d halls in a call for %s, with the storm\n", f.inCall, f.duration)
		done := make(chan error, 1)
		mo.OnWindow = func() {
			var err error
			rep, err = loadtest.RunStart(ctx, so)
			done <- err
		}
		mo.Room = ""
		storm, err := loadtest.Run(ctx, mo)
		if err != nil {
			return fmt.Errorf("call during the storm: %w", err)
		}
		if err := <-done; err != nil {
			return err
		}
		rep.InCall = &loadtest.InCall{Halls: f.inCall, QuietDelayP99: quiet.DelayMsP99, StormDelayP99: storm.DelayMsP99}
		if quiet.DelayMsP99 > 0 {
			rep.InCall.Ratio = storm.DelayMsP99 / quiet.DelayMsP99
		}
		if storm := time.Duration(rep.SignIn.WallMs+rep.Join.WallMs+rep.Reconnect.WallMs) * time.Millisecond; storm > f.duration {
			fmt.Fprintln(stderr, "loadtest --start: note: the storm outlasted the measured window; raise --duration")
		}
	}
	rep.Command = "cau loadtest " + strings.Join(f.args, " ")
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if f.json != "" {
		return rep.WriteJSON(f.json)
	}
	return nil
}
