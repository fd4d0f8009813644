package sfu

import "github.com/pion/webrtc/v4"

// Sink receives a participant's events; sfu/signal turns them into
// WebSocket messages. Send must not block (queue or drop): it is called
// from media and room goroutines, never under an SFU lock.
type Sink interface {
	Send(ev Event)
}

// Discard is a Sink for participants without a signaling socket (a WHIP
// publisher, a WHEP viewer): events are dropped.
var Discard Sink = discard{}

type discard struct{}

func (discard) Send(Event) {}

// Event is something a participant is told. Type is its wire name.
type Event interface {
	Type() string
}

// PC names one of a participant's two peer connections.
type PC string

// The up connection is offered by the client and carries what it
// publishes; the down connection is offered by the SFU and carries what it
// subscribes to.
const (
	PCUp   PC = "up"
	PCDown PC = "down"
)

// ParticipantInfo describes a participant to the others.
type ParticipantInfo struct {
	Identity ParticipantID `json:"identity"`
	Name     string        `json:"name"`
	Kind     Kind          `json:"kind"`
	Muted    bool          `json:"server_muted,omitempty"`
}

// TrackInfo describes a published track.
type TrackInfo struct {
	ID          TrackID       `json:"track_id"`
	Participant ParticipantID `json:"identity"`
	Kind        string        `json:"kind"` // audio or video
	Source      Source        `json:"source"`
	Codec       string        `json:"codec"`
	Layers      []string      `json:"layers,omitempty"` // simulcast layers seen so far
	Muted       bool          `json:"muted"`
}

// Events sent to participants.
type (
	// Joined answers a join or a resume with the room's state.
	Joined struct {
		Self         ParticipantInfo   `json:"self"`
		ResumeToken  string            `json:"resume_token"` // secret for resuming after a dropped socket
		Resumed      bool              `json:"resumed"`
		ICEServers   []ICEServer       `json:"ice_servers"`
		Participants []ParticipantInfo `json:"participants"`
		Tracks       []TrackInfo       `json:"tracks"`
		Floor        ParticipantID     `json:"floor,omitempty"`
		Pinned       bool              `json:"pinned"`
		Grant        GrantInfo         `json:"grant"`
	}
	// GrantInfo tells a client what it may do.
	GrantInfo struct {
		Publish   bool `json:"publish"`
		Subscribe bool `json:"subscribe"`
		Screen    bool `json:"screen"`
		Moderate  bool `json:"moderate"`
	}
	// SessionDescription is an offer (down) or answer (up).
	SessionDescription struct {
		PC   PC     `json:"pc"`
		SDP  string `json:"sdp"`
		kind string
	}
	// Candidate is a trickled ICE candidate.
	Candidate struct {
		PC        PC                      `json:"pc"`
		Candidate webrtc.ICECandidateInit `json:"candidate"`
	}
	// ParticipantJoinedEvent tells the others of a new participant.
	ParticipantJoinedEvent struct {
		Participant ParticipantInfo `json:"participant"`
	}
	// ParticipantLeftEvent tells the others a participant left.
	ParticipantLeftEvent struct {
		Identity ParticipantID `json:"identity"`
	}
	// TrackPublished announces a track (again when its layers or mute change).
	TrackPublished struct {
		Track TrackInfo `json:"track"`
	}
	// TrackUnpublished says a track is gone.
	TrackUnpublished struct {
		TrackID TrackID `json:"track_id"`
	}
	// ServerMuted tells a participant a moderator muted or unmuted it.
	ServerMuted struct {
		Muted bool `json:"muted"`
	}
	// ActiveSpeakers lists the loudest participants, loudest first.
	ActiveSpeakers struct {
		Speakers []ParticipantID `json:"speakers"`
	}
	// FloorEvent says whose hall is the main picture.
	FloorEvent struct {
		Identity ParticipantID `json:"identity"`
		Pinned   bool          `json:"pinned"`
	}
	// LayerEvent tells a subscriber which layer it now receives of a track
	// ("off" when paused for bandwidth or by request).
	LayerEvent struct {
		TrackID TrackID       `json:"track_id"`
		Quality string        `json:"quality"`
		Source  ParticipantID `json:"source,omitempty"` // for the floor track: whose picture
	}
	// LayersEvent tells a publisher which simulcast layers of one of its
	// tracks to send: those a subscriber, the recorder or a relay wants,
	// the lowest always, and any the SFU has not received yet (pause.go).
	// The others it may stop encoding.
	LayersEvent struct {
		TrackID TrackID  `json:"track_id"`
		Source  Source   `json:"source"`
		Active  []string `json:"active"` // qualities: low, medium, high
	}
	// StatsEvent carries link stats to moderators and to the participant
	// itself (its own entry).
	StatsEvent struct {
		Participants []ParticipantStats `json:"participants"`
	}
	// ErrorEvent reports a failed request.
	ErrorEvent struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Ref     string `json:"ref,omitempty"` // the id of the request it answers
	}
	// Closed says the server ends the session (replaced by a new
	// connection of the same identity, removed, or shutting down).
	Closed struct {
		Reason string `json:"reason"`
	}
)

// Type implementations: the wire names of the events.
func (Joined) Type() string                 { return "joined" }
func (e SessionDescription) Type() string   { return e.kind }
func (Candidate) Type() string              { return "candidate" }
func (ParticipantJoinedEvent) Type() string { return "participant_joined" }
func (ParticipantLeftEvent) Type() string   { return "participant_left" }
func (TrackPublished) Type() string         { return "track_published" }
func (TrackUnpublished) Type() string       { return "track_unpublished" }
func (ServerMuted) Type() string            { return "server_muted" }
func (ActiveSpeakers) Type() string         { return "active_speakers" }
func (FloorEvent) Type() string             { return "floor" }
func (LayerEvent) Type() string             { return "layer" }
func (LayersEvent) Type() string            { return "layers" }
func (StatsEvent) Type() string             { return "stats" }
func (ErrorEvent) Type() string             { return "error" }
func (Closed) Type() string                 { return "closed" }

// ParticipantUpdated says a participant's state changed (a moderator
// muted or unmuted it).
type ParticipantUpdated struct {
	Participant ParticipantInfo `json:"participant"`
}

// Type is the wire name.
func (ParticipantUpdated) Type() string { return "participant_updated" }
