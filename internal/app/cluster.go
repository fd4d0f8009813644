package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/cluster"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/httpapi"
	"github.com/cau-gov/cau/internal/keys"
	"github.com/cau-gov/cau/internal/meeting"
	"github.com/cau-gov/cau/internal/roomtoken"
	"github.com/cau-gov/cau/internal/store"
	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/relay"
	"github.com/cau-gov/cau/sfu/sfuclient"
	"github.com/cau-gov/cau/sfu/whip"
)

// node is this process as a node of a cluster (CAU_NODE_ID set).
type node struct {
	dir      *cluster.Directory
	leases   *cluster.Leases
	commands *cluster.Commands
	agent    *cluster.Agent  // SFU role only
	relays   *relays         // SFU role only
	placer   *cluster.Placer // api role only
	// recordings forwards recording starts and stops to the room's
	// home node; SFU nodes answer them.
	recordings *recForwarder
	stop       context.CancelFunc
}

// wireCluster joins the process to the cluster when CAU_NODE_ID is set:
// an api node places joining clients with the directory and sends
// moderation to the rooms over Redis; an SFU node registers itself,
// keeps its rooms' leases and applies the commands to its participants.
// Called after the SFU is set up.
func (a *App) wireCluster(deps *httpapi.Deps) error {
	cfg := a.Config.Node
	if !cfg.Clustered() {
		return nil
	}
	key, err := keys.LoadEd25519(cfg.KeyFile, !a.Config.Production())
	if err != nil {
		return fmt.Errorf("CAU_NODE_KEY_FILE: %w", err)
	}
	a.NodeKey = key
	a.relayVerifier = roomtoken.NewRelayVerifier(key.Public().(ed25519.PublicKey))
	log := a.Log.With("component", "cluster", "node", cfg.ID)
	n := &node{dir: cluster.NewDirectory(a.Redis, key, cfg.TTL), leases: cluster.NewLeases(a.Redis, cfg.TTL),
		commands: cluster.NewCommands(a.Redis, log)}
	a.node = n
	// A recording runs on its room's home node, whichever node the
	// chair's request reached (recforward.go); a node has twice the TTL
	// to answer, as long as it may be dead without the directory knowing.
	n.recordings = &recForwarder{rdb: a.Redis, key: key, dir: n.dir, leases: n.leases,
		timeout: max(2*cfg.TTL, 2*time.Second), log: log.With("component", "recordings")}
	a.Recordings.Forward = n.recordings
	if cfg.Has(config.RoleAPI) {
		n.placer = cluster.NewPlacer(n.dir, n.leases)
		deps.Placement = placement{p: n.placer, db: a.DB}
		a.Meetings.SetMedia(clusterMedia{c: n.commands, origin: cfg.ID})
	}
	if a.SFU != nil {
		self := cluster.Node{ID: cfg.ID, URL: cfg.PublicURL, Units: cfg.Units, Parent: cfg.Parent,
			Media: append(append([]string(nil), a.SFU.UDPAddrs()...), a.SFU.TCPAddrs()...)}
		n.relays = &relays{a: a, self: cfg.ID, signer: roomtoken.NewRelaySigner(key), dir: n.dir, open: map[string]*openRelay{}, homed: map[string]bool{}, failed: map[string]*unreachable{}, probe: cluster.ProbeReady,
			opts: relay.Options{Client: sfuclient.Options{IPFilter: listenIPs(a.Config.RTC.ListenIPs)}}}
		n.agent = cluster.NewAgent(self, n.dir, n.leases, sfuRooms{a.SFU}, n.relays, cfg.Heartbeat, log)
		if h, ok := deps.WHIP.(*whip.Handler); ok {
			h.SetRoomCheck(n.homeAlive(cfg.TTL))
		}
		a.SFU.SetObserver(kickObserver{next: a.observer, agent: n.agent, relays: n.relays})
	}
	return nil
}

// homeAlive is the WHIP/WHEP room check of an SFU node: any room is
// served here (its relay carries the session to and from the room's
// home), but not one whose home node is gone: the lease still names it,
// nothing could reach the home for the session, and the room re-homes
// on a live node within the TTL, when the encoder or player may retry.
func (n *node) homeAlive(ttl time.Duration) whip.RoomCheck {
	return func(ctx context.Context, room sfu.RoomID) error {
		_, err := cluster.LiveHome(ctx, n.dir, n.leases, string(room))
		if errors.Is(err, cluster.ErrHomeGone) {
			return &whip.Unavailable{Code: "home_unavailable", RetryAfter: ttl,
				Message: fmt.Sprintf("%v; the room moves to a live node within %v: try again then", err, ttl)}
		}
		return err
	}
}

