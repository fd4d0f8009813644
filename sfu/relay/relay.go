// Package relay is the edge node's end of a relay between SFU nodes: one
// connection per room to the room's home node (or to its parent node on
// the way there, a chain: internal/cluster.RelayTarget), as a participant
// of that room with a relay grant (internal/roomtoken), over the ordinary
// signaling protocol and two pion peer connections (sfu/sfuclient).
//
// Up, it carries every track published on this node (and those of relays
// that joined this node from below in a chain), one stream each,
// of the layer the home wants: a camera in low (the strip's thumbnails and
// the operator console) unless its hall has the home room's floor, then in
// high (splice.go switches at a key frame and keeps the stream's numbers
// continuous); screens and microphones in their best. The home node turns
// them into ghosts of its room, so its halls see and hear this node's.
// Down, it receives what this node's halls need: the audio the home room
// forwards (the floor and the loudest halls; never the audio it carried
// up), the floor's camera, which it subscribes to whenever the home room's
// floor moves to a participant of another node, and the other nodes'
// cameras (in low: thumbnails) and screens its halls ask for: it offers
// them in the local room (sfu.RelayLink.Offer) and subscribes while a
// local subscriber wants one (thumbnails). Each track arrives once per
// relay, whatever the number of halls behind it, and is injected into the
// local room as a ghost's; the local floor follows the home's.
package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
	"github.com/cau-gov/cau/sfu/signal"
)

// Relay is one room's relay to its home node.
type Relay struct {
	s    *sfu.SFU
	room sfu.RoomID
	log  *slog.Logger
	ctx  context.Context
	stop context.CancelFunc
	c    *sfuclient.Client
	link *sfu.RelayLink
	home string          // the home node's ID
	out  *sfu.RelayMeter // what goes up the link

	ready chan struct{} // closed once Dial returned: c is set

	mu       sync.Mutex
	up       map[sfu.TrackID]*carried      // local tracks carried up
	floor    sfu.ParticipantID             // the home room's floor
	floorSub sfu.TrackID                   // the remote camera subscribed for it
	remote   map[sfu.TrackID]sfu.TrackInfo // the home room's cameras of other nodes
	offered  map[sfu.TrackID]bool          // those offered in the local room
	asked    map[sfu.TrackID]sfu.Quality   // what was last asked of the home per camera
	done     chan struct{}
}

// carried is a local track the relay carries up.
type carried struct {
	untap  func()
	sender *webrtc.RTPSender
	camera sfu.ParticipantID // the owner, for a camera ("" for other sources)
	splice *splicer
	muted  bool // as last told to the home (mu)
}

// Options tune a relay; the zero value is fine.
type Options struct {
	// Client options of the connection to the home node (loopback
	// candidates in tests, a UDP mux).
	Client sfuclient.Options
	// Sync is how often local tracks are checked for carrying up.
	// Default 250 ms.
	Sync time.Duration
	// Home is the home node's ID: the link's name in the counters
	// (cau_sfu_relay_*{link=...}). Default "home".
	Home string
}

// Open connects room's relay to the home node's signaling URL with a
// relay grant and starts carrying.
func Open(ctx context.Context, s *sfu.SFU, room sfu.RoomID, url, token string, o Options, log *slog.Logger) (*Relay, error) {
	if o.Sync <= 0 {
		o.Sync = 250 * time.Millisecond
	}
	if o.Home == "" {
		o.Home = "home"
	}
	rctx, cancel := context.WithCancel(context.Background())
	r := &Relay{s: s, room: room, home: o.Home, out: s.RelayMeter(o.Home, "out"), log: log.With("room", room, "home", url), ctx: rctx, stop: cancel,
		up: map[sfu.TrackID]*carried{}, remote: map[sfu.TrackID]sfu.TrackInfo{}, offered: map[sfu.TrackID]bool{}, asked: map[sfu.TrackID]sfu.Quality{},
		ready: make(chan struct{}), done: make(chan struct{})}
	co := o.Client
	co.URL, co.Token, co.Logger = url, token, r.log
	co.OnTrack = r.onTrack
	co.OnEvent = r.onEvent
	c, err := sfuclient.Dial(ctx, co)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("relay %s to %s: %w", room, url, err)
	}
	r.c = c
	r.mu.Lock()
	for _, t := range c.Joined().Tracks {
		r.noteRemote(t, true)
	}
	r.mu.Unlock()
	close(r.ready)
	r.setFloor(c.Joined().Floor)
	go r.run(o.Sync)
	r.log.Info("relay open")
	return r, nil
}

