package sfu

import (
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

var errRoomClosed = errors.New("room closed")

// room is one meeting's participants and tracks. Its loop goroutine
// allocates bandwidth, finds the active speakers and sends link stats.
type room struct {
	s   *SFU
	id  RoomID
	log *slog.Logger

	mu           sync.Mutex
	closed       bool
	participants map[ParticipantID]*Participant
	tracks       map[TrackID]*upTrack
	pinned       ParticipantID // floor pinned by the meeting service
	floor        ParticipantID // current floor: pinned, else the active speaker
	speakers     []ParticipantID
	audibleRank  []*upTrack    // forwarded audio, the floor first then by loudness
	leader       ParticipantID // loudest now, floor candidate
	leaderSince  time.Time
	cameras      []ParticipantID       // who publishes a camera, first to publish first (floor fallback)
	stats        []ParticipantStats    // last computed, for RoomStats
	recording    *Recording            // in progress, nil if none (record.go)
	offered      map[TrackID]TrackInfo // other nodes' cameras a relay offers here (relayoffer.go)

	stop  chan struct{}
	done  chan struct{}
	woken chan struct{} // reallocate now (wake)
}

func newRoom(s *SFU, id RoomID) *room {
	r := &room{s: s, id: id, log: s.log.With("room", id), participants: map[ParticipantID]*Participant{},
		tracks: map[TrackID]*upTrack{}, stop: make(chan struct{}), done: make(chan struct{}), woken: make(chan struct{}, 1)}
	go r.loop()
	return r
}

// others returns the participants other than p (nil: all).
func (r *room) others(p *Participant) []*Participant {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Participant, 0, len(r.participants))
	for _, q := range r.participants {
		if q != p {
			out = append(out, q)
		}
	}
	return out
}

// broadcast sends ev to everyone but except; called without the room lock.
func (r *room) broadcast(ev Event, except *Participant) {
	for _, q := range r.others(except) {
		q.send(ev)
	}
}

func (r *room) track(id TrackID) *upTrack {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tracks[id]
}

func (r *room) state() ([]ParticipantInfo, []TrackInfo, ParticipantID, bool) {
	r.mu.Lock()
	ps := make([]ParticipantInfo, 0, len(r.participants))
	for _, q := range r.participants {
		ps = append(ps, q.info())
	}
	ts := make([]*upTrack, 0, len(r.tracks))
	for _, t := range r.tracks {
		ts = append(ts, t)
	}
	floor, pinned := r.floor, r.pinned != ""
	infos := r.offeredLocked()
	r.mu.Unlock()
	for _, t := range ts {
		infos = append(infos, t.info())
	}
	slices.SortFunc(ps, func(a, b ParticipantInfo) int { return compare(a.Identity, b.Identity) })
	slices.SortFunc(infos, func(a, b TrackInfo) int { return compare(a.ID, b.ID) })
	return ps, infos, floor, pinned
}

func compare[T ~string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// publish adds a track: everyone is told, and every subscriber gets audio
// tracks at once (halls hear everyone unmuted).
func (r *room) publish(t *upTrack) {
	r.mu.Lock()
	r.tracks[t.id] = t
	// The first camera in a room without a floor takes it, so a lobby
	// screen or a hall never waits for someone to speak to see a picture.
	firstFloor := t.source == SourceCamera && r.floor == "" && r.pinned == ""
	if t.source == SourceCamera && !slices.Contains(r.cameras, t.owner.id) {
		r.cameras = append(r.cameras, t.owner.id)
	}
	rec := r.recording
	r.mu.Unlock()
	r.s.metrics.tracks.Inc()
	t.relay.Stream(1)
	if rec != nil && t.kind == webrtc.RTPCodecTypeAudio {
		rec.rec.watch(t)
	}
	r.broadcast(TrackPublished{Track: t.info()}, nil)
	if t.kind == webrtc.RTPCodecTypeAudio {
		for _, q := range r.others(t.owner) {
			if q.grant.Subscribe && !q.viewer() && t.owner.via != q { // a relay never gets back what it carried
				if _, err := q.addDown(t.id, QualityHigh); err != nil && !errors.Is(err, ErrClosed) {
					q.log.Warn("subscribe audio", "track_id", t.id, "error", err)
				}
			}
		}
	}
	if t.kind == webrtc.RTPCodecTypeVideo && t.owner.via != nil {
		r.attachWaiting(t) // an offered camera the relay brought
	}
	if firstFloor {
		r.changeFloor(r.pickFloor())
	}
	if t.source == SourceCamera {
		r.reallocate()
	}
}

// unpublish removes a track and every subscription to it.
func (r *room) unpublish(t *upTrack) {
	r.mu.Lock()
	if r.tracks[t.id] != t {
		r.mu.Unlock()
		return
	}
	delete(r.tracks, t.id)
	floorCamera := false
	if t.source == SourceCamera {
		r.cameras = slices.DeleteFunc(r.cameras, func(id ParticipantID) bool { return id == t.owner.id })
		// The floor stopped its camera (went to microphone only): unless
		// the chair pinned it, the picture goes to someone who has one.
		floorCamera = r.floor == t.owner.id && r.pinned != t.owner.id
	}
	r.mu.Unlock()
	r.s.metrics.tracks.Dec()
	t.relay.Stream(-1)
	for _, q := range r.others(nil) {
		q.removeDown(t.id)
	}
	r.broadcast(TrackUnpublished{TrackID: t.id}, nil)
	if floorCamera {
		if next := r.pickFloor(); next != "" {
			r.changeFloor(next)
		}
	}
	r.reallocate()
}

// add admits p, replacing an earlier participant of the same identity
// (a reloaded hall browser); it returns the one replaced.
func (r *room) add(p *Participant) (replaced *Participant, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errRoomClosed
	}
	old := r.participants[p.id]
	if old == nil && len(r.participants) >= r.s.cfg.MaxParticipants {
		return nil, ErrTooMany
	}
	r.participants[p.id] = p
	return old, nil
}