// startCluster registers the SFU node and listens for room commands; the
// returned function drains the node and takes it out of the directory.
func (a *App) startCluster(ctx context.Context) (stop func(), err error) {
	n := a.node
	if n == nil || n.agent == nil {
		return func() {}, nil
	}
	cctx, cancel := context.WithCancel(context.Background())
	n.stop = cancel
	apply := sfuMedia{s: a.SFU, ttl: a.Config.Tokens.RoomTTL}
	if err := n.commands.Listen(cctx, func(c cluster.Command) { a.applyCommand(apply, c) }); err != nil {
		cancel()
		return nil, err
	}
	if err := n.agent.Start(cctx); err != nil {
		cancel()
		return nil, err
	}
	go n.recordings.serve(cctx, a.Config.Node.ID, a.Recordings)
	return func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		n.agent.Drain(sctx)
		n.relays.closeAll()
		moved := a.SFU.Drain()
		a.Log.Info("node drained", "node", a.Config.Node.ID, "participants_moved", moved)
		n.agent.Leave(sctx)
		cancel()
	}, nil
}

// applyCommand applies a room command to the participants of this node.
// A command about someone not here is for another node (or nobody yet:
// mutes and removals still hold for a later join here).
func (a *App) applyCommand(m sfuMedia, c cluster.Command) {
	var err error
	switch c.Kind {
	case cluster.CmdMute:
		err = m.SetMuted(c.Room, c.Identity, c.Muted)
	case cluster.CmdRemove:
		err = m.Remove(c.Room, c.Identity, c.At)
	case cluster.CmdState:
		err = m.SetRoomState(c.Room, c.State, c.At)
	case cluster.CmdPin:
		err = m.PinFloor(c.Room, c.Identity)
		if errors.Is(err, sfu.ErrNoRoom) || errors.Is(err, sfu.ErrNoParticipant) {
			err = nil
		}
	}
	if err != nil && !errors.Is(err, sfu.ErrClosed) {
		a.Log.Warn("room command", "kind", c.Kind, "room", c.Room, "identity", c.Identity, "origin", c.Origin, "error", err)
	}
}

// listenIPs lets a relay gather candidates on the node's media addresses
// only (CAU_RTC_IPS); all of them when none are set.
func listenIPs(ips []string) func(net.IP) bool {
	return func(ip net.IP) bool {
		if len(ips) == 0 {
			return true
		}
		return slices.ContainsFunc(ips, func(s string) bool { return net.ParseIP(s).Equal(ip) })
	}
}

// clusterMedia is the meeting service's Media on an api node of a
// cluster: each call becomes a room command for every SFU node.
type clusterMedia struct {
	c      *cluster.Commands
	origin string
}

func (m clusterMedia) send(c cluster.Command) error {
	c.Origin = m.origin
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := m.c.Publish(ctx, c)
	return err
}

func (m clusterMedia) PinFloor(room, identity string) error {
	return m.send(cluster.Command{Kind: cluster.CmdPin, Room: room, Identity: identity})
}

func (m clusterMedia) SetMuted(room, identity string, muted bool) error {
	return m.send(cluster.Command{Kind: cluster.CmdMute, Room: room, Identity: identity, Muted: muted})
}

func (m clusterMedia) Remove(room, identity string, at time.Time) error {
	return m.send(cluster.Command{Kind: cluster.CmdRemove, Room: room, Identity: identity, At: at})
}

func (m clusterMedia) SetRoomState(room, state string, at time.Time) error {
	return m.send(cluster.Command{Kind: cluster.CmdState, Room: room, State: state, At: at})
}

// sfuRooms is the SFU as the agent's Rooms.
type sfuRooms struct{ s *sfu.SFU }

func (r sfuRooms) RoomLoads() map[string]int {
	out := map[string]int{}
	for room, n := range r.s.RoomLoads() {
		out[string(room)] = n
	}
	return out
}

// placement places joining clients with the directory, by the unit of the
// hall (or of the person).
type placement struct {
	p  *cluster.Placer
	db *store.DB
}

