package sfu

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// A recording is a subscriber inside the SFU, as Galène's disk writer is:
// a participant of its own that is in no room's list (nobody sees it, it
// never keeps a room open, it is never allocated), with two down tracks
// fed like any subscriber's, through its own writer queue: the floor's
// picture on its top layer, source switches already rewritten into one
// stream by the down track, and the floor's audio as a one-section WHEP
// player hears it (the floor's microphone, else the loudest hall). Its
// "connection" is the recorder (recorder.go): a jitter buffer that NACKs
// what is missing from the layers' caches, depacketizes, and writes
// WebM (VP8 + Opus) or, for an H.264 floor, Matroska. A hall that speaks
// is also kept apart, as an Ogg Opus file of what it said (speaker.go).

// KindRecorder is the recorder's own participant (never in a room's list).
const KindRecorder Kind = "recorder"

// RecordOptions configure a recording.
type RecordOptions struct {
	// OnStop is called once when the recording ends without Stop: the
	// room ended (its last participant left) or the SFU closed (server
	// shutdown). It runs on the goroutine that ended it, after the files
	// are closed, without any SFU lock; Stop returns the same result.
	OnStop func(RecordingResult, error)
}

// RecordingResult is what a finished recording left in its directory.
type RecordingResult struct {
	// Main is the path of the recording: the first part's. Codec is its
	// video codec, "VP8" (a .webm file) or "H264" (a .mkv file).
	Main  string
	Codec string
	// Parts are the files, in order; a new part begins when the floor
	// switches codec (a VP8 hall after an H.264 one, or the reverse),
	// at Start from StartedAt. Most recordings have one.
	Parts []RecordingPart
	// Duration is from StartedAt to the end of the last frame written.
	Duration time.Duration
	// Speakers are the halls and people who spoke, each in its own file.
	Speakers []SpeakerTrack
	Stats    RecordingStats
	// Reason says why it ended: "stopped", "room ended", "server shutting down".
	Reason string
}

// RecordingPart is one file of a recording.
type RecordingPart struct {
	Path     string
	Codec    string        // VP8 or H264
	Start    time.Duration // of its time zero, from the recording's StartedAt
	Duration time.Duration
}

// SpeakerTrack is the separate audio of one participant that spoke: an
// Ogg Opus file from its first speech to its last (a silence between two
// speeches is kept up to speakerGapKept, so the file can be shorter than
// Last-First).
type SpeakerTrack struct {
	Identity ParticipantID
	Name     string
	Path     string
	// First and Last are when it began and stopped speaking, from the
	// recording's StartedAt.
	First, Last time.Duration
}

// RecordingStats count what reached the recorder.
type RecordingStats struct {
	Packets uint64 // RTP packets of the floor's video and audio received
	// Lost: packets still missing when the jitter buffer gave up on them
	// (the frames they belonged to were skipped up to the next key frame).
	Lost   uint64
	NACKed uint64 // sequence numbers asked again from the layers' caches
	// KeyframesRequested: on start, at each floor switch, after a loss.
	KeyframesRequested uint64
	// Dropped: packets the recorder's queue had no room for (then NACKed).
	Dropped uint64
}

// Recording is a recording in progress; see StartRecording.
type Recording struct {
	s       *SFU
	room    *room
	dir     string
	started time.Time
	// startedNano is started on the SFU's packet clock (nanotime).
	startedNano int64
	opts        RecordOptions

	p            *Participant // its own subscriber, in no room's list
	video, audio *downTrack
	rec          *recorder

	// flow notes when each layer of the floor's camera last grew its
	// packet count (flowingLayer); flowTrack is that camera.
	flowMu    sync.Mutex
	flowTrack *upTrack
	flow      map[*upLayer]layerFlow

	stopOnce sync.Once
	result   RecordingResult
	err      error
}

