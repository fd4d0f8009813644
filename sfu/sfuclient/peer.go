package sfuclient

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/internal/icestart"
	"github.com/cau-gov/cau/sfu/signal"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/logging"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// The client receives as a browser does. Pion's defaults differ from
// libwebrtc's (Chromium) and Firefox's in two ways that matter behind a
// lossy line, where the SFU answers NACKs with copies on the packet's own
// SSRC and sequence number:
//
//   - pion's SRTP replay window is 64 packets; the browsers set 1024. A
//     copy of a packet 64 or more behind the newest one received is
//     dropped as a replay before the transport-wide feedback records it,
//     so the SFU's estimator counts it lost;
//   - pion's NACK generator asks for a missing packet every 100 ms for as
//     long as it stays within its 512-packet log, with no limit;
//     libwebrtc gives up after 10 requests (kMaxNackRetries).
//
// Together, behind a 400 kbit/s commune line (cau loadtest --weak-share
// --debug), a join that overflowed the line's queue left a few hundred
// video packets missing on tracks then paused: the hall NACKed them for
// the rest of the run (1,100 NACKs a second), each copy the SFU sent was
// dropped as a replay, GCC read 35–50 % loss on a line delivering 97 %,
// held its estimate at its 100 kbit/s floor, and the hall's floor picture
// stayed off for 19 s of the 20 s window.
const (
	// srtpReplayWindow is libwebrtc's and Firefox's (srtp_session.cc,
	// policy.window_size).
	srtpReplayWindow = 1024
	// maxNacksPerPacket is libwebrtc's kMaxNackRetries.
	maxNacksPerPacket = 10
)

// newAPI builds the client's pion API: the SFU's codecs (Opus with NACK,
// VP8 and H.264, or the video codecs o names), the simulcast and audio
// level extensions, pion's default interceptors (NACK both ways, reports,
// transport-wide feedback for the SFU's estimator), and candidates on
// loopback unless told otherwise.
func newAPI(o Options) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	fb := []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "transport-cc"}}
	for _, c := range []struct {
		p webrtc.RTPCodecParameters
		k webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1", RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "transport-cc"}}}, PayloadType: 111}, webrtc.RTPCodecTypeAudio},
		{webrtc.RTPCodecParameters{RTPCodecCapability: redCodec, PayloadType: 63}, webrtc.RTPCodecTypeAudio},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: fb}, PayloadType: 96}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", RTCPFeedback: fb}, PayloadType: 102}, webrtc.RTPCodecTypeVideo},
	} {
		if c.p.MimeType == redCodec.MimeType && !o.RED {
			continue
		}
		if c.p.MimeType == webrtc.MimeTypeOpus && o.NoAudioNACK {
			c.p.RTCPFeedback = []webrtc.RTCPFeedback{{Type: "transport-cc"}}
		}
		if c.k == webrtc.RTPCodecTypeVideo && len(o.VideoCodecs) > 0 &&
			!slices.ContainsFunc(o.VideoCodecs, func(mime string) bool { return strings.EqualFold(mime, c.p.MimeType) }) {
			continue
		}
		if err := m.RegisterCodec(c.p, c.k); err != nil {
			return nil, err
		}
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		return nil, err
	}
	for _, uri := range []string{sdp.SDESMidURI, sdp.AudioLevelURI} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	ir := &interceptor.Registry{}
	iopts := []webrtc.InterceptorOption{webrtc.WithNackGeneratorOptions(nack.GeneratorMaxNacksPerPacket(maxNacksPerPacket))}
	if o.NACKHistory != 0 {
		iopts = append(iopts, webrtc.WithNackResponderOptions(nack.ResponderSize(o.NACKHistory)))
	}
	if err := webrtc.RegisterDefaultInterceptorsWithOptions(m, ir, iopts...); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{LoggerFactory: slogFactory{o.Logger}}
	se.SetSRTPReplayProtectionWindow(srtpReplayWindow)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	filter := o.IPFilter
	if filter == nil && o.Net == nil {
		filter = func(ip net.IP) bool { return ip.IsLoopback() }
	}
	if filter != nil {
		se.SetIPFilter(filter)
		// And never check a remote candidate outside it: a test must not
		// send a packet off the machine, whatever the SFU advertises.
		se.SetRemoteIPFilter(filter)
	}
	types := o.NetworkTypes
	if len(types) == 0 {
		types = []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	}
	se.SetNetworkTypes(types)
	if o.Net != nil {
		se.SetNet(o.Net)
	}
	if o.udpMux != nil {
		se.SetICEUDPMux(o.udpMux)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// newAPIWithMux is newAPI with, when o.ListenUDP is set, one UDP socket
// there for all of the client's media; the returned func closes it.
func newAPIWithMux(o Options) (*webrtc.API, func(), error) {
	if o.ListenUDP == "" {
		api, err := newAPI(o)
		return api, func() {}, err
	}
	addr, err := net.ResolveUDPAddr("udp", o.ListenUDP)
	if err != nil {
		return nil, nil, fmt.Errorf("ListenUDP %q: %w", o.ListenUDP, err)
	}
	network, typ := "udp4", webrtc.NetworkTypeUDP4
	if addr.IP.To4() == nil {
		network, typ = "udp6", webrtc.NetworkTypeUDP6
	}
	conn, err := net.ListenUDP(network, addr)
	if err != nil {
		return nil, nil, fmt.Errorf("ListenUDP %q: %w", o.ListenUDP, err)
	}
	mux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn, Logger: slogFactory{o.Logger}.NewLogger("udpmux")})
	o.udpMux = mux
	if len(o.NetworkTypes) == 0 {
		o.NetworkTypes = []webrtc.NetworkType{typ}
	}
	api, err := newAPI(o)
	if err != nil {
		_ = mux.Close()
		return nil, nil, err
	}
	return api, func() { _ = mux.Close() }, nil
}