// remove drops p; the last one out closes the room.
func (r *room) remove(p *Participant) {
	r.mu.Lock()
	if r.participants[p.id] != p {
		r.mu.Unlock()
		return
	}
	delete(r.participants, p.id)
	empty := len(r.participants) == 0
	floorGone := r.floor == p.id
	if floorGone {
		r.floor = ""
	}
	rec := r.recording
	if empty {
		r.closed = true
		close(r.stop)
	}
	r.mu.Unlock()
	if empty && rec != nil {
		rec.end("room ended")
	}
	r.s.metrics.participants.Dec()
	now := time.Now()
	if p.via == nil { // a ghost's node records its own roll call
		r.s.notify(func(o Observer) { o.ParticipantLeft(r.id, p.id, p.grant.Kind, now) })
	}
	if empty {
		r.s.dropRoom(r)
		return
	}
	r.broadcast(ParticipantLeftEvent{Identity: p.id}, p)
	if floorGone {
		r.changeFloor(r.pickFloor())
	}
}

// floorCamera is the camera track of the floor participant, for the floor
// down track of viewer (nil if the floor has no camera). A participant who
// holds the floor keeps watching what it watched.
func (r *room) floorCamera(viewer *Participant, cur *upTrack) *upTrack {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.floor == "" || r.floor == viewer.id {
		if cur != nil && r.tracks[cur.id] == cur {
			return cur
		}
		return nil
	}
	return r.tracks[TrackID(string(r.floor)+"/"+string(SourceCamera))]
}

// reallocate re-runs every participant's allocation now (the floor moved
// or a track came or went), instead of at the next tick.
func (r *room) reallocate() {
	for _, q := range r.others(nil) {
		q.allocate()
	}
	if rec := r.recordingNow(); rec != nil {
		rec.follow()
	}
}

func (r *room) loop() {
	defer close(r.done)
	alloc := time.NewTicker(r.s.cfg.AllocInterval)
	defer alloc.Stop()
	speak := time.NewTicker(r.s.cfg.SpeakerInterval)
	defer speak.Stop()
	stats := time.NewTicker(r.s.cfg.StatsInterval)
	defer stats.Stop()
	for {
		select {
		case <-r.stop:
			return
		case now := <-alloc.C:
			r.sampleRates(now)
			r.reallocate()
			r.updatePauses()
		case <-r.woken:
			r.reallocate()
		case now := <-speak.C:
			r.detectSpeakers(now)
		case now := <-stats.C:
			r.sendStats(now)
		}
	}
}

func (r *room) sampleRates(now time.Time) {
	r.mu.Lock()
	ts := make([]*upTrack, 0, len(r.tracks))
	for _, t := range r.tracks {
		ts = append(ts, t)
	}
	r.mu.Unlock()
	for _, t := range ts {
		t.mu.Lock()
		ls := t.layers
		t.mu.Unlock()
		for _, l := range ls {
			if l != nil {
				l.rate.sample(l.stats.bytes.Load(), now)
				if t.redPT != 0 {
					l.primaryRate.sample(l.primaryBytes.Load(), now)
				}
			}
		}
	}
}