// StartRecording records room's floor into dir (created); one recording
// per room at a time. Unknown room: an error wrapping ErrNoRoom; already
// recording: ErrAlreadyRecording.
func (s *SFU) StartRecording(room RoomID, dir string, opts ...RecordOptions) (*Recording, error) {
	r, err := s.room(room, false)
	if err != nil {
		return nil, fmt.Errorf("start recording %s: %w", room, err)
	}
	if dir == "" {
		return nil, fmt.Errorf("start recording %s: %w: no directory", room, ErrInvalid)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("start recording %s: %w", room, err)
	}
	rec := &Recording{s: s, room: r, dir: dir}
	if len(opts) > 0 {
		rec.opts = opts[0]
	}
	p := &Participant{s: s, room: r, id: ParticipantID("recorder"), grant: Grant{Room: room, Identity: "recorder", Kind: KindRecorder, Subscribe: true},
		log: r.log.With("recorder", dir), sources: map[string]Source{}, published: map[Source]*upTrack{}, downs: map[TrackID]*downTrack{},
		pending: map[PC][]webrtc.ICECandidateInit{}}
	p.ctx, p.cancel = contextWithCancel()
	p.writer = newWriter(nil)
	p.downReady.Store(true)
	rec.p = p

	r.mu.Lock()
	switch {
	case r.closed:
		r.mu.Unlock()
		p.writer.close()
		p.cancel()
		return nil, fmt.Errorf("start recording %s: %w", room, ErrNoRoom)
	case r.recording != nil:
		r.mu.Unlock()
		p.writer.close()
		p.cancel()
		return nil, fmt.Errorf("start recording %s: %w", room, ErrAlreadyRecording)
	}
	rec.started = time.Now()
	rec.startedNano = nanotime()
	rec.rec = newRecorder(rec)
	rec.video = newDownTrack(FloorTrack, "recording", webrtc.RTPCodecTypeVideo, webrtc.RTPCodecCapability{ClockRate: 90000}, p)
	rec.video.floor = true
	rec.video.bound.Store(&binding{w: videoSink{rec.rec}, ssrc: 1, pt: ptVP8, arrival: &rec.rec.vtimes.last,
		codecs: []boundCodec{{mime: webrtc.MimeTypeVP8, pt: ptVP8}, {mime: webrtc.MimeTypeH264, pt: ptH264}}})
	rec.audio = newDownTrack(audioSlotID(0), "recording", webrtc.RTPCodecTypeAudio, opusCodec, p)
	rec.audio.bound.Store(&binding{w: audioSink{rec.rec}, ssrc: 2, pt: ptOpus, arrival: &rec.rec.atimes.last,
		codecs: []boundCodec{{mime: webrtc.MimeTypeOpus, pt: ptOpus}}})
	p.downs[rec.video.id], p.downs[rec.audio.id] = rec.video, rec.audio
	r.recording = rec
	audio := make([]*upTrack, 0, len(r.tracks))
	for _, t := range r.tracks {
		if t.kind == webrtc.RTPCodecTypeAudio {
			audio = append(audio, t)
		}
	}
	r.mu.Unlock()

	s.metrics.recordings.Inc()
	for _, t := range audio {
		rec.rec.watch(t)
	}
	rec.follow()
	if l := rec.video.target.Load(); l != nil {
		l.requestKeyframe(0, s.metrics) // a picture from the first frame
		rec.rec.keyframeRequested()
	}
	p.log.Info("recording started")
	return rec, nil
}

// StartedAt is the wall time of the files' time zero: every part's and
// speaker's times count from it.
func (r *Recording) StartedAt() time.Time { return r.started }

// Dir is the directory the files are written in.
func (r *Recording) Dir() string { return r.dir }

// Stop flushes and closes every file and returns what was written;
// idempotent (a second call returns the same).
func (r *Recording) Stop() (RecordingResult, error) {
	r.stop("stopped")
	return r.result, r.err
}

// end stops a recording that ended by itself and tells the owner.
func (r *Recording) end(reason string) {
	if r.stop(reason) && r.opts.OnStop != nil {
		r.opts.OnStop(r.result, r.err)
	}
}

