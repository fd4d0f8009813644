// Package sfuclient is a Go client of Cầu's SFU: the signaling protocol
// of sfu/signal over a WebSocket plus the two pion peer connections
// (up to publish, down to subscribe). The SFU's tests use it, and so does
// the load tool, to play halls.
package sfuclient

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/signal"
	"github.com/gorilla/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
)

// Options configure a client.
type Options struct {
	// URL is the signaling endpoint, ws://host:port/rtc.
	URL string
	// Token is the room token, sent as a Bearer header.
	Token string
	// Logger gets the client's logs; pion's warnings go through it too.
	Logger *slog.Logger
	// Net replaces the host network for the peer connections (pion vnet).
	Net transport.Net
	// IPFilter picks the local addresses to gather candidates on; default
	// loopback only, so tests never touch the outside network.
	IPFilter func(net.IP) bool
	// NetworkTypes default to UDP4.
	NetworkTypes []webrtc.NetworkType
	// ListenUDP, if set ("[::1]:0"), sends all media of the client through
	// one UDP socket bound there (an ICE UDP mux), as the SFU does. pion
	// never gathers ::1 on its own (it reads as a deprecated
	// IPv4-compatible address), so this is how a client uses IPv6 loopback.
	ListenUDP string
	udpMux    ice.UDPMux // built from ListenUDP
	// OnTrack is called for each track received on the down connection.
	OnTrack func(*webrtc.TrackRemote, *webrtc.RTPReceiver)
	// OnEvent, if set, is called with each server message, in order, from
	// the socket's reader (a relay follows the home room with it).
	OnEvent func(Event)
	// NACKHistory is how many packets each sent stream keeps to answer
	// NACKs from (a power of two; 0: pion's 1,024, over 6 s of a
	// 1.5 Mbit/s layer). Chromium keeps about a second; a load generator
	// publishing hundreds of streams keeps less to stay small.
	NACKHistory uint16
	// OnSend, if set, is called with each message's type and the time
	// its write to the socket returned, from the sending goroutine (the
	// load tool times a join's steps with it).
	OnSend func(typ string, at time.Time)
	// OnConnectionState, if set, follows a WHIP or WHEP session's peer
	// connection from its creation (first-packet timings, tests).
	OnConnectionState func(webrtc.PeerConnectionState)
	// Dialer dials the WebSocket (default websocket.DefaultDialer).
	Dialer *websocket.Dialer
	// Resume is the resume token of a participant to continue (a
	// client restarted within the SFU's reconnect grace).
	Resume string
	// Subscribe are video subscriptions asked in the join (not a
	// resume's): the SFU's first down offer carries them.
	Subscribe []signal.Subscribe
	// RelayOnly makes both peer connections use only the TURN servers of
	// the joined message (ICE transport policy "relay"), as a browser behind
	// a firewall that lets nothing else through would.
	RelayOnly bool
	// VideoCodecs limits the video codecs the client negotiates (MIME
	// types, e.g. webrtc.MimeTypeVP8), as an old player or an encoder
	// with one codec would; default VP8 and H.264.
	VideoCodecs []string
	// RED negotiates redundant audio (audio/red over Opus, RFC 2198) as
	// Chromium does: offered after Opus, received as it comes, and the
	// client's audio publications send RED (SendAudio adds the two frames
	// before each; a caller of WriteRTP writes RED payloads itself).
	RED bool
	// NoAudioNACK negotiates Opus without NACK, as Chromium does: lost
	// audio is not asked for again, so receiver reports show the line's
	// loss.
	NoAudioNACK bool
	// Header adds request headers to a WHIP or WHEP POST (another
	// server's extensions, e.g. LiveKit's X-LiveKit-ClientInfo).
	Header http.Header
}

// Event is a message from the server: its type and raw data.
type Event struct {
	Type string
	Data json.RawMessage
	At   time.Time
}

// Client is one participant's connection to the SFU.
type Client struct {
	opts     Options
	log      *slog.Logger
	api      *webrtc.API
	closeMux func() // the client's UDP mux, if Options.ListenUDP

	wmu sync.Mutex // one writer on the socket
	ws  *websocket.Conn

	// relay is the peer connections' configuration with RelayOnly, set
	// from the joined message before any offer is handled.
	relay atomic.Pointer[webrtc.Configuration]

	mu      sync.Mutex
	joined  sfu.Joined
	events  []Event
	changed chan struct{}
	closed  bool
	up      *peer
	down    *peer
	pubs    map[sfu.Source]*Publication // what PublishVideo/PublishAudio published
	nextID  int
	answers chan string   // up answers, in order
	sockErr chan error    // the current socket's read loop ended
	lost    chan struct{} // closed when the current socket's read loop ends
}

