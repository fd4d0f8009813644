package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/cau-gov/cau/internal/roomtoken"
	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// FanoutOptions describe the fan-out scenario: one WHIP publisher (VP8
// at about 150 packets/s and Opus at 50) played by Players WHEP players.
// It measures what forwarding one packet to many subscribers costs the
// server, the same way for Cầu's SFU, PionFanout and LiveKit.
type FanoutOptions struct {
	// URL is the server; the publisher posts to URL/whip[/room], players
	// to URL/whep[/room] (LiveKit: both to URL/whip/v1).
	URL string
	// Room is the room in the path and the tokens; "" for PionFanout.
	Room      string
	Players   int
	Duration  time.Duration // measured window, after every player has joined
	ServerPID int           // read from /proc for CPU and memory
	// Signer mints the tokens; nil sends none (PionFanout takes any).
	Signer *roomtoken.Signer
	// LiveKit, if set, makes the server at URL a LiveKit server whose
	// tokens these keys sign (livekit.go); Room is then required.
	LiveKit *LiveKitKeys
	// Server names the server in the report ("cau", "pion", "livekit").
	Server string
	Logger *slog.Logger
}

// The fan-out's participants.
const fanoutPublisherID = "fanout-publisher"

func fanoutPlayerID(i int) string { return fmt.Sprintf("fanout-player-%d", i) }

// endpoint is where one peer of the fan-out posts its offer, and with
// what.
type endpoint struct {
	URL    string
	Token  string      // "" sends none
	Header http.Header // extra request headers
}

// endpoint gives the publisher's (player < 0) or a player's endpoint.
func (o FanoutOptions) endpoint(player int) (endpoint, error) {
	if o.LiveKit != nil {
		return o.LiveKit.endpoint(o.URL, o.Room, player)
	}
	path := ""
	if o.Room != "" {
		path = "/" + o.Room
	}
	id, perm, kind, dir := fanoutPublisherID, roomtoken.PermPublish, sfu.KindWHIP, "/whip"
	if player >= 0 {
		id, perm, kind, dir = fanoutPlayerID(player), roomtoken.PermSubscribe, sfu.KindWHEP, "/whep"
	}
	e := endpoint{URL: o.URL + dir + path}
	if o.Signer == nil {
		return e, nil
	}
	var err error
	e.Token, err = o.Signer.Sign(roomtoken.Claims{Room: o.Room, Identity: id, Name: id, Kind: string(kind), Perms: []string{perm}}, time.Hour)
	return e, err
}

// FanoutLayer is the publisher's one video stream: 5 packets a frame at
// 30 frames/s, 150 packets/s (key frames every 3 s are 4× larger).
var FanoutLayer = Layer{BitrateBps: 1_400_000, FPS: 30, Width: 1280, Height: 720}

// FanoutReport is the scenario's outcome, over the measured window.
type FanoutReport struct {
	Command   string  `json:"command,omitempty"`
	Server    string  `json:"server"`
	Players   int     `json:"players"`
	Connected int     `json:"connected"` // players that received video and audio
	Seconds   float64 `json:"seconds"`
	// PacketsIn is what the publisher sent per second; PacketsOut what the
	// players received per second (the server's forwarded packets).
	PacketsIn  float64 `json:"packets_in_per_s"`
	PacketsOut float64 `json:"packets_out_per_s"`
	Loss       float64 `json:"loss_ratio"`
	// Delay is from the publisher's send timestamp to a player's read,
	// every packet of every player.
	DelayP50 float64 `json:"delay_ms_p50"`
	DelayP99 float64 `json:"delay_ms_p99"`
	DelayMax float64 `json:"delay_ms_max"`
	// ServerCores is the server's CPU (user + system) over the window;
	// MicrosPerPacket that CPU divided by the packets the players received.
	ServerCores     float64 `json:"server_cores"`
	MicrosPerPacket float64 `json:"server_cpu_us_per_forwarded_packet"`
	ServerRSSMiB    float64 `json:"server_rss_mib"`
}

// fanPlayer is one WHEP player's received tracks.
type fanPlayer struct {
	res  *sfuclient.Resource
	mu   sync.Mutex
	recv []*RecvStats
}

func (p *fanPlayer) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	s := NewRecvStats(tr.Kind())
	p.mu.Lock()
	p.recv = append(p.recv, s)
	p.mu.Unlock()
	s.Consume(tr)
}

// fanTotals sums what every player received so far.
type fanTotals struct {
	packets, expected int64
	delay             *Histogram
	connected         int
}

func totals(players []*fanPlayer) fanTotals {
	t := fanTotals{delay: NewHistogram()}
	for _, p := range players {
		p.mu.Lock()
		recv := append([]*RecvStats(nil), p.recv...)
		p.mu.Unlock()
		kinds := 0
		for _, s := range recv {
			t.packets += s.Packets.Load()
			t.expected += s.Expected.Load()
			t.delay.Merge(s.Delay)
			if s.Packets.Load() > 0 {
				kinds++
			}
		}
		if kinds >= 2 {
			t.connected++
		}
	}
	return t
}