// Done is closed when the relay has stopped (closed, or its connection
// to the home node failed).
func (r *Relay) Done() <-chan struct{} { return r.done }

// Close stops carrying and ends the ghosts it made.
func (r *Relay) Close() {
	r.stop()
	<-r.done
}

func (r *Relay) run(every time.Duration) {
	defer close(r.done)
	defer func() {
		r.mu.Lock()
		for _, c := range r.up {
			c.untap()
			r.out.Stream(-1)
		}
		r.up = nil
		r.mu.Unlock()
		_ = r.c.Close()
		if l := r.linkOf(); l != nil {
			l.Close()
		}
		r.log.Info("relay closed")
	}()
	t := time.NewTicker(every)
	defer t.Stop()
	lost := r.c.Lost()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-lost:
			// The home node went away (it died or drained): the relay
			// ends, and the node opens a new one to the room's next home.
			r.log.Warn("relay socket to the home node closed")
			return
		case <-t.C:
			if pc := r.c.UpConnection(); pc != nil && pc.ConnectionState() == webrtc.PeerConnectionStateFailed {
				r.log.Warn("relay connection failed")
				return
			}
			r.carry()
			r.thumbnails()
		}
	}
}

// carry starts carrying up each local track not carried yet, and stops
// carrying those that ended here (a hall that left, a screen share that
// stopped): the home unpublishes them, and a ghost left without tracks
// leaves the home room.
func (r *Relay) carry() {
	local := r.s.LocalTracks(r.room)
	here := make(map[sfu.TrackID]bool, len(local))
	for _, t := range local {
		here[t.ID] = true
		r.mu.Lock()
		c, ok := r.up[t.ID]
		tell := ok && c.muted != t.Muted
		if tell {
			c.muted = t.Muted
		}
		r.mu.Unlock()
		if tell {
			// The hall muted (or unmuted) it here: the home shows it so.
			if err := r.c.Send("mute", signal.Mute{Identity: t.Participant, Source: t.Source, Muted: t.Muted}); err != nil {
				r.log.Debug("relay mute", "track_id", t.ID, "error", err)
			}
		}
		if ok {
			continue
		}
		if err := r.carryTrack(t); err != nil {
			r.log.Warn("relay up", "track_id", t.ID, "error", err)
		}
	}
	r.mu.Lock()
	var gone []*carried
	for id, c := range r.up {
		if !here[id] {
			gone = append(gone, c)
			delete(r.up, id)
		}
	}
	r.mu.Unlock()
	for _, c := range gone {
		c.untap()
		r.out.Stream(-1)
		ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
		if err := r.c.UnpublishTrack(ctx, c.sender); err != nil {
			r.log.Warn("relay unpublish", "error", err)
		}
		cancel()
	}
}

func (r *Relay) carryTrack(t sfu.TrackInfo) error {
	codec := webrtc.RTPCodecCapability{MimeType: t.Codec, ClockRate: 90000}
	if t.Kind == webrtc.RTPCodecTypeAudio.String() {
		codec = webrtc.RTPCodecCapability{MimeType: t.Codec, ClockRate: 48000, Channels: 2}
	}
	local, err := webrtc.NewTrackLocalStaticRTP(codec, string(t.ID), string(t.Participant))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	defer cancel()
	sender, err := r.c.PublishTrack(ctx, local, t.Source)
	if err != nil {
		return err
	}
	// One stream per track, of the layer the home wants (wantOf).
	c := &carried{sender: sender, splice: newSplicer(codec.ClockRate, 2)}
	if t.Source == sfu.SourceCamera {
		c.camera = t.Participant
		r.mu.Lock()
		c.splice.setWant(wantOf(c.camera, r.floor))
		r.mu.Unlock()
	}
	// The layer it wants is all it needs of the publisher: the others
	// may be paused there (the splicer sends a lower one meanwhile).
	untap, err := r.s.TapLayer(r.room, t.ID, c.splice.wanted, func(layer int, key bool, pkt []byte) {
		send, ask := c.splice.next(layer, key, pkt)
		if ask >= 0 {
			r.s.RequestKeyframe(r.room, t.ID, ask)
		}
		if send {
			if _, err := local.Write(pkt); err == nil {
				r.out.Packet(len(pkt))
			}
		}
	})
	if err != nil {
		return err
	}
	go func() { // key frame requests of the home node's subscribers
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				switch p.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					r.s.RequestKeyframe(r.room, t.ID, c.splice.layer())
				}
			}
		}
	}()
	c.untap = untap
	r.mu.Lock()
	r.up[t.ID] = c
	r.mu.Unlock()
	r.out.Stream(1)
	r.log.Debug("relay carries", "track_id", t.ID)
	return nil
}

