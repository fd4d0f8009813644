package sfu

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cau-gov/cau/sfu/red"
	"github.com/pion/webrtc/v4"
)

// Relays between nodes (internal/cluster, sfu/relay). A room lives on its
// home node; an edge node with participants of it opens one relay to the
// home: a participant of Kind KindRelay of the home room whose up
// connection carries the edge's publishers and whose down connection
// carries what the edge's subscribers need. Each relayed publisher is a
// ghost in the room it arrives in: a participant without connections of
// its own (via names the relay), whose tracks read from the relay's
// connection, so forwarding, the floor, mutes and the allocator treat it
// as any hall. A ghost's key frame requests go back over the relay to the
// node that has the publisher; the observer never hears of ghosts (their
// own node records the roll call); a relay never gets back the tracks it
// carried.
//
// On the home node the relay is a real participant (its onTrack makes
// the ghosts). On the edge node, RelayLink is its counterpart: tracks the
// relay receives from the home are injected into the local room as
// ghosts, and Tap hands the relay the packets of local tracks to send up.

// KindRelay is a participant that is another SFU node (a relay grant).
const KindRelay Kind = "relay"

// ghost returns the relay's ghost for id in its room, making it; an
// identity connected here (not a ghost of this relay) is refused.
func (p *Participant) ghost(id ParticipantID) (*Participant, error) {
	p.ghostMu.Lock()
	defer p.ghostMu.Unlock()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	if g := p.ghosts[id]; g != nil {
		p.mu.Unlock()
		return g, nil
	}
	p.mu.Unlock()
	kind := KindUser
	if strings.HasPrefix(string(id), "hall-") {
		kind = KindHall
	}
	g := &Participant{s: p.s, room: p.room, id: id, via: p, log: p.log.With("ghost", id),
		grant:   Grant{Room: p.room.id, Identity: id, Name: string(id), Kind: kind, Publish: true, Screen: true, Hall: kind == KindHall},
		sources: map[string]Source{}, published: map[Source]*upTrack{}, downs: map[TrackID]*downTrack{}, pending: map[PC][]webrtc.ICECandidateInit{}}
	g.ctx, g.cancel = contextWithCancel()
	g.writer = newWriter(nil)
	p.s.mu.Lock()
	g.serverMuted.Store(p.s.mutedLocked(p.room.id, id))
	p.s.mu.Unlock()
	p.room.mu.Lock()
	if q := p.room.participants[id]; q != nil || p.room.closed {
		p.room.mu.Unlock()
		g.writer.close()
		g.cancel()
		return nil, fmt.Errorf("%w: %s is connected to this node", ErrInvalid, id)
	}
	p.room.participants[id] = g
	p.room.mu.Unlock()
	p.mu.Lock()
	if p.ghosts == nil {
		p.ghosts = map[ParticipantID]*Participant{}
	}
	p.ghosts[id] = g
	p.mu.Unlock()
	p.s.metrics.participants.Inc()
	g.log.Info("ghost joined")
	p.room.broadcast(ParticipantJoinedEvent{Participant: g.info()}, g)
	return g, nil
}

// relayNode is the node at the other end of a relay participant: its
// identity is relay-<node id> on both ends.
func (p *Participant) relayNode() string {
	return strings.TrimPrefix(string(p.id), "relay-")
}

// ghostEmptied ends a ghost whose last track ended: a ghost exists by
// the tracks crossing the relay, and when none is left its participant
// left the node it is on (or stopped everything it sent).
func (g *Participant) ghostEmptied() {
	g.mu.Lock()
	empty := len(g.published) == 0
	g.mu.Unlock()
	r := g.via
	if !empty || r == nil {
		return
	}
	r.mu.Lock()
	mine := r.ghosts[g.id] == g
	if mine {
		delete(r.ghosts, g.id)
	}
	r.mu.Unlock()
	if mine {
		g.Leave("no track left on the relay")
	}
}

// SetGhostMuted is a relay saying the hall behind one of its ghosts muted
// or unmuted a source on its own node: the home room shows it as the
// hall's own mute. Only a relay may, and only for its own ghosts.
func (p *Participant) SetGhostMuted(id ParticipantID, source Source, muted bool) error {
	if p.grant.Kind != KindRelay {
		return ErrNotAllowed
	}
	p.mu.Lock()
	g := p.ghosts[id]
	p.mu.Unlock()
	if g == nil {
		return fmt.Errorf("mute %s: %w", id, ErrNoParticipant)
	}
	return g.SetMuted(source, muted)
}

