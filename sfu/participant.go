package sfu

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cau-gov/cau/sfu/internal/icestart"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/webrtc/v4"
)

// Participant is one client in a room: a hall browser, a person's browser,
// the operator console, a WHIP encoder or a WHEP viewer. sfu/signal drives
// it from the client's messages; everything it must tell the client goes
// to its Sink.
type Participant struct {
	s           *SFU
	room        *room
	id          ParticipantID
	grant       Grant
	log         *slog.Logger
	resumeToken string
	writer      *writer
	ctx         context.Context
	cancel      context.CancelFunc

	mediaUp atomic.Bool // a peer connection has connected
	// downReady: the down connection has connected, so what is written
	// reaches the subscriber (pion drops RTP written before its SRTP
	// is up, silently: a replayed key frame would be lost).
	downReady   atomic.Bool
	downSince   atomic.Int64 // nanotime the down connection first connected
	serverMuted atomic.Bool
	estimate    atomic.Int64 // bit/s, the downlink estimate last used
	congestedAt atomic.Int64 // nanotime of the estimator's last drop

	// negotiating is held around pion's description calls, and Leave
	// closes the connections under it: pion's ICEGatherer.close does
	// nothing while it has no ICE agent yet, so a CreateAnswer that ran
	// past Close made an agent nobody closed (a leaked task loop, seen
	// by goleak about once in eight runs of the moderation tests).
	negotiating sync.Mutex

	allocMu sync.Mutex // one allocation at a time
	probe   prober
	// tested is what the downlink carried untroubled lately, forgotten at
	// each congestion signal (testedReset: the last one seen); lastUsed is
	// what the last plan sent. Under allocMu.
	tested      testedRate
	testedReset int64
	lastUsed    int
	// lineLoss is a slower average of the downlink's loss
	// (lineLossWeight per allocation): a line's own loss, which GCC's
	// average of 200 ms shows only now and then.
	lineLoss float64
	// peakLoss is the highest loss GCC reported on the connection.
	peakLoss float64
	// recentEst is the usable estimate of the last allocations (keepWindow).
	recentEst recentMax
	// burst is the budget of replayed key frames, shared by its tracks.
	burst burstBudget
	// rtx is the budget of retransmissions, shared by its tracks.
	rtx rtxBudget

	mu         sync.Mutex
	sink       Sink
	grace      *time.Timer
	closed     bool
	up         *webrtc.PeerConnection
	down       *webrtc.PeerConnection
	recv       *upReceiver      // up's fast receive path (fastrecv.go); nil: pion's
	upStarted  *icestart.Signal // up's ICE transport started (upconn.go)
	bwe        func() cc.BandwidthEstimator
	noFeedback bool              // a viewer without transport feedback: no estimate, send at the cap
	sources    map[string]Source // client track ID → source, from its offers
	published  map[Source]*upTrack
	downs      map[TrackID]*downTrack
	pending    map[PC][]webrtc.ICECandidateInit // candidates before the remote description
	offering   bool                             // a down offer awaits its answer
	reoffer    bool                             // something changed meanwhile
	heldOffers bool                             // tracks are being added together: one offer after (holdOffers)
	restart    bool                             // the next down offer restarts ICE
	// holdCandidates: a down offer is being made; its candidates wait in
	// held until it is sent.
	holdCandidates bool
	held           []webrtc.ICECandidateInit

	statsIn  rateMeter
	statsOut rateMeter
	lossIn   lossMeter

	// via is the relay that carries this participant's tracks from
	// another node (a ghost, relay.go); nil for one connected here.
	via    *Participant
	ghosts map[ParticipantID]*Participant // a relay's ghosts, under mu
	// ghostMu serializes making ghosts: two tracks of one owner (or an
	// offer and a track) arriving at once must make one ghost, not refuse
	// the second as "connected to this node".
	ghostMu sync.Mutex
	// link: this is the edge's end of its own relay (RelayLink), whose
	// ghosts came down from the node relayed to; the ghosts of a relay
	// that joined here came up from a node relaying to this one (chains).
	link bool
}

func newResumeToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ID is the participant's identity.
func (p *Participant) ID() ParticipantID { return p.id }

// ResumeToken is the secret with which a new socket resumes this
// participant.
func (p *Participant) ResumeToken() string { return p.resumeToken }

// Grant is what the participant may do.
func (p *Participant) Grant() Grant { return p.grant }

// Done is closed when the participant has left.
func (p *Participant) Done() <-chan struct{} { return p.ctx.Done() }

func (p *Participant) info() ParticipantInfo {
	return ParticipantInfo{Identity: p.id, Name: p.grant.Name, Kind: p.grant.Kind, Muted: p.serverMuted.Load()}
}

// send gives ev to the client's sink, if it is connected.
func (p *Participant) send(ev Event) {
	p.mu.Lock()
	sink := p.sink
	p.mu.Unlock()
	if sink != nil {
		sink.Send(ev)
	}
}

func (p *Participant) upPC() *webrtc.PeerConnection {
	if p.via != nil {
		return p.via.upPC() // key frame requests go to the node it came from
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.up
}

// Detach says the client's socket behind sink is gone. The participant
// stays, media flowing, for the reconnect grace; a new socket resumes it
// with the resume token, and the others never see it leave.
func (p *Participant) Detach(sink Sink) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.sink != sink {
		return
	}
	p.sink = nil
	if p.grant.Kind == KindRelay {
		// A relay never resumes: its node opens a new one, and the ghosts
		// of a node that died must leave the room now, not after the grace.
		p.log.Info("relay socket closed")
		go p.Leave("relay closed")
		return
	}
	p.log.Info("participant detached", "grace", p.s.cfg.ReconnectGrace)
	p.grace = time.AfterFunc(p.s.cfg.ReconnectGrace, func() { p.Leave("reconnect grace expired") })
}

// viewer reports whether the participant is a WHEP player: its down
// connection is answer-driven, with the tracks of its one offer (viewer.go).
func (p *Participant) viewer() bool { return p.grant.Kind == KindWHEP }

// sinkless reports whether the participant has no signaling socket (WHIP,
// WHEP): its media connection is its only sign of life.
func (p *Participant) sinkless() bool {
	return p.grant.Kind == KindWHIP || p.grant.Kind == KindWHEP
}

// mediaState follows a connection's state. A participant with a socket
// recovers by ICE restart over it; one without cannot, so a failed
// connection ends it.
func (p *Participant) mediaState(st webrtc.PeerConnectionState) {
	switch st {
	case webrtc.PeerConnectionStateConnected:
		p.mediaUp.Store(true)
	case webrtc.PeerConnectionStateFailed:
		if p.sinkless() || p.grant.Kind == KindRelay {
			go p.Leave("media connection failed")
		}
	case webrtc.PeerConnectionStateDisconnected:
		// ICE heard nothing from the client for 5 s (consent freshness,
		// RFC 7675): a viewer that vanished without DELETE (a closed lobby
		// screen) would otherwise be sent to until ICE fails, 25 s later.
		// It cannot restart ICE, so a second more of silence ends it.
		if p.viewer() {
			time.AfterFunc(viewerSilence, func() {
				if pc := p.downPC(); pc != nil && pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
					p.Leave("media connection lost")
				}
			})
		}
	}
}

// viewerSilence is how long a viewer's connection may stay disconnected
// (after ICE's own 5 s without a word from it) before the viewer ends.
const viewerSilence = time.Second

func (p *Participant) downPC() *webrtc.PeerConnection {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.down
}

// expectMedia ends a participant without a socket whose media never
// connects (an encoder that posted its offer and went away).
func (p *Participant) expectMedia() {
	time.AfterFunc(p.s.cfg.ReconnectGrace, func() {
		if !p.mediaUp.Load() {
			p.Leave("media never connected")
		}
	})
}