// Dial connects, joins and returns when the server has answered the join.
func Dial(ctx context.Context, o Options) (*Client, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	api, closeMux, err := newAPIWithMux(o)
	if err != nil {
		return nil, err
	}
	c := &Client{opts: o, log: o.Logger, api: api, closeMux: closeMux, changed: make(chan struct{}), answers: make(chan string, 4), pubs: map[sfu.Source]*Publication{}}
	if err := c.connect(ctx, o.Resume); err != nil {
		closeMux()
		return nil, err
	}
	return c, nil
}

// connect opens a socket and joins (resume: the resume token of the
// participant to continue).
func (c *Client) connect(ctx context.Context, resume string) error {
	d := c.opts.Dialer
	if d == nil {
		d = websocket.DefaultDialer
	}
	h := http.Header{"Authorization": {"Bearer " + c.opts.Token}}
	ws, resp, err := d.DialContext(ctx, c.opts.URL, h)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("dial %s: %w (HTTP %d)", c.opts.URL, err, resp.StatusCode)
		}
		return fmt.Errorf("dial %s: %w", c.opts.URL, err)
	}
	ws.SetReadLimit(signal.MaxMessage)
	c.mu.Lock()
	mark := len(c.events)
	c.ws = ws
	errc := make(chan error, 1)
	lost := make(chan struct{})
	c.sockErr, c.lost = errc, lost
	c.mu.Unlock()
	go func() {
		c.readLoop(ws, errc)
		close(lost)
	}()
	join := signal.Join{Resume: resume}
	if resume == "" {
		join.Subscribe = c.opts.Subscribe
	}
	if err := c.send(signal.TypeJoin, join); err != nil {
		return err
	}
	ev, err := c.waitFrom(ctx, mark, func(e Event) bool { return e.Type == "joined" || e.Type == "error" })
	if err != nil {
		_ = ws.Close()
		return fmt.Errorf("join: %w", err)
	}
	if ev.Type == "error" {
		_ = ws.Close()
		return fmt.Errorf("join: %w: %s", ErrServer, ev.Data)
	}
	var j sfu.Joined
	if err := json.Unmarshal(ev.Data, &j); err != nil {
		return fmt.Errorf("join: %w", err)
	}
	c.mu.Lock()
	c.joined = j
	c.mu.Unlock()
	return nil
}

// Joined is the server's answer to the last join.
func (c *Client) Joined() sfu.Joined {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.joined
}

// send writes one message; safe from any goroutine.
func (c *Client) send(typ string, data any) error {
	_, err := c.sendRef(typ, data)
	return err
}

// sendRef is send, returning the message's ID: the server's error about
// it carries it (sfu.ErrorEvent.Ref).
func (c *Client) sendRef(typ string, data any) (string, error) {
	var raw json.RawMessage
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return "", err
		}
		raw = b
	}
	c.mu.Lock()
	c.nextID++
	id := strconv.Itoa(c.nextID)
	ws := c.ws
	c.mu.Unlock()
	b, err := json.Marshal(signal.Message{V: signal.Version, Type: typ, ID: id, Data: raw})
	if err != nil {
		return "", err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := ws.WriteMessage(websocket.TextMessage, b); err != nil {
		return "", fmt.Errorf("send %s: %w", typ, err)
	}
	if c.opts.OnSend != nil {
		c.opts.OnSend(typ, time.Now())
	}
	return id, nil
}

func (c *Client) readLoop(ws *websocket.Conn, errc chan<- error) {
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			errc <- err
			return
		}
		var m signal.Message
		if err := json.Unmarshal(b, &m); err != nil {
			c.log.Warn("bad server message", "error", err)
			continue
		}
		ev := Event{Type: m.Type, Data: m.Data, At: time.Now()}
		c.handle(ev)
		if c.opts.OnEvent != nil {
			c.opts.OnEvent(ev)
		}
		c.mu.Lock()
		c.events = append(c.events, ev)
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	}
}

