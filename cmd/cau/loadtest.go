package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/keys"
	"github.com/cau-gov/cau/internal/loadtest"
	"github.com/cau-gov/cau/internal/roomtoken"
)

func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("loadtest", "Start synthetic halls as real WebRTC peers against a running server (or an embedded SFU):\n"+
		"each publishes 3-layer simulcast VP8 (1.5 Mbit/s, 500 kbit/s, 150 kbit/s) with send timestamps,\n"+
		"the unmuted ones Opus-sized audio; each subscribes to the floor in high and to the audio; an operator\n"+
		"console subscribes to every hall in low. Tokens are minted with CAU_ROOM_KEY_FILE, as `serve` verifies them.\n"+
		"Traffic goes only to the given server; keep it on this machine.", stderr)
	url := fs.String("url", "http://127.0.0.1:8080", "the server")
	halls := fs.Int("halls", 160, "synthetic halls")
	duration := fs.Duration("duration", 60*time.Second, "measured window, after every hall has joined")
	pid := fs.Int("server-pid", 0, "the server's process ID, to read its CPU and memory from /proc")
	jsonPath := fs.String("json", "", "write the JSON report here")
	unmuted := fs.Int("unmuted", 2, "halls that publish audio")
	floor := fs.Float64("floor-changes", 4, "floor changes per minute (rotating the loudest unmuted hall)")
	console := fs.Bool("console", true, "add the operator console subscribing every hall in low")
	ramp := fs.Float64("ramp", 20, "joins per second")
	room := fs.String("room", "", "room name (default loadtest-<time>)")
	embedded := fs.Bool("embedded", false, "run an SFU in this process instead of --url (its CPU is mixed with the generator's)")
	baseline := fs.Bool("baseline", true, "measure the UDP loopback rate first, for ratios")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *halls < 1 || *halls > 1000 || *duration < time.Second || *duration > time.Hour {
		return usageError{"loadtest: --halls 1–1000 and --duration 1s–1h"}
	}
	if !*embedded && !strings.HasPrefix(*url, "http://127.") && !strings.HasPrefix(*url, "http://localhost") && !strings.HasPrefix(*url, "http://[::1]") {
		fmt.Fprintf(stderr, "loadtest: note: %s is not a loopback address; make sure you own that server\n", *url)
	}
	o := loadtest.Options{URL: *url, Halls: *halls, Duration: *duration, ServerPID: *pid, Unmuted: *unmuted,
		FloorChangesPerMinute: *floor, Console: *console, JoinsPerSecond: *ramp, Room: *room, Baseline: *baseline}
	if *embedded {
		e, err := loadtest.StartEmbedded(nil)
		if err != nil {
			return err
		}
		defer e.Close()
		o.URL, o.Signer = e.URL, e.Signer
		if o.ServerPID == 0 {
			o.ServerPID = os.Getpid()
		}
	} else {
		cfg, _, err := loadConfig(stderr)
		if err != nil {
			return err
		}
		priv, err := keys.LoadEd25519(cfg.RoomKeyFile, false)
		if err != nil {
			return fmt.Errorf("CAU_ROOM_KEY_FILE (the server's room key): %w", err)
		}
		o.Signer = roomtoken.NewSigner(priv)
	}
	rep, err := loadtest.Run(ctx, o)
	if err != nil {
		return err
	}
	rep.Command = "cau loadtest " + strings.Join(args, " ")
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if *jsonPath != "" {
		return rep.WriteJSON(*jsonPath)
	}
	return nil
}