// leaveGhosts ends the ghosts of a relay that left.
func (p *Participant) leaveGhosts() {
	p.mu.Lock()
	gs := make([]*Participant, 0, len(p.ghosts))
	for _, g := range p.ghosts {
		gs = append(gs, g)
	}
	p.ghosts = nil
	p.mu.Unlock()
	for _, g := range gs {
		g.Leave("relay closed")
	}
}

// relayTrackOwner reads the owner and source of a relayed track from its
// track ID, "<identity>/<source>" (a TrackID of the node it comes from).
func relayTrackOwner(id string) (ParticipantID, Source, error) {
	owner, src, ok := strings.Cut(id, "/")
	s := Source(src)
	if !ok || owner == "" || (s != SourceCamera && s != SourceMicrophone && s != SourceScreen) {
		return "", "", fmt.Errorf("%w: relayed track %q is not <identity>/<source>", ErrInvalid, id)
	}
	return ParticipantID(owner), s, nil
}

// onRelayTrack makes a relayed track a track of its owner's ghost.
func (p *Participant) onRelayTrack(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	owner, src, err := relayTrackOwner(remote.ID())
	var g *Participant
	if err == nil {
		g, err = p.ghost(owner)
	}
	if err != nil {
		p.log.Warn("refused relayed track", "track", remote.ID(), "error", err)
		go drain(remote)
		return
	}
	g.mu.Lock()
	g.sources[remote.ID()] = src
	g.mu.Unlock()
	g.onTrack(remote, recv)
}

// RelayLink is the edge's end of a relay: the tracks its connection
// receives from the home node become ghosts of the local room.
type RelayLink struct {
	p *Participant // not in the room: it holds the ghosts and the connection
}

// NewRelayLink returns the link of room's relay whose connection from the
// home node is pc (its key frame requests go there).
func (s *SFU) NewRelayLink(room RoomID, id ParticipantID, pc *webrtc.PeerConnection) (*RelayLink, error) {
	r, err := s.room(room, true)
	if err != nil {
		return nil, err
	}
	p := &Participant{s: s, room: r, id: id, grant: Grant{Room: room, Identity: id, Kind: KindRelay}, log: r.log.With("relay", id), link: true,
		up: pc, sources: map[string]Source{}, published: map[Source]*upTrack{}, downs: map[TrackID]*downTrack{}, pending: map[PC][]webrtc.ICECandidateInit{}}
	p.ctx, p.cancel = contextWithCancel()
	return &RelayLink{p: p}, nil
}

// Inject makes a track received from the home node a track of its
// owner's ghost in the local room.
func (l *RelayLink) Inject(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	l.p.onRelayTrack(remote, recv)
}

// Drop ends the ghost of a participant that left the home room.
func (l *RelayLink) Drop(id ParticipantID) {
	l.p.mu.Lock()
	g := l.p.ghosts[id]
	delete(l.p.ghosts, id)
	l.p.mu.Unlock()
	if g != nil {
		g.Leave("left the home node")
	}
}

// Has reports whether id is a ghost of this link.
func (l *RelayLink) Has(id ParticipantID) bool {
	l.p.mu.Lock()
	defer l.p.mu.Unlock()
	return l.p.ghosts[id] != nil
}

// Close ends every ghost of the link.
func (l *RelayLink) Close() {
	l.p.mu.Lock()
	l.p.closed = true
	l.p.mu.Unlock()
	l.withdrawAll()
	l.p.leaveGhosts()
	l.p.cancel()
}

// tap hands the packets of a track to a relay, without ever blocking the
// reader: a full queue drops the packet (the home node NACKs it).
type tap struct {
	ch chan tapPacket
	// want is the layer the tap forwards now (0 low .. 2 high), so the
	// layers above it may be paused at the publisher (pause.go); nil:
	// every layer.
	want func() int
}

// layer is the best layer the tap wants.
func (t *tap) layer() int {
	if t.want == nil {
		return 2
	}
	return t.want()
}

type tapPacket struct {
	layer int
	key   bool // the packet starts a key frame
	b     []byte
}

// push queues a copy of p, a packet of src; RED goes as its primary Opus
// frame, as the track is announced (a relay's or a recorder's peer knows
// only Opus).
func (t *tap) push(layer int, p *packet, src *upTrack) {
	var b []byte
	if src.isRED(p) {
		prim, err := red.Primary(p.payload())
		if err != nil || prim.PT != src.codecPT() || len(prim.Data) == 0 {
			return
		}
		b = append(append(make([]byte, 0, p.info.payloadStart+len(prim.Data)), p.buf[:p.info.payloadStart]...), prim.Data...)
		b[0] &^= 0x20 // no padding
		b[1] = b[1]&0x80 | prim.PT
	} else {
		b = make([]byte, p.n)
		copy(b, p.buf[:p.n])
	}
	select {
	case t.ch <- tapPacket{layer, p.keyframe, b}:
	default:
	}
}

