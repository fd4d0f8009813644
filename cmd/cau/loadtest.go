package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/keys"
	"github.com/cau-gov/cau/internal/loadtest"
	"github.com/cau-gov/cau/internal/roomtoken"
	"github.com/cau-gov/cau/sfu"
)

func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("loadtest", "Start synthetic halls as real WebRTC peers against a running server (or an embedded SFU):\n"+
		"each publishes 3-layer simulcast VP8 (1.5 Mbit/s, 500 kbit/s, 150 kbit/s) with send timestamps,\n"+
		"the unmuted ones Opus-sized audio; each subscribes to the floor in high and to the audio; an operator\n"+
		"console subscribes to every hall in low. --subscribers adds other halls' cameras in low to each hall;\n"+
		"--weak-share puts halls behind a shaped downlink (in this process: no root, no network change).\n"+
		"Tokens are minted with CAU_ROOM_KEY_FILE, as `serve` verifies them.\n"+
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
	debugLog := fs.String("debug", "", "with --embedded: write the SFU's debug log (allocations, estimates, probes) and each weak hall's line every 250 ms to this file")
	fastRTCP := fs.Bool("fast-rtcp", true, "with --embedded: read subscribers' RTCP on the media socket's read loop; false: through pion (CAU_RTC_FAST_RTCP of cau serve)")
	fastReceive := fs.Bool("fast-receive", true, "with --embedded: read publishers' RTP on the media socket's read loop; false: through pion (CAU_RTC_FAST_RECEIVE of cau serve)")
	baseline := fs.Bool("baseline", true, "measure the UDP loopback rate first, for ratios")
	subscribers := fs.Int("subscribers", 0, "each hall also watches this many other halls' cameras in low (the strip under the main picture), round-robin")
	weakShare := fs.Float64("weak-share", 0, "share of halls (0–1, every 1/share-th) behind a weak downlink, shaped in this process (no root, no network change)")
	weakKbps := fs.Int("weak-kbps", loadtest.DefaultWeakLink.RateBps/1000, "weak downlink rate, kbit/s (token bucket; ~250 ms queue, then drops)")
	weakLoss := fs.Float64("weak-loss", loadtest.DefaultWeakLink.LossPercent, "weak downlink random loss, percent")
	weakDelay := fs.Duration("weak-delay", loadtest.DefaultWeakLink.Delay, "weak downlink added one-way delay")
	nodes := fs.String("nodes", "", "spread the halls over these SFU nodes of one cluster (comma-separated base URLs; the first takes the first hall, the console and the room's home) and report per node, per link and the delay per relay hop")
	nodePIDs := fs.String("node-pids", "", "with --nodes: the nodes' process IDs, in the same order, for their CPU and memory")
	spread := fs.String("spread", loadtest.SpreadUnits, "with --nodes: units (the first hall, then contiguous blocks: a district's communes on its node) or round-robin")
	fanout := fs.Int("fanout", 0, "instead of halls: one WHIP publisher (VP8 150 packets/s, Opus 50) played by this many WHEP players; --pion for the baseline server")
	pion := fs.Bool("pion", false, "with --fanout: the server at --url is `cau loadtest --serve-pion` (no tokens)")
	livekit := fs.String("livekit", "", "with --fanout: the server at --url is LiveKit's (deploy/local/livekit.sh); this is its key file (`key: secret`), to sign its tokens")
	name := fs.String("name", "", "with --fanout: the server's name in the report (default cau, or pion with --pion, livekit with --livekit)")
	servePion := fs.String("serve-pion", "", "serve pion's plain fan-out (the baseline of --fanout) for WHIP/WHEP on this loopback HTTP address until stopped")
	servePionUDP := fs.String("serve-pion-udp", "127.0.0.1:0", "with --serve-pion: the media UDP address")
	cpuProfile := fs.String("cpuprofile", "", "write this process's CPU profile of the join ramp to PREFIX-ramp.pprof and of the measured window to PREFIX-window.pprof")
	start := fs.Bool("start", false, "the start scenario instead (issue 17): --accounts distinct demo accounts sign in at once from this address,\n"+
		"join the meeting, open the live socket and read the session; then --reconnect-halls halls reconnect together;\n"+
		"with --in-call K, K halls are in a call meanwhile (--duration window, run once quiet and once with the storm)")
	accounts := fs.Int("accounts", 200, "start scenario: sign-ins (daibieu1…20, then hall operators ktv.<code>)")
	reconnect := fs.Int("reconnect-halls", 160, "start scenario: halls reconnecting together after a blip")
	inCall := fs.Int("in-call", 0, "start scenario: halls already in a call during the storm (0: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *start {
		return runStartScenario(ctx, startFlags{url: *url, accounts: *accounts, reconnect: *reconnect, inCall: *inCall,
			duration: *duration, pid: *pid, json: *jsonPath, args: args}, stdout, stderr)
	}
	if *servePion != "" {
		return servePionFanout(ctx, *servePion, *servePionUDP, stderr)
	}
	if *fanout != 0 {
		return runFanout(ctx, fanoutArgs{url: *url, players: *fanout, duration: *duration, pid: *pid, json: *jsonPath,
			pion: *pion, livekit: *livekit, room: *room, name: *name, args: args}, stdout, stderr)
	}
	// The generator measures delays: its own garbage collector must not be
	// what they show. At the default GOGC the collector's pauses and assists
	// were most of a 40-hall run's p99 (21.6 ms against 9.4 ms at 400, the
	// server unchanged; docs/performance.md). GOGC in the environment wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if *halls < 1 || *halls > 1000 || *duration < time.Second || *duration > time.Hour {
		return usageError{"loadtest: --halls 1–1000 and --duration 1s–1h"}
	}
	if *subscribers < 0 || *subscribers >= *halls {
		return usageError{fmt.Sprintf("loadtest: --subscribers 0–%d (other halls)", *halls-1)}
	}
	if *weakShare < 0 || *weakShare > 1 || *weakKbps < 8 || *weakKbps > 1_000_000 || *weakLoss < 0 || *weakLoss >= 100 || *weakDelay < 0 || *weakDelay > 10*time.Second {
		return usageError{"loadtest: --weak-share 0–1, --weak-kbps 8–1000000, --weak-loss 0 up to 100, --weak-delay 0–10s"}
	}
	if !*embedded && !strings.HasPrefix(*url, "http://127.") && !strings.HasPrefix(*url, "http://localhost") && !strings.HasPrefix(*url, "http://[::1]") {
		fmt.Fprintf(stderr, "loadtest: note: %s is not a loopback address; make sure you own that server\n", *url)
	}
	o := loadtest.Options{URL: *url, Halls: *halls, Duration: *duration, ServerPID: *pid, Unmuted: *unmuted,
		FloorChangesPerMinute: *floor, Console: *console, JoinsPerSecond: *ramp, Room: *room, Baseline: *baseline,
		Subscribers: *subscribers, WeakShare: *weakShare,
		WeakLink: loadtest.LinkProfile{RateBps: *weakKbps * 1000, LossPercent: *weakLoss, Delay: *weakDelay}}
	if *nodes != "" {
		urls, pids := strings.Split(*nodes, ","), strings.Split(*nodePIDs, ",")
		if *spread != loadtest.SpreadUnits && *spread != loadtest.SpreadRoundRobin {
			return usageError{"loadtest: --spread units or round-robin"}
		}
		if *embedded || (*nodePIDs != "" && len(pids) != len(urls)) {
			return usageError{"loadtest: --nodes without --embedded, and --node-pids one per node"}
		}
		for i, u := range urls {
			n := loadtest.Node{URL: strings.TrimSpace(u)}
			if *nodePIDs != "" {
				if _, err := fmt.Sscan(pids[i], &n.PID); err != nil {
					return usageError{fmt.Sprintf("loadtest: --node-pids: %q is not a process ID", pids[i])}
				}
			}
			o.Nodes = append(o.Nodes, n)
		}
		o.Spread = *spread
	}
	if *cpuProfile != "" {
		p := &phaseProfiler{prefix: *cpuProfile, stderr: stderr}
		defer p.stop()
		o.OnPhase = p.phase
	}
	if *debugLog != "" && !*embedded {
		return usageError{"loadtest: --debug with --embedded (a server's log is its own)"}
	}
	if *embedded {
		var log *slog.Logger
		if *debugLog != "" {
			f, err := os.Create(*debugLog)
			if err != nil {
				return fmt.Errorf("loadtest: --debug: %w", err)
			}
			defer f.Close()
			log = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
			o.Trace = log
		}
		e, err := loadtest.StartEmbedded(log, sfu.Config{PionRTCP: !*fastRTCP, PionReceive: !*fastReceive})
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
		priv, err := keys.LoadEd25519(cfg.Tokens.RoomKeyFile, false)
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

// phaseProfiler profiles the CPU of the ramp and of the measured window
// (loadtest.Options.OnPhase) into their own files.
type phaseProfiler struct {
	prefix string
	stderr io.Writer
	f      *os.File
}

func (p *phaseProfiler) phase(name string) {
	switch name {
	case "ramp", "window":
		p.stop()
		f, err := os.Create(p.prefix + "-" + name + ".pprof")
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(p.stderr, "loadtest: --cpuprofile: %v\n", err)
			if f != nil {
				_ = f.Close()
			}
			return
		}
		p.f = f
	default:
		p.stop()
	}
}

func (p *phaseProfiler) stop() {
	if p.f == nil {
		return
	}
	pprof.StopCPUProfile()
	_ = p.f.Close()
	p.f = nil
}