// RunFanout publishes, joins the players at 20 a second, lets the stream
// settle and measures for o.Duration.
func RunFanout(ctx context.Context, o FanoutOptions) (*FanoutReport, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Players < 1 || o.Duration <= 0 {
		return nil, fmt.Errorf("fan-out: %d players for %s", o.Players, o.Duration)
	}
	if o.LiveKit != nil && o.Room == "" {
		return nil, fmt.Errorf("fan-out: a LiveKit server needs a room name")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	ep, err := o.endpoint(-1)
	if err != nil {
		return nil, err
	}
	pub, err := sfuclient.PublishWHIP(ctx, ep.URL, ep.Token, sfuclient.Options{Logger: o.Logger, Header: ep.Header},
		sfuclient.WHIPPublication{VideoMime: webrtc.MimeTypeVP8, Audio: true})
	if err != nil {
		return nil, fmt.Errorf("fan-out: publish: %w", err)
	}
	defer pub.Close(context.WithoutCancel(ctx))
	var sent SendCounters
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); fanoutVideo(ctx, pub.Video, &sent) }()
	go func() { defer wg.Done(); fanoutAudio(ctx, pub.Audio, &sent) }()
	defer wg.Wait()
	defer cancel()

	players := make([]*fanPlayer, o.Players)
	tick := time.NewTicker(50 * time.Millisecond)
	for i := range players {
		<-tick.C
		ep, err := o.endpoint(i)
		if err != nil {
			tick.Stop()
			return nil, err
		}
		p := &fanPlayer{}
		p.res, err = sfuclient.PlayWHEP(ctx, ep.URL, ep.Token, sfuclient.Options{Logger: o.Logger, OnTrack: p.onTrack, Header: ep.Header}, 1)
		if err != nil {
			tick.Stop()
			return nil, fmt.Errorf("fan-out: player %d: %w", i, err)
		}
		players[i] = p
		defer p.res.Close(context.WithoutCancel(ctx))
	}
	tick.Stop()
	// Let every player connect and get its first key frame (every 3 s).
	select {
	case <-time.After(4 * time.Second):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	t0, sent0 := totals(players), sent.Packets.Load()
	var proc0, proc1 ProcSample
	if o.ServerPID != 0 {
		if proc0, err = ReadProc(o.ServerPID); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	select {
	case <-time.After(o.Duration):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if o.ServerPID != 0 {
		if proc1, err = ReadProc(o.ServerPID); err != nil {
			return nil, err
		}
	}
	secs := time.Since(start).Seconds()
	t1, sent1 := totals(players), sent.Packets.Load()
	rep := &FanoutReport{Server: o.Server, Players: o.Players, Connected: t1.connected, Seconds: secs,
		PacketsIn: float64(sent1-sent0) / secs, PacketsOut: float64(t1.packets-t0.packets) / secs}
	if exp := t1.expected - t0.expected; exp > 0 {
		rep.Loss = max(0, float64(exp-(t1.packets-t0.packets))/float64(exp))
	}
	d := t1.delay.Since(t0.delay)
	rep.DelayP50, rep.DelayP99, rep.DelayMax = ms(d.Quantile(0.5)), ms(d.Quantile(0.99)), ms(d.Max())
	if o.ServerPID != 0 {
		rep.ServerCores = CPUCores(proc0, proc1)
		rep.ServerRSSMiB = float64(proc1.RSSBytes) / (1 << 20)
		if out := t1.packets - t0.packets; out > 0 {
			rep.MicrosPerPacket = float64(proc1.CPU-proc0.CPU) / float64(time.Microsecond) / float64(out)
		}
	}
	return rep, nil
}

// fanoutVideo sends FanoutLayer on the publisher's one video stream,
// answering key frame requests.
func fanoutVideo(ctx context.Context, v *sfuclient.Publication, c *SendCounters) {
	l := FanoutLayer
	frameBytes := l.BitrateBps / 8 / l.FPS
	tick := time.NewTicker(time.Second / time.Duration(l.FPS))
	defer tick.Stop()
	var seq uint16
	var ts uint32
	var lastKey time.Time
	pkt := &rtp.Packet{}
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			key := v.KeyframeRequested(0) || now.Sub(lastKey) >= keyFrameEvery
			size := frameBytes
			if key {
				size *= keyFrameScale
				lastKey = now
			}
			payloads := VP8Frame(size, mtu, key, l.Width, l.Height, time.Now())
			for k, p := range payloads {
				pkt.Header = rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: k == len(payloads)-1}
				pkt.Payload = p
				seq++
				if err := v.WriteRTP(0, pkt, -1); err != nil {
					return
				}
				c.Packets.Add(1)
			}
			ts += uint32(90000 / l.FPS)
		}
	}
}

// fanoutAudio sends an Opus-sized packet every 20 ms, loud enough to be
// the active speaker.
func fanoutAudio(ctx context.Context, a *sfuclient.Publication, c *SendCounters) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var seq uint16
	var ts uint32
	pkt := &rtp.Packet{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			pkt.Header = rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts}
			pkt.Payload = OpusPayload(opusBytes, time.Now())
			seq++
			ts += 960
			if err := a.WriteRTP(0, pkt, 20); err != nil {
				return
			}
			c.Packets.Add(1)
		}
	}
}

// WriteTable prints the report as one line.
func (r *FanoutReport) WriteTable(w io.Writer) error {
	_, err := fmt.Fprintf(w, "%-10s players %d (connected %d)  in %.0f/s  out %.0f/s  loss %.4f%%  delay p50/p99/max %.2f/%.2f/%.1f ms  server %.3f cores  %.2f µs/forwarded packet  RSS %.0f MiB\n",
		r.Server, r.Players, r.Connected, r.PacketsIn, r.PacketsOut, 100*r.Loss, r.DelayP50, r.DelayP99, r.DelayMax,
		r.ServerCores, r.MicrosPerPacket, r.ServerRSSMiB)
	return err
}

// WriteJSON writes the report to path.
func (r *FanoutReport) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