func (pl placement) Place(ctx context.Context, room string, hall *auth.HallID, unit auth.UnitID) (string, error) {
	var ancestry []int64
	if hall != nil || unit > 0 {
		var err error
		if ancestry, err = pl.db.UnitAncestry(ctx, hall, unit); err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
	}
	n, err := pl.p.Place(ctx, room, ancestry)
	if errors.Is(err, cluster.ErrNoNode) {
		return "", meeting.ErrNoMediaNode
	}
	if err != nil {
		return "", err
	}
	return n.URL, nil
}

// relays keeps one relay per room homed on another node (sfu/relay): it
// hears the homes of this node's rooms every heartbeat (cluster.Agent),
// opens a relay to each room's relay target (the home, or this node's
// parent on the way to it: cluster.RelayTarget), and closes the relays of
// rooms now homed here, re-homed, gone or whose target changed.
type relays struct {
	a      *App
	self   string
	signer *roomtoken.Signer
	dir    *cluster.Directory
	opts   relay.Options

	mu     sync.Mutex
	open   map[string]*openRelay   // room → its relay
	homed  map[string]bool         // rooms homed here at the last heartbeat
	failed map[string]*unreachable // nodes a relay could not reach
	probe  func(context.Context, cluster.Node) error
}

// unreachable is a node a relay failed to open to: it is passed over
// until its /readyz answers. A probe is sent once wait has passed since
// the last failure and the node has heartbeated since (a restart); wait
// doubles with each failure, from the node TTL to a minute. Retrying the
// node itself would close the working relay that went round it (to its
// parent or the home) and leave the room's halls dark while the dial
// failed: a node alive in the directory but unreachable from here (a
// broken route) would flap every heartbeat.
type unreachable struct {
	at      time.Time     // the last failure
	wait    time.Duration // before the next probe
	probing bool
	ready   bool // a probe answered: relays may go through it again
}

type openRelay struct {
	to string       // the node relayed to: the home, or a parent on the way
	r  *relay.Relay // nil while opening
}

// Homes implements cluster.HomeWatcher.
func (m *relays) Homes(self string, homes map[string]string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	nodes, _, err := m.dir.Nodes(ctx)
	cancel()
	m.mu.Lock()
	defer m.mu.Unlock()
	// A parent a relay could not reach since its last heartbeat is passed
	// over (it died and its record has not lapsed: up to the TTL), so the
	// chain goes round it, to its parent or the home, at once.
	now := time.Now()
	nodes = slices.DeleteFunc(nodes, func(n cluster.Node) bool { return m.passOver(n, now) })
	target := func(room, home string) string {
		if err != nil {
			// The directory did not answer: keep what is open rather
			// than move every chain to the home and back.
			if o := m.open[room]; o != nil && home != "" && home != self {
				return o.to
			}
			return cluster.RelayTarget(nil, self, home)
		}
		return cluster.RelayTarget(nodes, self, home)
	}
	targets := make(map[string]string, len(homes))
	for room, home := range homes {
		targets[room] = target(room, home)
	}
	for room, o := range m.open {
		dead := false
		if o.r != nil {
			select {
			case <-o.r.Done():
				dead = true
			default:
			}
		}
		if to := targets[room]; to != o.to || to == "" || dead {
			if o.r != nil {
				go o.r.Close()
			}
			delete(m.open, room)
		}
	}
	for room := range m.homed {
		if homes[room] != self {
			delete(m.homed, room)
		}
	}
	for room, home := range homes {
		if home == self && !m.homed[room] {
			m.homed[room] = true
			go m.restoreFloor(room)
		}
		to := targets[room]
		if to == "" || m.open[room] != nil {
			continue
		}
		o := &openRelay{to: to}
		m.open[room] = o
		go m.dial(room, o)
	}
}

