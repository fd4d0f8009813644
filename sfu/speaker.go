package sfu

import (
	"slices"
	"time"

	"github.com/pion/webrtc/v4"
)

// Active speaker tuning. Levels are -dBov (RFC 6464): lower is louder.
const (
	// speakingLevel: louder than -55 dBov counts as speaking; room noise
	// through a hall's speakerphone sits around -60 to -70.
	speakingLevel = 55
	// maxSpeakers listed to clients.
	maxSpeakers = 3
	// floorHold is how long a new loudest speaker must stay loudest before
	// the floor follows it, so a cough does not switch every hall's picture.
	floorHold = 1200 * time.Millisecond
)

// detectSpeakers ranks unmuted audio by level, tells everyone when the
// list changes, and moves an unpinned floor to a steady loudest speaker.
func (r *room) detectSpeakers(now time.Time) {
	type lv struct {
		id    ParticipantID
		level int32
	}
	r.mu.Lock()
	var cands []lv
	for _, t := range r.tracks {
		if t.kind != webrtc.RTPCodecTypeAudio || t.forwardingOff() {
			continue
		}
		if l := t.level.Load(); l < speakingLevel {
			cands = append(cands, lv{t.owner.id, l})
		}
	}
	slices.SortFunc(cands, func(a, b lv) int { return int(a.level - b.level) })
	wake := r.rankAudioLocked()
	ids := make([]ParticipantID, 0, maxSpeakers)
	for _, c := range cands {
		if len(ids) < maxSpeakers && !slices.Contains(ids, c.id) {
			ids = append(ids, c.id)
		}
	}
	changed := !slices.Equal(ids, r.speakers)
	r.speakers = ids
	var next ParticipantID
	if len(ids) > 0 {
		if ids[0] != r.leader {
			r.leader, r.leaderSince = ids[0], now
		} else if r.pinned == "" && r.floor != r.leader && now.Sub(r.leaderSince) >= floorHold && r.hasCameraLocked(r.leader) {
			// A speaker without a camera (listening by telephone, a person
			// on microphone only) would leave every hall a black picture:
			// the floor stays where it is.
			next = r.leader
		}
	}
	r.mu.Unlock()
	for _, t := range wake {
		t.newEpoch() // subscribers continue their numbering across the pause
	}
	if changed {
		r.broadcast(ActiveSpeakers{Speakers: ids}, nil)
	}
	if next != "" {
		r.changeFloor(next)
	}
}

// activeSpeakers is the list last told (detectSpeakers).
func (r *room) activeSpeakers() []ParticipantID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.speakers)
}

// pickFloor chooses a floor when the current one left or stopped its
// camera: the pinned participant, else the loudest speaker with a camera,
// else the last one who spoke, else the first hall to publish a camera, else
// the first anyone to publish one. A floor is never empty while someone
// publishes video: a WHEP lobby screen in a room whose only publisher is an
// encoder without audio levels (OBS's WHIP output) shows it.
func (r *room) pickFloor() ParticipantID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pickFloorLocked()
}

// pickFloorLocked is pickFloor with r.mu held.
func (r *room) pickFloorLocked() ParticipantID {
	if _, ok := r.participants[r.pinned]; ok {
		return r.pinned
	}
	for _, id := range r.speakers {
		if r.hasCameraLocked(id) {
			return id
		}
	}
	if r.hasCameraLocked(r.leader) {
		return r.leader
	}
	for _, id := range r.cameras {
		if p := r.participants[id]; p != nil && p.grant.Kind == KindHall && r.hasCameraLocked(id) {
			return id
		}
	}
	for _, id := range r.cameras {
		if r.hasCameraLocked(id) {
			return id
		}
	}
	return ""
}

// hasCameraLocked says whether id is here and publishes a camera. r.mu is held.
func (r *room) hasCameraLocked(id ParticipantID) bool {
	if id == "" || r.participants[id] == nil {
		return false
	}
	return r.tracks[TrackID(string(id)+"/"+string(SourceCamera))] != nil
}

// changeFloor moves the floor to id and re-points every floor track.
func (r *room) changeFloor(id ParticipantID) {
	r.mu.Lock()
	if r.floor == id {
		r.mu.Unlock()
		return
	}
	r.floor = id
	pinned := r.pinned != "" && r.pinned == id
	r.mu.Unlock()
	r.log.Info("floor", "participant", id, "pinned", pinned)
	now := time.Now()
	r.s.notify(func(o Observer) { o.FloorChanged(r.id, id, now) })
	r.broadcast(FloorEvent{Identity: id, Pinned: pinned}, nil)
	r.reallocate()
}

// pin pins the floor to id, or unpins it (empty id).
func (r *room) pin(id ParticipantID) error {
	r.mu.Lock()
	if id != "" {
		if _, ok := r.participants[id]; !ok {
			r.mu.Unlock()
			return ErrNoParticipant
		}
	}
	r.pinned = id
	next := id
	if next == "" {
		// Unpinned: the active speaker, else whoever holds the floor now
		// (the last speaker), else the fallback of pickFloor.
		switch {
		case len(r.speakers) > 0 && r.hasCameraLocked(r.speakers[0]):
			next = r.speakers[0]
		case r.hasCameraLocked(r.floor):
			next = r.floor
		default:
			next = r.pickFloorLocked()
		}
	}
	floorWas := r.floor
	r.mu.Unlock()
	if next == floorWas {
		// Same participant, but pinned state changed: tell everyone.
		r.broadcast(FloorEvent{Identity: next, Pinned: id != ""}, nil)
		return nil
	}
	r.changeFloor(next)
	return nil
}

// rankAudioLocked lets the loudest Config.AudioLastN audio tracks through
// and quiets the rest (the floor's audio always passes). It returns the
// tracks that just woke. r.mu is held.
func (r *room) rankAudioLocked() (woke []*upTrack) {
	n := r.s.cfg.AudioLastN
	var audio []*upTrack
	for _, t := range r.tracks {
		if t.kind == webrtc.RTPCodecTypeAudio && !t.forwardingOff() {
			audio = append(audio, t)
		}
	}
	slices.SortFunc(audio, func(a, b *upTrack) int {
		// The floor first, then by level, louder first.
		af, bf := a.owner.id == r.floor, b.owner.id == r.floor
		if af != bf {
			if af {
				return -1
			}
			return 1
		}
		return int(a.level.Load() - b.level.Load())
	})
	r.audibleRank = r.audibleRank[:0]
	for i, t := range audio {
		quiet := n >= 0 && i >= n
		if !quiet {
			r.audibleRank = append(r.audibleRank, t)
		}
		if t.quiet.Swap(quiet) && !quiet {
			woke = append(woke, t)
		}
	}
	return woke
}