// handle acts on the messages that drive the peer connections.
func (c *Client) handle(ev Event) {
	switch ev.Type {
	case "joined":
		var j sfu.Joined
		if c.opts.RelayOnly && json.Unmarshal(ev.Data, &j) == nil {
			cfg := webrtc.Configuration{ICETransportPolicy: webrtc.ICETransportPolicyRelay}
			for _, s := range j.ICEServers {
				cfg.ICEServers = append(cfg.ICEServers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
			}
			c.relay.Store(&cfg)
		}
	case "offer":
		var sd sfu.SessionDescription
		if json.Unmarshal(ev.Data, &sd) == nil {
			go c.answerDown(sd.SDP)
		}
	case "answer":
		var sd sfu.SessionDescription
		if json.Unmarshal(ev.Data, &sd) == nil {
			select {
			case c.answers <- sd.SDP:
			default:
			}
		}
	case "layers":
		// The SFU pauses the layers nobody wants and resumes them.
		var le sfu.LayersEvent
		if json.Unmarshal(ev.Data, &le) == nil {
			c.mu.Lock()
			pub := c.pubs[le.Source]
			c.mu.Unlock()
			if pub != nil {
				pub.setLayers(le.Active)
			}
		}
	case "candidate":
		var cd sfu.Candidate
		if json.Unmarshal(ev.Data, &cd) == nil {
			c.mu.Lock()
			p := c.up
			if cd.PC == sfu.PCDown {
				p = c.down
			}
			c.mu.Unlock()
			if p != nil {
				p.addCandidate(cd.Candidate)
			} else if cd.PC == sfu.PCDown {
				c.mu.Lock()
				p = c.downPeerLocked() // nil once the client is closed
				c.mu.Unlock()
				if p != nil {
					p.addCandidate(cd.Candidate)
				}
			}
		}
	}
}

// Events returns every event received so far.
func (c *Client) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.events...)
}

// Mark is a position in the event log, for WaitFrom.
func (c *Client) Mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

// WaitFor returns the first event (from the start) that match accepts.
func (c *Client) WaitFor(ctx context.Context, match func(Event) bool) (Event, error) {
	return c.waitFrom(ctx, 0, match)
}

// WaitFrom returns the first event at or after mark that match accepts.
func (c *Client) WaitFrom(ctx context.Context, mark int, match func(Event) bool) (Event, error) {
	return c.waitFrom(ctx, mark, match)
}

func (c *Client) waitFrom(ctx context.Context, mark int, match func(Event) bool) (Event, error) {
	for {
		c.mu.Lock()
		for ; mark < len(c.events); mark++ {
			if match(c.events[mark]) {
				ev := c.events[mark]
				c.mu.Unlock()
				return ev, nil
			}
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Event{}, fmt.Errorf("%w: %w", ErrNotFound, ctx.Err())
		}
	}
}

// IsType matches events of one type whose data, decoded into T, pass f
// (nil f: any).
func IsType[T any](typ string, f func(T) bool) func(Event) bool {
	return func(e Event) bool {
		if e.Type != typ {
			return false
		}
		if f == nil {
			return true
		}
		var v T
		return json.Unmarshal(e.Data, &v) == nil && f(v)
	}
}

// Subscribe asks for a track (sfu.FloorTrack for the floor) at a quality.
func (c *Client) Subscribe(track sfu.TrackID, q sfu.Quality) error {
	return c.send(signal.TypeSubscribe, signal.Subscribe{TrackID: track, Quality: q.String()})
}

// Mute mutes or unmutes one of the client's own sources at the SFU.
func (c *Client) Mute(src sfu.Source, muted bool) error {
	return c.send(signal.TypeMute, signal.Mute{Source: src, Muted: muted})
}

// MuteParticipant is a moderator muting another participant.
func (c *Client) MuteParticipant(id sfu.ParticipantID, muted bool) error {
	return c.send(signal.TypeMuteParticipant, signal.MuteParticipant{Identity: id, Muted: muted})
}

// Send sends a raw message (tests of bad input).
func (c *Client) Send(typ string, data any) error { return c.send(typ, data) }

// DropSocket closes the WebSocket only, as a network failure would; the
// peer connections stay. Resume reconnects.
func (c *Client) DropSocket() {
	c.mu.Lock()
	ws := c.ws
	c.mu.Unlock()
	_ = ws.Close()
}

// Lost is closed when the current socket ends (the server went away, the
// network failed, or Close): a client that follows the web client's
// reconnect asks the join API again then.
func (c *Client) Lost() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lost
}

// Resume opens a new socket and continues the same participant.
func (c *Client) Resume(ctx context.Context) error {
	c.mu.Lock()
	token := c.joined.ResumeToken
	c.mu.Unlock()
	return c.connect(ctx, token)
}

// Close leaves the room and closes the connections.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	errc := c.sockErr
	c.mu.Unlock()
	_ = c.send(signal.TypeLeave, nil)
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	select {
	case <-errc:
	case <-time.After(2 * time.Second):
	}
	_ = c.ws.Close()
	// Read the connections only now: one may have been created while the
	// socket drained (an up renegotiation or a down offer already under way).
	c.mu.Lock()
	up, down := c.up, c.down
	c.mu.Unlock()
	if up != nil {
		up.close()
	}
	if down != nil {
		down.close()
	}
	c.closeMux()
	return nil
}