func (m *relays) dial(room string, o *openRelay) {
	log := m.a.Log.With("component", "relay", "room", room, "to", o.to)
	fail := func(err error) {
		log.Warn("relay not opened; retried at the next heartbeat", "error", err)
		m.mu.Lock()
		if m.open[room] == o {
			delete(m.open, room)
		}
		m.markFailed(o.to, time.Now())
		m.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	to, err := m.dir.Get(ctx, o.to)
	if err != nil {
		fail(err)
		return
	}
	tok, err := m.signer.SignRelay(room, m.self, m.a.Config.Tokens.RoomTTL)
	if err != nil {
		fail(err)
		return
	}
	opts := m.opts
	opts.Home = o.to
	r, err := relay.Open(ctx, m.a.SFU, sfu.RoomID(room), to.SignalingURL(), tok, opts, log)
	if err != nil {
		fail(err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.failed, o.to)
	if m.open[room] != o {
		go r.Close() // closed meanwhile
		return
	}
	o.r = r
}

// passOver reports whether relays should go round n, a node a relay
// could not reach, and sends it a probe when one is due (m.mu held).
func (m *relays) passOver(n cluster.Node, now time.Time) bool {
	u := m.failed[n.ID]
	if u == nil || u.ready {
		return false
	}
	if !u.probing && now.Sub(u.at) >= u.wait && n.Seen.After(u.at) {
		u.probing = true
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err := m.probe(ctx, n)
			cancel()
			m.mu.Lock()
			defer m.mu.Unlock()
			u.probing = false
			if err != nil {
				m.markFailed(n.ID, time.Now())
				return
			}
			u.ready = true // the next heartbeat relays through it
		}()
	}
	return true
}

// markFailed notes that a relay to node failed, or a probe of it (m.mu
// held).
func (m *relays) markFailed(node string, now time.Time) {
	u := m.failed[node]
	if u == nil {
		m.failed[node] = &unreachable{at: now, wait: m.a.Config.Node.TTL}
		return
	}
	u.at, u.ready = now, false
	u.wait = min(2*u.wait, time.Minute)
}

// restoreFloor pins, on a node that has just become a room's home, the
// floor the session in PostgreSQL says (the speaker granted the floor):
// when the previous home died, its pin died with it. The speaker's hall
// may not be back yet (its client re-joins, or its node re-relays): tried
// every heartbeat for 15 s while the room stays homed here.
func (m *relays) restoreFloor(room string) {
	if m.a.Meetings == nil {
		return
	}
	log := m.a.Log.With("component", "relay", "room", room)
	every := m.a.Config.Node.Heartbeat
	for until := time.Now().Add(15 * time.Second); time.Now().Before(until); time.Sleep(every) {
		m.mu.Lock()
		homed := m.homed[room]
		m.mu.Unlock()
		if !homed {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		hall, user, err := m.a.Meetings.FloorOf(ctx, room)
		cancel()
		if err != nil {
			log.Debug("floor not restored", "error", err)
			return
		}
		if hall == "" && user == "" {
			return
		}
		for _, id := range []string{hall, user} {
			if id == "" {
				continue
			}
			if err = m.a.SFU.PinFloor(sfu.RoomID(room), sfu.ParticipantID(id)); err == nil {
				log.Info("floor restored from the session", "identity", id)
				return
			}
		}
		if !errors.Is(err, sfu.ErrNoParticipant) && !errors.Is(err, sfu.ErrNoRoom) {
			log.Warn("floor not restored", "error", err)
			return
		}
	}
}

// closeAll closes every relay (the node drains).
func (m *relays) closeAll() {
	m.mu.Lock()
	rs := m.open
	m.open = map[string]*openRelay{}
	m.mu.Unlock()
	for _, o := range rs {
		if o.r != nil {
			o.r.Close()
		}
	}
}

// kickObserver runs the agent's heartbeat at once when someone joins a room
// this node neither homes nor relays yet (a hall, a lobby screen, a relay
// from below), so the room's lease is taken or its relay opened now
// rather than at the next heartbeat (up to CAU_NODE_HEARTBEAT later: the
// first picture of a lobby screen on a district node waited for it). It
// passes every call on to the roll call.
type kickObserver struct {
	next   sfu.Observer // nil: none
	agent  *cluster.Agent
	relays *relays
}

func (o kickObserver) ParticipantJoined(room sfu.RoomID, id sfu.ParticipantID, kind sfu.Kind, at time.Time) {
	if !o.relays.knows(string(room)) {
		o.agent.Kick()
	}
	if o.next != nil {
		o.next.ParticipantJoined(room, id, kind, at)
	}
}

func (o kickObserver) ParticipantLeft(room sfu.RoomID, id sfu.ParticipantID, kind sfu.Kind, at time.Time) {
	if o.next != nil {
		o.next.ParticipantLeft(room, id, kind, at)
	}
}

func (o kickObserver) FloorChanged(room sfu.RoomID, id sfu.ParticipantID, at time.Time) {
	if o.next != nil {
		o.next.FloorChanged(room, id, at)
	}
}

// knows reports whether the room is homed here or has a relay (open or
// opening) at the last heartbeat.
func (m *relays) knows(room string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.homed[room] || m.open[room] != nil
}