// peer is one of the client's two peer connections.
type peer struct {
	pc      *webrtc.PeerConnection
	started *icestart.Signal // pc's ICE transport started
	mu      sync.Mutex
	pending []webrtc.ICECandidateInit
	closed  bool       // under mu
	negMu   sync.Mutex // one negotiation at a time
}

func (c *Client) newPeer(which sfu.PC) (*peer, error) {
	var cfg webrtc.Configuration
	if rc := c.relay.Load(); rc != nil {
		cfg = *rc
	}
	pc, err := c.api.NewPeerConnection(cfg)
	if err != nil {
		return nil, err
	}
	p := &peer{pc: pc, started: icestart.New()}
	pc.OnConnectionStateChange(p.started.Note)
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand != nil {
			_ = c.send(signal.TypeCandidate, signal.CandidateMsg{PC: which, Candidate: cand.ToJSON()})
		}
	})
	return p, nil
}

// addCandidate adds a trickled candidate, or keeps it for the remote
// description. Never after close: pion's AddICECandidate on a closed
// connection makes it a new ICE agent that nobody closes.
func (p *peer) addCandidate(ci webrtc.ICECandidateInit) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if p.pc.RemoteDescription() == nil {
		p.pending = append(p.pending, ci)
		return
	}
	_ = p.pc.AddICECandidate(ci)
}

func (p *peer) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	for _, ci := range p.pending {
		_ = p.pc.AddICECandidate(ci)
	}
	p.pending = nil
}

// close closes the connection and marks it so that no candidate is added
// to it afterwards (addCandidate and flush add under mu).
func (p *peer) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	_ = p.pc.Close()
}

// downPeerLocked returns the down connection, creating it; c.mu held.
func (c *Client) downPeerLocked() *peer {
	if c.down != nil || c.closed {
		// After Close an offer still in flight must not open a connection
		// that nobody will close (goleak saw its ICE agent left waiting).
		return c.down
	}
	p, err := c.newPeer(sfu.PCDown)
	if err != nil {
		c.log.Error("down connection", "error", err)
		return nil
	}
	p.pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		if c.opts.OnTrack != nil {
			c.opts.OnTrack(t, r)
			return
		}
		go ReadPackets(t, nil)
	})
	c.down = p
	return p
}

// answerDown answers the SFU's offer for the down connection.
func (c *Client) answerDown(offer string) {
	c.mu.Lock()
	p := c.downPeerLocked()
	c.mu.Unlock()
	if p == nil {
		return
	}
	p.negMu.Lock()
	defer p.negMu.Unlock()
	// The SFU's next offer (a track added) can come before pion started
	// the first exchange's ICE transport; set then, it restarts ICE under
	// a new ufrag, and the connection was lost (icestart).
	_ = p.started.BeforeRenegotiation(context.Background(), p.pc)
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		c.log.Error("down offer", "error", err)
		return
	}
	p.flush()
	ans, err := p.pc.CreateAnswer(nil)
	if err == nil {
		err = p.pc.SetLocalDescription(ans)
	}
	if err != nil {
		c.log.Error("down answer", "error", err)
		return
	}
	_ = c.send(signal.TypeAnswer, signal.Answer{SDP: ans.SDP})
}

