package loadtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cau-gov/cau/internal/roomtoken"
	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// Options describe a run. Zero values take the reference scenario's.
type Options struct {
	// URL is the server, http://127.0.0.1:8080; signaling is at /rtc.
	URL string
	// Room defaults to "loadtest-<time>".
	Room string
	// Halls is how many synthetic halls join (160 in the reference scenario).
	Halls int
	// Duration is the measured window, after every hall has joined.
	Duration time.Duration
	// Unmuted is how many halls publish audio (the chair's and the
	// speakers'); a muted hall in a province session sends none.
	Unmuted int
	// FloorChangesPerMinute rotates which unmuted hall speaks loudest, so
	// the floor (active speaker) moves and every hall switches source.
	FloorChangesPerMinute float64
	// Console adds the province operator console, subscribing to every
	// hall's camera in the low layer.
	Console bool
	// JoinsPerSecond paces the ramp (0: 20/s).
	JoinsPerSecond float64
	// ServerPID is read from /proc for the server's CPU and memory (0: not measured).
	ServerPID int
	// Signer mints the room tokens, with the server's room key.
	Signer *roomtoken.Signer
	// Baseline measures the UDP loopback rate first.
	Baseline bool
	// Subscribers is how many other halls' cameras each hall also watches
	// in the low layer (the strip under the main picture), round-robin so
	// that every camera gets as many extra subscribers.
	Subscribers int
	// WeakShare of the halls (0–1, every 1/WeakShare-th) receive through
	// WeakLink, a shaped downlink (ShapedNet).
	WeakShare float64
	// WeakLink is their line; a zero RateBps takes DefaultWeakLink's rate
	// (loss and delay are as given: zero is none).
	WeakLink LinkProfile
	// Nodes, if set, are the SFU nodes of a cluster to spread the halls
	// over (URL is then the first's, where the first hall and the console
	// join: the room's home); Spread says how (SpreadUnits, the default, or
	// SpreadRoundRobin).
	Nodes  []Node
	Spread string
	// OnWindow, if set, is called (in its own goroutine) when the measured
	// window starts: the start scenario runs its storm then.
	OnWindow func()
	// OnPhase, if set, is called from Run as the run enters each phase:
	// "ramp" (before the first join), "settle" (every hall joined),
	// "window" (the measured window starts) and "end" (it ended). cau
	// loadtest --cpuprofile profiles the ramp and the window apart with it.
	OnPhase func(phase string)
	Logger  *slog.Logger
	// Trace, if set, gets each weak hall's line every 250 ms and the
	// measured window's ends, at debug level (traceLinks): `cau loadtest
	// --debug` writes it beside the embedded SFU's debug log.
	Trace *slog.Logger
}