// stop does the stopping once; it reports whether this call did it.
func (r *Recording) stop(reason string) bool {
	did := false
	r.stopOnce.Do(func() {
		did = true
		r.rec.stopAt.Store(max(r.rec.nowMs(), 1))
		if reason == "stopped" {
			// The floor still sends: what was sent before Stop and is
			// still missing gets a round of NACKs to arrive; what was
			// sent after is left out.
			time.Sleep(recordStopGrace)
		}
		r.room.mu.Lock()
		if r.room.recording == r {
			r.room.recording = nil
		}
		r.room.mu.Unlock()
		r.video.detach()
		r.audio.detach()
		// Whatever the writer is doing finishes before the files close;
		// the recorder ignores what comes after.
		r.p.writer.mu.Lock()
		r.result, r.err = r.rec.close()
		r.p.writer.mu.Unlock()
		r.p.writer.close()
		r.p.cancel()
		r.result.Reason = reason
		r.s.metrics.recordings.Dec()
		r.p.log.Info("recording stopped", "reason", reason, "duration", r.result.Duration, "parts", len(r.result.Parts),
			"speakers", len(r.result.Speakers), "packets", r.result.Stats.Packets, "lost", r.result.Stats.Lost, "error", r.err)
	})
	return did
}

// follow points the recorder at the floor's camera (its best layer that
// sends) and
// at the audio a one-section player hears: the floor's microphone, else
// the loudest. Called at the start, and with every reallocation (floor
// changes, tracks coming and going, and each allocation tick); a target
// that did not change costs nothing.
func (r *Recording) follow() {
	rm := r.room
	rm.mu.Lock()
	var cam, mic *upTrack
	if rm.floor != "" {
		cam = rm.tracks[TrackID(string(rm.floor)+"/"+string(SourceCamera))]
		mic = rm.tracks[TrackID(string(rm.floor)+"/"+string(SourceMicrophone))]
	}
	if (mic == nil || mic.forwardingOff()) && len(rm.audibleRank) > 0 {
		mic = rm.audibleRank[0]
	}
	rm.mu.Unlock()
	var vl, al *upLayer
	if cam != nil {
		// The recording wants the floor's best layer: it is not paused
		// at the publisher (pause.go), or resumes.
		if top := cam.pickLayer(2); top != nil {
			top.want(nanotime())
		}
		vl = r.flowingLayer(cam, time.Now())
	}
	if mic != nil {
		al = mic.pickLayer(2)
	}
	if old := r.video.target.Load(); vl != nil && old != vl {
		r.rec.keyframeRequested() // setTarget asks for one, to switch on
	}
	r.video.setTarget(vl)
	r.audio.setTarget(al)
}

// layerStall: a layer that received nothing for this long is passed over
// for the next one down (a browser stops sending its top layer when its
// uplink is short); it is taken again once it sends.
const layerStall = time.Second

type layerFlow struct {
	packets uint64
	at      time.Time // when packets last changed
}

// flowingLayer is the best layer of t that received packets within
// layerStall and is not paused at the publisher (nor resuming), else t's
// best layer.
func (r *Recording) flowingLayer(t *upTrack, now time.Time) *upLayer {
	t.mu.Lock()
	layers := t.layers
	t.mu.Unlock()
	r.flowMu.Lock()
	defer r.flowMu.Unlock()
	if r.flowTrack != t {
		r.flowTrack, r.flow = t, map[*upLayer]layerFlow{}
	}
	var best *upLayer
	for i := len(layers) - 1; i >= 0; i-- {
		l := layers[i]
		if l == nil {
			continue
		}
		f := r.flow[l]
		if n := l.stats.packets.Load(); n != f.packets {
			f = layerFlow{packets: n, at: now}
			r.flow[l] = f
		}
		if best == nil && l.usable() && !f.at.IsZero() && now.Sub(f.at) < layerStall {
			best = l
		}
	}
	if best == nil {
		return t.pickLayer(2)
	}
	return best
}

// recordingNow is the room's recording, nil if none.
func (r *room) recordingNow() *Recording {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.recording
}
