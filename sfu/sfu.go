package sfu

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// SFU is the selective forwarding unit: rooms of participants whose
// tracks it forwards. Create one with New; it is safe for concurrent use.
type SFU struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	probing atomic.Int32 // subscribers sending probe padding now
	se      webrtc.SettingEngine
	upAPI   *webrtc.API
	// audio are the audio tracks published here by SSRC, whose receiver
	// reports carry their subscribers' loss (lossreport.go).
	audio audioReports

	closers  []io.Closer
	media    []*batchConn // the media sockets, when batched (transport.go)
	udpAddrs []string
	tcpAddrs []string

	mu       sync.Mutex
	closed   bool
	rooms    map[RoomID]*room
	policies map[RoomID]*policy // moderation, kept while rooms come and go
	draining bool               // no new rooms (cluster.go)
	observer Observer

	events  chan func(Observer)
	stopped chan struct{} // closed by Close once every room is empty
	done    chan struct{} // closed when dispatch has returned
}

// sendMedia are the sockets whose writes are batched: none when pion
// writes (Config.PionWrites) with Config.QueuedWrites.
func (s *SFU) sendMedia() []*batchConn {
	if s.cfg.QueuedWrites && s.cfg.PionWrites {
		return nil
	}
	return s.media
}

// fastReceive: publishers' RTP is read on the media socket's read loop
// (fastrecv.go), which needs batched sockets and Config.PionReceive off.
func (s *SFU) fastReceive() bool { return !s.cfg.PionReceive && len(s.media) > 0 }

// New opens the media ports and returns a running SFU. reg may be nil.
func New(cfg Config, logger *slog.Logger, reg prometheus.Registerer) (*SFU, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	s := &SFU{cfg: cfg, log: logger, metrics: m, rooms: map[RoomID]*room{}, policies: map[RoomID]*policy{},
		events: make(chan func(Observer), 1024), stopped: make(chan struct{}), done: make(chan struct{})}
	if err := s.listen(); err != nil {
		s.closeSockets()
		return nil, err
	}
	if s.upAPI, err = newUpAPI(s.se, &s.audio, nil); err != nil {
		s.closeSockets()
		return nil, fmt.Errorf("up API: %w", err)
	}
	go s.dispatch()
	logger.Info("sfu listening", "udp", s.udpAddrs, "tcp", s.tcpAddrs)
	return s, nil
}

// Config is the configuration in use, defaults filled in.
func (s *SFU) Config() Config { return s.cfg }

// Close removes every participant and closes the media ports.
func (s *SFU) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	rooms := make([]*room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.mu.Unlock()
	for _, r := range rooms {
		if rec := r.recordingNow(); rec != nil {
			rec.end("server shutting down") // its files closed while the floor still sends
		}
	}
	for _, r := range rooms {
		for _, p := range r.others(nil) {
			p.Leave("server shutting down")
		}
		<-r.done
	}
	close(s.stopped)
	<-s.done
	return s.closeSockets()
}

func (s *SFU) closeSockets() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i].Close(); err != nil && !errors.Is(err, io.EOF) {
			errs = append(errs, err)
		}
	}
	s.closers = nil
	return errors.Join(errs...)
}

// SetObserver sets who hears of joins, leaves and floor changes.
func (s *SFU) SetObserver(o Observer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.observer = o
}

// notify queues an observer call; dispatch makes them in order, outside
// every lock. After Close nothing more is queued.
func (s *SFU) notify(f func(Observer)) {
	select {
	case s.events <- f:
	case <-s.stopped:
	}
}

func (s *SFU) dispatch() {
	defer close(s.done)
	call := func(f func(Observer)) {
		s.mu.Lock()
		o := s.observer
		s.mu.Unlock()
		if o != nil {
			f(o)
		}
	}
	for {
		select {
		case f := <-s.events:
			call(f)
		case <-s.stopped:
			for { // the leaves of the shutdown itself
				select {
				case f := <-s.events:
					call(f)
				default:
					return
				}
			}
		}
	}
}

func (s *SFU) room(id RoomID, create bool) (*room, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	r := s.rooms[id]
	if r == nil {
		if !create {
			return nil, ErrNoRoom
		}
		if s.draining {
			return nil, ErrDraining
		}
		r = newRoom(s, id)
		s.rooms[id] = r
		s.metrics.rooms.Inc()
	}
	return r, nil
}

func (s *SFU) dropRoom(r *room) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rooms[r.id] == r {
		delete(s.rooms, r.id)
		s.metrics.rooms.Dec()
	}
}

func (s *SFU) participant(room RoomID, id ParticipantID) (*Participant, error) {
	r, err := s.room(room, false)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.participants[id]
	if p == nil {
		return nil, ErrNoParticipant
	}
	return p, nil
}

// PinFloor pins the floor of a room to a participant (the speaker the
// chair granted); an empty id unpins, and the active speaker drives it.
func (s *SFU) PinFloor(room RoomID, id ParticipantID) error {
	r, err := s.room(room, false)
	if err != nil {
		return fmt.Errorf("pin floor: %w", err)
	}
	if err := r.pin(id); err != nil {
		return fmt.Errorf("pin floor to %s: %w", id, err)
	}
	return nil
}

// RoomStats returns the participants' link stats as last computed (every
// Config.StatsInterval); nil for an unknown room.
func (s *SFU) RoomStats(room RoomID) []ParticipantStats {
	r, err := s.room(room, false)
	if err != nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ParticipantStats(nil), r.stats...)
}