// Tap calls fn, from a goroutine of its own, with every packet forwarded
// of the track (each simulcast layer: layer 0 low .. 2 high; key: it
// starts a key frame), until the returned function is called or the track
// ends. Muted tracks carry nothing. Audio is Opus: a publisher's RED comes
// as its primary frames.
func (s *SFU) Tap(room RoomID, id TrackID, fn func(layer int, key bool, pkt []byte)) (untap func(), err error) {
	return s.TapLayer(room, id, nil, fn)
}

// TapLayer is Tap for a consumer that forwards one layer of a simulcast
// track: want reports which now (0 low .. 2 high; called from the room's
// loop, it must not block), and the publisher may stop sending the layers
// above it that nobody else wants. A consumer of the layer it wants
// should fall back to a lower one while that layer sends nothing: a
// paused layer resumes a round trip after want names it.
func (s *SFU) TapLayer(room RoomID, id TrackID, want func() int, fn func(layer int, key bool, pkt []byte)) (untap func(), err error) {
	r, err := s.room(room, false)
	if err != nil {
		return nil, err
	}
	t := r.track(id)
	if t == nil {
		return nil, fmt.Errorf("tap %s: %w", id, ErrNoTrack)
	}
	return t.tap(want, fn), nil
}

// tap is Tap on the track itself.
func (t *upTrack) tap(want func() int, fn func(layer int, key bool, pkt []byte)) (untap func()) {
	tp := &tap{ch: make(chan tapPacket, 256), want: want}
	t.mu.Lock()
	var n []*tap
	if old := t.taps.Load(); old != nil {
		n = slices.Clone(*old)
	}
	n = append(n, tp)
	t.taps.Store(&n)
	t.mu.Unlock()
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-t.owner.ctx.Done():
				return
			case pk := <-tp.ch:
				fn(pk.layer, pk.key, pk.b)
			}
		}
	}()
	return func() {
		t.mu.Lock()
		if old := t.taps.Load(); old != nil {
			n := slices.DeleteFunc(slices.Clone(*old), func(x *tap) bool { return x == tp })
			t.taps.Store(&n)
		}
		t.mu.Unlock()
		close(stop)
	}
}

// RequestKeyframe asks a track's publisher for a key frame on the layer
// (a relay's receiver asked for one).
func (s *SFU) RequestKeyframe(room RoomID, id TrackID, layer int) {
	r, err := s.room(room, false)
	if err != nil {
		return
	}
	if t := r.track(id); t != nil {
		if l := t.pickLayer(layer); l != nil {
			l.requestKeyframe(s.cfg.PLIInterval, s.metrics)
		}
	}
}

// LocalTracks are what this node's relay carries up: the room's tracks
// published here and those relays of other nodes brought here (a chain:
// a commune node relays to its district node, which relays on), never
// those its own relay brought down.
func (s *SFU) LocalTracks(room RoomID) []TrackInfo {
	r, err := s.room(room, false)
	if err != nil {
		return nil
	}
	r.mu.Lock()
	var ts []*upTrack
	for _, t := range r.tracks {
		if t.owner.via == nil || !t.owner.via.link {
			ts = append(ts, t)
		}
	}
	r.mu.Unlock()
	out := make([]TrackInfo, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.info())
	}
	slices.SortFunc(out, func(a, b TrackInfo) int { return compare(a.ID, b.ID) })
	return out
}

// IsLocal reports whether id is connected to this node (not a ghost).
func (s *SFU) IsLocal(room RoomID, id ParticipantID) bool {
	p, err := s.participant(room, id)
	return err == nil && p.via == nil
}

// Egress returns, per participant of the room, the packets sent so far of
// each track it receives (retransmissions included): how many times a
// track leaves this node, e.g. once per relay whatever the halls behind it.
func (s *SFU) Egress(room RoomID) map[ParticipantID]map[TrackID]uint64 {
	out := map[ParticipantID]map[TrackID]uint64{}
	for _, p := range s.members(room) {
		p.mu.Lock()
		m := make(map[TrackID]uint64, len(p.downs))
		for id, d := range p.downs {
			m[id] = d.packetsSent.Load()
		}
		p.mu.Unlock()
		out[p.id] = m
	}
	return out
}
