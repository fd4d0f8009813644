package signal

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/cau-gov/cau/sfu"
	"github.com/pion/webrtc/v4"
)

// Version is the protocol version; every message carries it as "v".
const Version = 1

// MaxMessage is the largest message accepted, in bytes: a down answer
// for a full room (160 audio m-lines and the video) stays well below.
const MaxMessage = 1 << 20

// Message is the envelope of every message both ways:
// {"v":1,"type":"subscribe","id":"7","data":{...}}. ID is optional and
// chosen by the client; an error answering a request carries it as "ref".
type Message struct {
	V    int             `json:"v"`
	Type string          `json:"type"`
	ID   string          `json:"id,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Client message types.
const (
	TypeJoin            = "join"
	TypeOffer           = "offer"
	TypeAnswer          = "answer"
	TypeCandidate       = "candidate"
	TypeSubscribe       = "subscribe"
	TypeMute            = "mute"
	TypeMuteParticipant = "mute_participant"
	TypeICERestart      = "ice_restart"
	TypeLeave           = "leave"
)

// Client message bodies.
type (
	// Join is the first message on a socket; Resume is the resume token
	// of a participant to continue (after a dropped socket). Subscribe
	// are video subscriptions the first down offer carries already (the
	// floor): see sfu.JoinOptions.
	Join struct {
		Resume    string      `json:"resume,omitempty"`
		Subscribe []Subscribe `json:"subscribe,omitempty"`
	}
	// Offer is the client's offer for its up connection; Tracks names the
	// source of each track by its track ID: camera, microphone or screen.
	Offer struct {
		SDP    string                `json:"sdp"`
		Tracks map[string]sfu.Source `json:"tracks,omitempty"`
	}
	// Answer answers the server's down offer.
	Answer struct {
		SDP string `json:"sdp"`
	}
	// CandidateMsg is a trickled ICE candidate for one connection.
	CandidateMsg struct {
		PC        sfu.PC                  `json:"pc"`
		Candidate webrtc.ICECandidateInit `json:"candidate"`
	}
	// Subscribe sets the wanted quality of a track ("floor" for the floor).
	Subscribe struct {
		TrackID sfu.TrackID `json:"track_id"`
		Quality string      `json:"quality"`
	}
	// Mute is the client muting or unmuting its own source; a relay
	// names the ghost (Identity) whose source its node's hall muted.
	Mute struct {
		Source   sfu.Source        `json:"source"`
		Muted    bool              `json:"muted"`
		Identity sfu.ParticipantID `json:"identity,omitempty"`
	}
	// MuteParticipant is a moderator muting another participant's audio.
	MuteParticipant struct {
		Identity sfu.ParticipantID `json:"identity"`
		Muted    bool              `json:"muted"`
	}
)

// Decode parses and validates one client message: the envelope, the
// version, a known type, and a body of that type without unknown fields.
// It returns the body as one of the types above (nil for ice_restart and
// leave).
func Decode(b []byte) (Message, any, error) {
	var m Message
	if err := strictUnmarshal(b, &m); err != nil {
		return m, nil, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	if m.V != Version {
		return m, nil, fmt.Errorf("%w: version %d, this server speaks %d", ErrVersion, m.V, Version)
	}
	if len(m.ID) > 64 {
		return m, nil, fmt.Errorf("%w: id longer than 64", ErrBadMessage)
	}
	var body any
	switch m.Type {
	case TypeJoin:
		body = &Join{}
	case TypeOffer:
		body = &Offer{}
	case TypeAnswer:
		body = &Answer{}
	case TypeCandidate:
		body = &CandidateMsg{}
	case TypeSubscribe:
		body = &Subscribe{}
	case TypeMute:
		body = &Mute{}
	case TypeMuteParticipant:
		body = &MuteParticipant{}
	case TypeICERestart, TypeLeave:
		return m, nil, nil
	default:
		return m, nil, fmt.Errorf("%w: unknown type %q", ErrBadMessage, m.Type)
	}
	if len(m.Data) == 0 || bytes.Equal(m.Data, []byte("null")) {
		if m.Type != TypeJoin {
			return m, nil, fmt.Errorf("%w: %s without data", ErrBadMessage, m.Type)
		}
	} else if err := strictUnmarshal(m.Data, body); err != nil {
		return m, nil, fmt.Errorf("%w: %s data: %v", ErrBadMessage, m.Type, err)
	}
	if err := validate(body); err != nil {
		return m, nil, fmt.Errorf("%w: %s: %v", ErrBadMessage, m.Type, err)
	}
	return m, body, nil
}

// maxJoinSubscriptions bounds a join's subscriptions: the floor and a
// screen of thumbnails.
const maxJoinSubscriptions = 64

func validate(body any) error {
	switch b := body.(type) {
	case *Join:
		if len(b.Subscribe) > maxJoinSubscriptions {
			return fmt.Errorf("more than %d subscriptions", maxJoinSubscriptions)
		}
		for i := range b.Subscribe {
			if err := validate(&b.Subscribe[i]); err != nil {
				return fmt.Errorf("subscribe %d: %w", i, err)
			}
		}
	case *Offer:
		if b.SDP == "" {
			return fmt.Errorf("sdp is empty")
		}
		if len(b.Tracks) > 16 {
			return fmt.Errorf("more than 16 tracks")
		}
	case *Answer:
		if b.SDP == "" {
			return fmt.Errorf("sdp is empty")
		}
	case *CandidateMsg:
		if b.PC != sfu.PCUp && b.PC != sfu.PCDown {
			return fmt.Errorf("pc %q is neither up nor down", b.PC)
		}
	case *Subscribe:
		if b.TrackID == "" {
			return fmt.Errorf("track_id is empty")
		}
		if _, err := sfu.ParseQuality(b.Quality); err != nil {
			return err
		}
	case *Mute:
		switch b.Source {
		case sfu.SourceCamera, sfu.SourceMicrophone, sfu.SourceScreen:
		default:
			return fmt.Errorf("source %q", b.Source)
		}
	case *MuteParticipant:
		if b.Identity == "" {
			return fmt.Errorf("identity is empty")
		}
	}
	return nil
}

func strictUnmarshal(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}

// Encode wraps a server event in the envelope.
func Encode(ev sfu.Event) ([]byte, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	return json.Marshal(Message{V: Version, Type: ev.Type(), Data: data})
}