func (o *Options) defaults() {
	if o.Halls == 0 {
		o.Halls = 160
	}
	if o.Duration == 0 {
		o.Duration = 30 * time.Second
	}
	if o.Room == "" {
		o.Room = fmt.Sprintf("loadtest-%d", time.Now().Unix())
	}
	if o.Unmuted == 0 {
		o.Unmuted = 2
	}
	if o.Unmuted > o.Halls {
		o.Unmuted = o.Halls
	}
	if o.JoinsPerSecond == 0 {
		o.JoinsPerSecond = 20
	}
	if o.WeakLink.RateBps == 0 {
		o.WeakLink.RateBps = DefaultWeakLink.RateBps
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.OnPhase == nil {
		o.OnPhase = func(string) {}
	}
}

// Run drives the scenario and returns the report.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	if o.Signer == nil {
		return nil, errors.New("loadtest: no token signer (the server's room key)")
	}
	if o.Subscribers < 0 || o.WeakShare < 0 || o.WeakShare > 1 {
		return nil, fmt.Errorf("loadtest: subscribers %d (want ≥ 0), weak share %g (want 0–1)", o.Subscribers, o.WeakShare)
	}
	if _, err := NewShapedNet(o.WeakLink); err != nil {
		return nil, err
	}
	if len(o.Nodes) > 0 {
		o.URL, o.ServerPID = o.Nodes[0].URL, o.Nodes[0].PID
	}
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("loadtest: --url %q is not an http(s) URL", o.URL)
	}
	ws := *u
	ws.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	ws.Path = "/rtc"
	nodeWS := []string{ws.String()}
	for _, n := range o.Nodes[min(1, len(o.Nodes)):] {
		w, err := wsURL(n.URL)
		if err != nil {
			return nil, err
		}
		nodeWS = append(nodeWS, w)
	}
	rep := &Report{Started: time.Now(), Halls: o.Halls, ServerPID: o.ServerPID, Machine: machine(), SubscribersPerHall: o.Subscribers}
	if o.Baseline {
		if pps, err := UDPBaseline(ctx, 1200, 2*time.Second); err == nil {
			rep.BaselineUDPLoopbackPPS = pps
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// Stop the pumps first, then wait for them (defers run last-first).
	defer wg.Wait()
	defer cancel()

	joinHist, firstFrame := NewHistogram(), NewHistogram()
	halls := make([]*hall, 0, o.Halls)
	var errs []string
	var emu sync.Mutex
	addErr := func(err error) {
		emu.Lock()
		if len(errs) < 20 {
			errs = append(errs, err.Error())
		}
		emu.Unlock()
	}
	pace := time.NewTicker(time.Duration(float64(time.Second) / o.JoinsPerSecond))
	defer pace.Stop()
	var jwg sync.WaitGroup
	var hmu sync.Mutex
	var speakers []*hall    // the unmuted halls, in order
	sends := NewSendClock() // every normal hall's publishers' socket writes
	o.OnPhase("ramp")
	ramp0 := readRampLoad(o.ServerPID)
	for i := 0; i < o.Halls; i++ {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-pace.C:
		}
		h := &hall{id: fmt.Sprintf("hall-%d", i+1), index: i, node: nodeOf(o.Spread, i, o.Halls, len(nodeWS))}
		if i == 1 && len(nodeWS) > 1 {
			// The first hall's node takes the room's home at its next
			// heartbeat; the others relay to it.
			jwg.Wait()
			time.Sleep(homeWait)
		}
		if isWeak(i, o.Halls, o.WeakShare) {
			link := o.WeakLink
			link.Seed = uint64(i + 1) // each line loses its own packets
			if h.link, err = NewShapedNet(link); err != nil {
				return nil, err
			}
		} else if h.wire, err = NewWireNet(); err != nil {
			return nil, err
		} else {
			h.wire.Sends = sends
		}
		unmuted := i < o.Unmuted
		if unmuted {
			speakers = append(speakers, h)
		}
		// The first hall speaks from the start, so the floor exists for
		// the halls that join after it and their first frame measures
		// the SFU, not the wait for someone to speak.
		h.speak.Store(i == 0)
		jwg.Add(1)
		go func() {
			defer jwg.Done()
			if err := h.start(ctx, o, nodeWS[h.node], unmuted, &wg); err != nil {
				addErr(fmt.Errorf("%s: %w", h.id, err))
				return
			}
			joinHist.Record(h.join)
			hmu.Lock()
			halls = append(halls, h)
			hmu.Unlock()
		}()
	}
	jwg.Wait()
	rep.setRamp(ramp0, readRampLoad(o.ServerPID), o.ServerPID)
	o.OnPhase("settle")
	defer func() {
		for _, h := range halls {
			_ = h.client.Close()
		}
	}()
	rep.HallsConnected = len(halls)
	byIndex(halls)
	if o.Subscribers > 0 {
		for j, h := range halls {
			for _, x := range stripTargets(halls, j, o.Subscribers) {
				if err := subscribeLow(ctx, h.client, sfu.TrackID(x.id+"/camera")); err != nil {
					addErr(fmt.Errorf("%s: subscribe %s: %w", h.id, x.id, err))
				}
			}
		}
	}
	var console *sfuclient.Client
	if o.Console {
		console, err = dialConsole(ctx, o, ws.String(), halls)
		if err != nil {
			addErr(fmt.Errorf("console: %w", err))
		} else {
			defer console.Close()
		}
	}

	if o.Trace != nil {
		traceLinks(ctx, o.Trace, halls, o.URL, &wg)
	}
	// Let layers settle, then measure a window.
	time.Sleep(2 * time.Second)
	m0, _ := scrapeSFU(ctx, o.URL)
	n0, _ := scrapeNodes(ctx, o.Nodes)
	np0 := readProcs(o.Nodes)
	p0, perr := ReadProc(o.ServerPID)
	g0, _ := ReadProc(os.Getpid())
	counts0 := collect(halls)
	sent0 := sentBytes(halls)
	link0 := linkStats(halls, true)
	delays0 := delaysNow(halls)
	marks := markDelays(halls, sends)
	o.OnPhase("window")
	start := time.Now()
	if o.Trace != nil {
		o.Trace.Debug("window start")
	}
	if o.OnWindow != nil {
		go o.OnWindow()
	}

	var rotate <-chan time.Time
	if o.FloorChangesPerMinute > 0 && len(speakers) > 1 {
		t := time.NewTicker(time.Duration(float64(time.Minute) / o.FloorChangesPerMinute))
		defer t.Stop()
		rotate = t.C
	}
	speaker := 0
	window := time.NewTimer(o.Duration)
	defer window.Stop()
wait:
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-rotate:
			speakers[speaker%len(speakers)].speak.Store(false)
			speaker++
			speakers[speaker%len(speakers)].speak.Store(true)
		case <-window.C:
			break wait
		}
	}
	elapsed := time.Since(start)
	o.OnPhase("end")
	if o.Trace != nil {
		o.Trace.Debug("window end")
	}
	m1, merr := scrapeSFU(ctx, o.URL)
	n1, nerr := scrapeNodes(ctx, o.Nodes)
	np1 := readProcs(o.Nodes)
	p1, _ := ReadProc(o.ServerPID)
	g1, _ := ReadProc(os.Getpid())
	counts1 := collect(halls)
	link1 := linkStats(halls, false)
	end := time.Now()

	rep.DurationSec = elapsed.Seconds()
	if merr == nil {
		secs := elapsed.Seconds()
		rep.PPSIn = (m1.packetsIn - m0.packetsIn) / secs
		rep.PPSOut = (m1.packetsOut - m0.packetsOut) / secs
		rep.DroppedAtSFU = int64(m1.dropped - m0.dropped)
		rep.BpsOut = (m1.bytesOut - m0.bytesOut) * 8 / secs
		rep.LayerSwitches = int64(m1.switches - m0.switches)
		d := m1.forwardDelay.since(m0.forwardDelay)
		rep.SFUDelayMsP50, rep.SFUDelayMsP99 = quantileMs(d, 0.5), quantileMs(d, 0.99)
	} else {
		addErr(fmt.Errorf("server metrics: %w", merr))
	}
	rep.BpsIn = float64(sentBytes(halls)-sent0) * 8 / elapsed.Seconds()
	for _, h := range halls {
		for _, s := range h.stats() {
			if ff := s.FirstFrame.Load(); ff != 0 && s.Floor {
				if from := h.pictureExpected(); !from.IsZero() {
					firstFrame.Record(time.Unix(0, ff).Sub(from))
				}
			}
		}
	}
	rep.setDelays(marks.since(halls, sends))
	rep.JoinMsP50, rep.JoinMsP99 = ms(joinHist.Quantile(0.5)), ms(joinHist.Quantile(0.99))
	rep.setJoins(halls, int(o.JoinsPerSecond))
	rep.FirstFrameMsP50, rep.FirstFrameMsP99 = ms(firstFrame.Quantile(0.5)), ms(firstFrame.Quantile(0.99))
	rep.LossRatio, rep.LossRatioWorst = loss(counts0, counts1)
	rep.Subscriptions = countSubscriptions(counts0, counts1)
	var weak, normal []*hall
	for _, h := range halls {
		if h.link != nil {
			weak = append(weak, h)
		} else {
			normal = append(normal, h)
		}
	}
	rep.setGroups(figures(weak, counts0, counts1, delays0, start, end), figures(normal, counts0, counts1, delays0, start, end))
	if console != nil {
		rep.WeakEstimateKbps, rep.NormalEstimateKbps = meanEstimate(console, weak), meanEstimate(console, normal)
	}
	if len(weak) > 0 {
		rep.WeakLink = &WeakLinkReport{Kbps: o.WeakLink.RateBps / 1000, LossPercent: o.WeakLink.LossPercent, DelayMs: ms(o.WeakLink.Delay),
			QueueDrops: link1.QueueDrops - link0.QueueDrops, LineLosses: link1.LineLosses - link0.LineLosses,
			KbpsUsed:   float64(link1.PassedBytes-link0.PassedBytes) * 8 / 1000 / elapsed.Seconds() / float64(len(weak)),
			QueueMsMax: ms(link1.QueueMax)}
	}
	if o.ServerPID != 0 && perr == nil {
		rep.ServerCPUCores = CPUCores(p0, p1)
		rep.ServerRunQueueWaitMsPerS, rep.ServerRunQueueWaitUsPerSlice = RunQueueWait(p0, p1)
		rep.ServerRSSBytes = p1.RSSBytes
		if out := (m1.packetsOut - m0.packetsOut); out > 0 {
			rep.CPUMicrosPerForwardedPacket = float64(p1.CPU-p0.CPU) / float64(time.Microsecond) / out
		}
		participants := len(halls)
		if console != nil {
			participants++
		}
		if participants > 0 {
			rep.BytesPerParticipant = float64(p1.RSSBytes) / float64(participants)
		}
	}
	rep.GeneratorCPUCores = CPUCores(g0, g1)
	rep.GeneratorRunQueueWaitMsPerS, _ = RunQueueWait(g0, g1)
	rep.GeneratorRSSBytes = g1.RSSBytes
	if w := g1.At.Sub(g0.At); w > 0 {
		rep.GeneratorFaultsPerS = float64(g1.Faults-g0.Faults) / w.Seconds()
	}
	if len(o.Nodes) > 1 {
		if nerr != nil {
			addErr(fmt.Errorf("node metrics: %w", nerr))
		}
		rep.nodeFigures(o, halls, n0, n1, np0, np1, elapsed.Seconds())
	}
	rep.Errors = errs
	return rep, nil
}