// JoinOptions is what a client asks for as it joins.
type JoinOptions struct {
	// Resume is the resume token of a participant of the same identity
	// still within its reconnect grace: that participant continues on the
	// new sink (its media never stopped).
	Resume string
	// Subscribe are video subscriptions (the floor, as a rule) taken as
	// the participant joins, so that its first down offer carries them
	// beside the room's audio. Without them the first offer carried the
	// audio only and the floor came in a second offer after its answer: a
	// joining delegate's first picture waited a round trip and a second
	// offer in a page still busy with the first (docs/performance.md,
	// "Join to the first picture"). Ignored when resuming (the
	// subscriptions continue) and without the subscribe permission.
	Subscribe []Subscription
}

// Subscription is a wanted quality of a video track (FloorTrack for the floor).
type Subscription struct {
	Track   TrackID
	Quality Quality
}

// Join admits a participant with its grant. sink receives its events.
// With o.Resume set (see JoinOptions) that participant continues;
// otherwise a participant of the same identity is replaced.
func (s *SFU) Join(g Grant, sink Sink, o JoinOptions) (*Participant, error) {
	if g.Room == "" || g.Identity == "" || sink == nil {
		return nil, fmt.Errorf("%w: room, identity and sink are required", ErrInvalid)
	}
	if g.Kind == "" {
		g.Kind = KindUser
	}
	if err := s.Admit(g); err != nil {
		return nil, err
	}
	for {
		r, err := s.room(g.Room, true)
		if err != nil {
			return nil, err
		}
		if o.Resume != "" {
			return s.resume(r, g, sink, o.Resume)
		}
		p, err := s.join(r, g, sink, o.Subscribe)
		if errors.Is(err, errRoomClosed) {
			continue
		}
		return p, err
	}
}

func (s *SFU) resume(r *room, g Grant, sink Sink, token string) (*Participant, error) {
	r.mu.Lock()
	p := r.participants[g.Identity]
	r.mu.Unlock()
	if p == nil || p.resumeToken != token {
		return nil, ErrBadResume
	}
	offer := p.resume(sink)
	p.log.Info("participant resumed")
	s.sendJoined(p, true)
	if offer != "" {
		sink.Send(SessionDescription{PC: PCDown, SDP: offer, kind: "offer"})
	}
	p.resendLayers()
	return p, nil
}

func (s *SFU) join(r *room, g Grant, sink Sink, subs []Subscription) (*Participant, error) {
	p := &Participant{s: s, room: r, id: g.Identity, grant: g, resumeToken: newResumeToken(), sink: sink,
		log: r.log.With("participant", g.Identity), sources: map[string]Source{}, published: map[Source]*upTrack{},
		downs: map[TrackID]*downTrack{}, pending: map[PC][]webrtc.ICECandidateInit{}}
	p.ctx, p.cancel = contextWithCancel()
	s.mu.Lock()
	p.serverMuted.Store(s.mutedLocked(r.id, p.id))
	s.mu.Unlock()
	p.writer = newWriter(s.sendMedia())
	if g.Subscribe {
		if err := p.downConn(); err != nil {
			p.writer.close()
			return nil, err
		}
	}
	replaced, err := r.add(p)
	if err != nil {
		p.writer.close()
		if p.down != nil {
			_ = p.down.Close()
		}
		p.cancel()
		return nil, err
	}
	if replaced != nil {
		replaced.Leave("replaced by a new connection")
	}
	s.metrics.participants.Inc()
	if err := s.Admit(g); err != nil {
		// Removed or locked out between the check in Join and the add.
		p.Leave(ReasonRemoved)
		return nil, err
	}
	p.log.Info("participant joined", "kind", g.Kind)
	s.sendJoined(p, false)
	r.broadcast(ParticipantJoinedEvent{Participant: p.info()}, p)
	now := time.Now()
	s.notify(func(o Observer) { o.ParticipantJoined(r.id, p.id, g.Kind, now) })
	if g.Subscribe && !p.viewer() {
		// One down offer for the subscriptions asked and the room's audio.
		p.holdOffers()
		for _, sub := range subs {
			if err := p.Subscribe(sub.Track, sub.Quality); err != nil {
				p.log.Debug("subscribe on join", "track_id", sub.Track, "error", err)
			}
		}
		_, tracks, _, _ := r.state()
		for _, t := range tracks {
			if t.Kind == webrtc.RTPCodecTypeAudio.String() && t.Participant != p.id {
				if _, err := p.addDown(t.ID, QualityHigh); err != nil {
					p.log.Warn("subscribe audio", "track_id", t.ID, "error", err)
				}
			}
		}
		p.releaseOffers()
	}
	return p, nil
}

func (s *SFU) sendJoined(p *Participant, resumed bool) {
	ps, ts, floor, pinned := p.room.state()
	servers := s.ICEServersFor(p.id)
	p.send(Joined{Self: p.info(), ResumeToken: p.resumeToken, Resumed: resumed, ICEServers: servers,
		Participants: ps, Tracks: ts, Floor: floor, Pinned: pinned,
		Grant: GrantInfo{Publish: p.grant.Publish, Subscribe: p.grant.Subscribe, Screen: p.grant.Screen, Moderate: p.grant.Moderate}})
	// The active speakers are told on a change only: one who joined (or
	// came back) after the last change would not know them until the
	// next (TestJoinerToldActiveSpeakers).
	if ids := p.room.activeSpeakers(); len(ids) > 0 {
		p.send(ActiveSpeakers{Speakers: ids})
	}
}

// Participant returns a participant of a room (WHIP/WHEP sessions, tests).
func (s *SFU) Participant(room RoomID, id ParticipantID) (*Participant, bool) {
	p, err := s.participant(room, id)
	return p, err == nil
}