// linkNow returns the link, making it once the connection from the home
// node exists.
func (r *Relay) linkNow() (*sfu.RelayLink, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.link == nil {
		pc := r.c.DownConnection()
		if pc == nil {
			return nil, errors.New("no connection from the home node yet")
		}
		l, err := r.s.NewRelayLink(r.room, sfu.ParticipantID("relay-"+r.home), pc)
		if err != nil {
			return nil, err
		}
		r.link = l
	}
	return r.link, nil
}

func (r *Relay) linkOf() *sfu.RelayLink {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.link
}

// onTrack injects a track from the home node into the local room.
func (r *Relay) onTrack(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	select {
	case <-r.ready:
	case <-r.ctx.Done():
		return
	}
	l, err := r.linkNow()
	if err != nil {
		r.log.Warn("relay down", "error", err)
		return
	}
	l.Inject(remote, recv)
	// The floor read after the ghost exists: setFloor, running meanwhile,
	// pins it only if the ghost was there when it looked.
	r.mu.Lock()
	floor := r.floor
	r.mu.Unlock()
	if owner, _, ok := strings.Cut(remote.ID(), "/"); ok && sfu.ParticipantID(owner) == floor {
		r.pin(floor)
	}
}

// onEvent follows the home room: its floor, who leaves it.
func (r *Relay) onEvent(ev sfuclient.Event) {
	switch ev.Type {
	case "floor":
		var f sfu.FloorEvent
		if json.Unmarshal(ev.Data, &f) == nil {
			go r.setFloor(f.Identity)
		}
	case "track_published":
		var tp sfu.TrackPublished
		if json.Unmarshal(ev.Data, &tp) == nil {
			r.mu.Lock()
			r.noteRemote(tp.Track, true)
			want := r.floor != "" && tp.Track.ID == cameraOf(r.floor) && r.floorSub != tp.Track.ID
			if r.asked[tp.Track.ID] > sfu.QualityOff {
				// Asked before the home had it (a camera restarted): ask again.
				delete(r.asked, tp.Track.ID)
				go func() { _ = r.ask(tp.Track.ID) }()
			}
			r.mu.Unlock()
			if want {
				go r.setFloor(tp.Track.Participant)
			}
		}
	case "track_unpublished":
		var tu sfu.TrackUnpublished
		if json.Unmarshal(ev.Data, &tu) == nil {
			r.mu.Lock()
			r.noteRemote(sfu.TrackInfo{ID: tu.TrackID}, false)
			r.mu.Unlock()
		}
	case "participant_left":
		var pl sfu.ParticipantLeftEvent
		if json.Unmarshal(ev.Data, &pl) == nil {
			if l := r.linkOf(); l != nil {
				go l.Drop(pl.Identity)
			}
		}
	}
}

// wantOf is the layer of a camera the home node wants: the floor's in
// high (every hall watches it in the best layer its link carries), every
// other in low (the thumbnails of the strip and the operator console).
// Screens and microphones go up in their best layer.
func wantOf(owner, floor sfu.ParticipantID) int {
	if owner == floor {
		return 2
	}
	return 0
}

// wantFloor sets the layers wanted of the cameras carried up after the
// home's floor moved to floor. Called with mu held.
func (r *Relay) wantFloor(floor sfu.ParticipantID) {
	for _, c := range r.up {
		if c.camera != "" {
			c.splice.setWant(wantOf(c.camera, floor))
		}
	}
}

func cameraOf(id sfu.ParticipantID) sfu.TrackID {
	return sfu.TrackID(string(id) + "/" + string(sfu.SourceCamera))
}

// setFloor follows the home room's floor: a participant of this node is
// pinned here at once; another's camera is subscribed to over the relay
// (the previous one turned off) and pinned when it arrives.
func (r *Relay) setFloor(id sfu.ParticipantID) {
	select {
	case <-r.ready:
	case <-r.ctx.Done():
		return
	}
	r.mu.Lock()
	r.floor = id
	r.wantFloor(id)
	prev := r.floorSub
	r.mu.Unlock()
	if id == "" {
		return
	}
	if r.here(id) {
		if prev != "" {
			r.mu.Lock()
			r.floorSub = ""
			r.mu.Unlock()
			_ = r.ask(prev)
		}
		r.pin(id)
		return
	}
	want := cameraOf(id)
	if prev != want {
		r.mu.Lock()
		r.floorSub = want
		r.mu.Unlock()
		if prev != "" {
			_ = r.ask(prev)
		}
		if err := r.ask(want); err != nil {
			r.log.Warn("relay floor", "track_id", want, "error", err)
			return
		}
	}
	if l := r.linkOf(); l != nil && l.Has(id) {
		r.pin(id)
	}
}