// upPeer returns the up connection, creating it.
func (c *Client) upPeer() (*peer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if c.up == nil {
		p, err := c.newPeer(sfu.PCUp)
		if err != nil {
			return nil, err
		}
		c.up = p
	}
	return c.up, nil
}

// negotiateUp offers the up connection's current tracks and waits for
// the answer.
func (c *Client) negotiateUp(ctx context.Context, sources map[string]sfu.Source, restart bool) error {
	p, err := c.upPeer()
	if err != nil {
		return err
	}
	p.negMu.Lock()
	defer p.negMu.Unlock()
	// Drain stale answers.
	for len(c.answers) > 0 {
		<-c.answers
	}
	offer, err := p.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: restart})
	if err != nil {
		return fmt.Errorf("up offer: %w", err)
	}
	if err := p.pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("up offer: %w", err)
	}
	mark := c.Mark()
	id, err := c.sendRef(signal.TypeOffer, signal.Offer{SDP: offer.SDP, Tracks: sources})
	if err != nil {
		p.rollback()
		return err
	}
	// The answer, or an error the server sent about the offer: not one
	// about another request (a subscription a relay sent meanwhile), which
	// refused the offer and left the connection in have-local-offer, so
	// that every offer after failed too.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	refused := make(chan Event, 1)
	go func() {
		if ev, err := c.WaitFrom(wctx, mark, IsType("error", func(e sfu.ErrorEvent) bool { return e.Ref == id })); err == nil {
			refused <- ev
		}
	}()
	var answer string
	select {
	case answer = <-c.answers:
	case ev := <-refused:
		p.rollback()
		return fmt.Errorf("up offer: %w: %s", ErrServer, ev.Data)
	case <-ctx.Done():
		p.rollback()
		return fmt.Errorf("up answer: %w", ctx.Err())
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return fmt.Errorf("up answer: %w", err)
	}
	p.flush()
	return nil
}

// rollback takes back a local offer that will not be answered, so that
// the next one can be made.
func (p *peer) rollback() {
	_ = p.pc.SetLocalDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeRollback})
}

// RestartICE restarts ICE on both connections (the network changed).
func (c *Client) RestartICE(ctx context.Context) error {
	c.mu.Lock()
	up := c.up
	c.mu.Unlock()
	if up != nil {
		if err := c.negotiateUp(ctx, nil, true); err != nil {
			return err
		}
	}
	return c.send(signal.TypeICERestart, nil)
}

// UpConnection and DownConnection expose the peer connections (stats,
// tests); nil until created.
func (c *Client) UpConnection() *webrtc.PeerConnection {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.up == nil {
		return nil
	}
	return c.up.pc
}

// DownConnection is the subscribing connection; nil until the first offer.
func (c *Client) DownConnection() *webrtc.PeerConnection {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down == nil {
		return nil
	}
	return c.down.pc
}

// slogFactory routes pion's logs through slog at warn and above.
type slogFactory struct{ l *slog.Logger }

func (f slogFactory) NewLogger(scope string) logging.LeveledLogger {
	return slogLogger{f.l.With("pion", scope)}
}

type slogLogger struct{ l *slog.Logger }

func (slogLogger) Trace(string)                {}
func (slogLogger) Tracef(string, ...any)       {}
func (slogLogger) Debug(string)                {}
func (slogLogger) Debugf(string, ...any)       {}
func (slogLogger) Info(string)                 {}
func (slogLogger) Infof(string, ...any)        {}
func (s slogLogger) Warn(m string)             { s.l.Warn(m) }
func (s slogLogger) Warnf(f string, a ...any)  { s.l.Warn(fmt.Sprintf(f, a...)) }
func (s slogLogger) Error(m string)            { s.l.Error(m) }
func (s slogLogger) Errorf(f string, a ...any) { s.l.Error(fmt.Sprintf(f, a...)) }