// Connected reports whether a client socket is attached.
func (p *Participant) Connected() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sink != nil
}

// resume attaches a new socket's sink and returns the state to replay.
func (p *Participant) resume(sink Sink) (pendingOffer string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.grace != nil {
		p.grace.Stop()
		p.grace = nil
	}
	old := p.sink
	p.sink = sink
	if old != nil && old != sink {
		old.Send(Closed{Reason: "resumed elsewhere"})
	}
	if p.offering && p.down != nil {
		if ld := p.down.LocalDescription(); ld != nil {
			return ld.SDP
		}
	}
	return ""
}

// Leave removes the participant from its room: its tracks are
// unpublished, its connections closed, the others told.
func (p *Participant) Leave(reason string) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	if p.grace != nil {
		p.grace.Stop()
	}
	sink := p.sink
	p.sink = nil
	up, down, recv := p.up, p.down, p.recv
	published := make([]*upTrack, 0, len(p.published))
	for _, t := range p.published {
		published = append(published, t)
	}
	downs := make([]*downTrack, 0, len(p.downs))
	for _, d := range p.downs {
		downs = append(downs, d)
	}
	p.mu.Unlock()

	if recv != nil {
		recv.stop() // its RTP no longer read on the media socket: pion's until closed
	}
	p.log.Info("participant left", "reason", reason)
	if sink != nil && reason != "" {
		sink.Send(Closed{Reason: reason})
	}
	p.room.remove(p)
	p.leaveGhosts()
	for _, t := range published {
		p.room.unpublish(t)
	}
	for _, d := range downs {
		d.detach()
	}
	p.negotiating.Lock()
	if up != nil {
		_ = up.Close()
	}
	if down != nil {
		_ = down.Close()
	}
	p.negotiating.Unlock()
	if f := p.writer.fast; f != nil {
		f.stop() // its RTCP no longer read on the media socket
	}
	p.writer.close()
	p.cancel()
}

// SetMuted is the publisher muting its own microphone (or camera): the SFU
// stops forwarding it and tells the others.
func (p *Participant) SetMuted(source Source, muted bool) error {
	p.mu.Lock()
	t := p.published[source]
	p.mu.Unlock()
	if t == nil {
		return ErrNoTrack
	}
	if t.muted.Swap(muted) != muted {
		if !muted {
			t.newEpoch()
		}
		p.room.broadcast(TrackPublished{Track: t.info()}, nil)
	}
	return nil
}

// MuteParticipant is a moderator muting another participant's audio.
func (p *Participant) MuteParticipant(id ParticipantID, muted bool) error {
	if !p.grant.Moderate {
		return ErrNotAllowed
	}
	return p.s.SetMuted(p.room.id, id, muted)
}

// setServerMuted applies a moderator's mute: audio stops being forwarded
// and the participant and the room are told.
func (p *Participant) setServerMuted(muted bool) {
	if p.serverMuted.Swap(muted) == muted {
		return
	}
	p.mu.Lock()
	var audio []*upTrack
	for _, t := range p.published {
		if t.kind == webrtc.RTPCodecTypeAudio {
			audio = append(audio, t)
		}
	}
	p.mu.Unlock()
	p.send(ServerMuted{Muted: muted})
	for _, t := range audio {
		if !muted {
			t.newEpoch()
		}
		p.room.broadcast(TrackPublished{Track: t.info()}, nil)
	}
	p.room.broadcast(ParticipantUpdated{Participant: p.info()}, p)
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// kickDowns has the writer look at each down track now (writer jobKick).
func (p *Participant) kickDowns() {
	p.mu.Lock()
	downs := make([]*downTrack, 0, len(p.downs))
	for _, d := range p.downs {
		downs = append(downs, d)
	}
	w := p.writer
	p.mu.Unlock()
	if w == nil {
		return
	}
	for _, d := range downs {
		w.kick(d)
	}
}