// here reports whether id's media is on this node without this relay: a
// hall connected here, or a ghost of a node relaying to this one (a
// chain). Its camera goes up this relay; asking for it back would bring
// it down the same link.
func (r *Relay) here(id sfu.ParticipantID) bool {
	if _, ok := r.s.Participant(r.room, id); !ok {
		return false
	}
	l := r.linkOf()
	return l == nil || !l.Has(id)
}

func (r *Relay) pin(id sfu.ParticipantID) {
	if err := r.s.PinFloor(r.room, id); err != nil && !errors.Is(err, sfu.ErrNoParticipant) {
		r.log.Debug("relay pin", "identity", id, "error", err)
	}
}

// noteRemote records a camera or screen of the home room (on) or its
// end. Called with mu held.
func (r *Relay) noteRemote(t sfu.TrackInfo, on bool) {
	if !on {
		delete(r.remote, t.ID)
		return
	}
	if (t.Source == sfu.SourceCamera || t.Source == sfu.SourceScreen) && !strings.HasPrefix(string(t.Participant), "relay-") {
		r.remote[t.ID] = t
	}
}

// thumbnails offers the home room's cameras of other nodes in the local
// room (sfu.RelayLink.Offer: local halls see them in their strip), ends
// the offers of cameras gone, and asks the home for each as local halls
// want it (ask).
func (r *Relay) thumbnails() {
	l, err := r.linkNow()
	if err != nil {
		return
	}
	r.mu.Lock()
	var offer []sfu.TrackInfo
	for id, t := range r.remote {
		if !r.offered[id] {
			offer = append(offer, t)
		}
	}
	var gone []sfu.TrackID
	for id := range r.offered {
		if _, ok := r.remote[id]; !ok {
			gone = append(gone, id)
			delete(r.offered, id)
			delete(r.asked, id)
		}
	}
	r.mu.Unlock()
	for _, t := range offer {
		if r.here(t.Participant) {
			continue // this node's own hall (or a chain's below it), carried up
		}
		if err := l.Offer(t); err != nil {
			r.log.Debug("relay offer", "track_id", t.ID, "error", err)
			continue
		}
		r.mu.Lock()
		r.offered[t.ID] = true
		r.mu.Unlock()
	}
	for _, id := range gone {
		l.Withdraw(id)
	}
	r.mu.Lock()
	ids := make([]sfu.TrackID, 0, len(r.offered))
	for id := range r.offered {
		ids = append(ids, id)
	}
	r.mu.Unlock()
	for _, id := range ids {
		if err := r.ask(id); err != nil {
			r.log.Debug("relay thumbnail", "track_id", id, "error", err)
		}
	}
}

// ask subscribes on the home to a camera or screen of another node in
// the quality this node needs of it now: a camera in high while it is the
// floor, in low while a local hall wants it (its thumbnail), a screen as
// the best a local hall wants it (it is the main picture), off when none
// does; once for the link, whatever the halls. Nothing is sent when that
// was last asked.
func (r *Relay) ask(id sfu.TrackID) error {
	r.mu.Lock()
	floor, offered := id == r.floorSub, r.offered[id]
	screen := r.remote[id].Source == sfu.SourceScreen
	r.mu.Unlock()
	q := sfu.QualityOff
	switch {
	case floor:
		q = sfu.QualityHigh
	case offered && screen:
		q = r.s.Wanted(r.room, id)
	case offered && r.s.Wanted(r.room, id) > sfu.QualityOff:
		q = sfu.QualityLow
	}
	r.mu.Lock()
	prev, had := r.asked[id]
	if (had && prev == q) || (!had && q == sfu.QualityOff) {
		r.mu.Unlock()
		return nil
	}
	r.asked[id] = q
	r.mu.Unlock()
	if err := r.c.Subscribe(id, q); err != nil {
		r.mu.Lock()
		delete(r.asked, id) // asked again at the next tick
		r.mu.Unlock()
		return err
	}
	return nil
}
