package sfu

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cau-gov/cau/sfu/internal/icestart"
	"github.com/pion/ice/v4"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// OfferOptions come with a client's offer for its up connection.
type OfferOptions struct {
	// Sources says what each offered track is, by the client's track ID
	// (the msid track identifier); unnamed audio is the microphone,
	// unnamed video the camera.
	Sources map[string]Source
	// NoTrickle waits for ICE gathering so the answer holds every
	// candidate (WHIP, WHEP).
	NoTrickle bool
}

// Offer takes the client's offer for its up (publishing) connection, an
// initial one, a renegotiation or an ICE restart, and returns the answer.
// With trickle (the default) the answer also goes to the sink, ahead of
// the SFU's candidates; with NoTrickle it holds all candidates and is only
// returned.
func (p *Participant) Offer(offer string, o OfferOptions) (string, error) {
	if !p.grant.Publish && !p.grant.Screen {
		return "", fmt.Errorf("publish: %w", ErrNotAllowed)
	}
	pc, started, err := p.upConn()
	if err != nil {
		return "", err
	}
	// A renegotiation set before pion started the first exchange's ICE
	// transport restarts ICE under a new ufrag (icestart): a publisher
	// adding its camera right after its microphone, with the server
	// loaded, would have its connection restarted, or lost.
	if err := started.BeforeRenegotiation(p.ctx, pc); err != nil {
		return "", ErrClosed
	}
	p.mu.Lock()
	for id, src := range o.Sources {
		switch src {
		case SourceCamera, SourceMicrophone, SourceScreen:
			p.sources[id] = src
		default:
			p.mu.Unlock()
			return "", fmt.Errorf("%w: source %q", ErrInvalid, src)
		}
	}
	p.mu.Unlock()
	gathered, answer, err := p.answerUp(pc, offer, !o.NoTrickle)
	if err != nil {
		return "", err
	}
	if p.sinkless() {
		p.expectMedia()
	}
	if o.NoTrickle {
		select {
		case <-gathered:
		case <-time.After(5 * time.Second):
		case <-p.ctx.Done():
			return "", ErrClosed
		}
		return pc.LocalDescription().SDP, nil
	}
	return answer.SDP, nil
}

// answerUp takes a publisher's offer and answers it, under the
// negotiating lock; with trickle the answer goes out before gathering
// starts, so the client has it before the first trickled candidate.
func (p *Participant) answerUp(pc *webrtc.PeerConnection, offer string, trickle bool) (<-chan struct{}, webrtc.SessionDescription, error) {
	p.negotiating.Lock()
	defer p.negotiating.Unlock()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return nil, webrtc.SessionDescription{}, fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	preferRED(pc)
	p.flushCandidates(PCUp, pc)
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return nil, answer, fmt.Errorf("%w: answer: %v", ErrBadSDP, err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if trickle {
		p.send(SessionDescription{PC: PCUp, SDP: answer.SDP, kind: "answer"})
	}
	if err := pc.SetLocalDescription(answer); err != nil {
		return nil, answer, fmt.Errorf("%w: set answer: %v", ErrBadSDP, err)
	}
	return gathered, answer, nil
}

// upConn returns the up connection, creating it on the first offer, and
// the signal of its ICE transport's start.
func (p *Participant) upConn() (*webrtc.PeerConnection, *icestart.Signal, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, nil, ErrClosed
	}
	if p.up != nil {
		return p.up, p.upStarted, nil
	}
	api, rx, cfg := p.s.upAPI, (*upReceiver)(nil), webrtc.Configuration{}
	if p.s.fastReceive() && p.grant.Kind != KindRelay {
		rx = newUpReceiver(p, p.s.media)
		var err error
		if api, err = newUpAPI(p.s.se, &p.s.audio, rx); err != nil {
			return nil, nil, fmt.Errorf("up API: %w", err)
		}
		// No cryptex (RFC 9335): the fast path's context decrypts
		// payloads only, as SRTP does without it.
		cfg.RTPHeaderEncryptionPolicy = webrtc.RTPHeaderEncryptionPolicyDisable
	}
	pc, err := api.NewPeerConnection(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("new up connection: %w", err)
	}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			p.send(Candidate{PC: PCUp, Candidate: c.ToJSON()})
		}
	})
	pc.OnTrack(p.onTrack)
	started := icestart.New()
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		p.log.Debug("up connection", "state", st.String())
		started.Note(st)
		if st == webrtc.PeerConnectionStateConnected && rx != nil {
			p.startRecv(pc, rx)
		}
		p.mediaState(st)
	})
	if rx != nil {
		pc.SCTP().Transport().ICETransport().OnSelectedCandidatePairChange(rx.route)
	}
	p.up, p.recv, p.upStarted = pc, rx, started
	return pc, started, nil
}

// AddCandidate adds a candidate the client trickled for one connection.
func (p *Participant) AddCandidate(which PC, c webrtc.ICECandidateInit) error {
	p.mu.Lock()
	var pc *webrtc.PeerConnection
	switch which {
	case PCUp:
		pc = p.up
	case PCDown:
		pc = p.down
	default:
		p.mu.Unlock()
		return fmt.Errorf("%w: connection %q", ErrInvalid, which)
	}
	if pc == nil || !forRemote(pc.RemoteDescription(), c) {
		if len(p.pending[which]) < 64 {
			p.pending[which] = append(p.pending[which], c)
		}
		p.mu.Unlock()
		return nil
	}
	p.mu.Unlock()
	// pion's AddICECandidate on a closed connection makes it a new ICE
	// agent that nobody closes: add it under the lock Leave closes under.
	p.negotiating.Lock()
	defer p.negotiating.Unlock()
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if err := pc.AddICECandidate(c); err != nil {
		return fmt.Errorf("%w: candidate: %v", ErrInvalid, err)
	}
	return nil
}

// forRemote reports whether a trickled candidate belongs to the remote
// description rd: the client's candidates of an ICE restart can arrive
// before its offer or answer with the new credentials (it gathers as soon
// as it sets its own description), and pion drops a candidate whose ufrag
// is not the current one's, so the restarted connection had no remote
// candidates on one side and never came back (TestICERestart under load).
// Such a candidate waits with the pending ones for the next description.
func forRemote(rd *webrtc.SessionDescription, c webrtc.ICECandidateInit) bool {
	if rd == nil {
		return false
	}
	cand, err := ice.UnmarshalCandidate(strings.TrimPrefix(c.Candidate, "candidate:"))
	if err != nil {
		return true // pion says what is wrong with it
	}
	ufrag, ok := cand.GetExtension("ufrag")
	return !ok || strings.Contains(rd.SDP, "a=ice-ufrag:"+ufrag.Value+"\r\n")
}

// flushCandidates adds the candidates that waited for pc's remote
// description; negotiating held, right after that description was set
// (so pc is not closed: Leave closes under the same lock).
func (p *Participant) flushCandidates(which PC, pc *webrtc.PeerConnection) {
	p.mu.Lock()
	cs := p.pending[which]
	delete(p.pending, which)
	p.mu.Unlock()
	for _, c := range cs {
		if err := pc.AddICECandidate(c); err != nil {
			p.log.Debug("queued candidate", "pc", which, "error", err)
		}
	}
}

// sourceOf decides what a new remote track is and whether the grant
// allows publishing it.
func (p *Participant) sourceOf(remote *webrtc.TrackRemote) (Source, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	src, ok := p.sources[remote.ID()]
	if !ok {
		if remote.Kind() == webrtc.RTPCodecTypeAudio {
			src = SourceMicrophone
		} else {
			src = SourceCamera
		}
	}
	if (src == SourceScreen && !p.grant.Screen) || (src != SourceScreen && !p.grant.Publish) {
		return "", fmt.Errorf("publish %s: %w", src, ErrNotAllowed)
	}
	if (src == SourceMicrophone) != (remote.Kind() == webrtc.RTPCodecTypeAudio) {
		return "", fmt.Errorf("%w: %s track as %s", ErrInvalid, remote.Kind(), src)
	}
	return src, nil
}

// onTrack runs once per incoming stream: per simulcast layer.
func (p *Participant) onTrack(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	if p.grant.Kind == KindRelay {
		p.onRelayTrack(remote, recv) // a track of another node's participant (relay.go)
		return
	}
	src, err := p.sourceOf(remote)
	if err != nil {
		p.log.Warn("refused track", "track", remote.ID(), "error", err)
		p.send(errorEvent(err, ""))
		go drain(remote)
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	t := p.published[src]
	fresh := t == nil
	if fresh {
		t = &upTrack{id: TrackID(string(p.id) + "/" + string(src)), owner: p, source: src, kind: remote.Kind(), codec: remote.Codec()}
		t.level.Store(127)
		t.h264 = strings.EqualFold(remote.Codec().MimeType, webrtc.MimeTypeH264)
		if p.via != nil {
			t.relay = p.s.metrics.relayMeter(p.via.relayNode(), "in")
		}
		if t.kind == webrtc.RTPCodecTypeAudio {
			// A track is Opus whether its packets come as RED or not.
			if opus, redPT, ok := audioCodecs(recv.GetParameters().Codecs); ok {
				t.codec, t.redPT = opus, redPT
			}
		}
		for _, e := range recv.GetParameters().HeaderExtensions {
			if e.URI == sdp.AudioLevelURI {
				t.levelID = uint8(e.ID)
			}
		}
		p.published[src] = t
	}
	p.mu.Unlock()

	idx := 2
	if remote.RID() != "" {
		idx = layerOf(remote.RID())
	}
	size := videoCacheSizes[idx]
	if remote.Kind() == webrtc.RTPCodecTypeAudio {
		size = audioCacheSize
	}
	l := &upLayer{track: t, index: idx, remote: remote, ssrc: uint32(remote.SSRC()), cache: newPacketCache(size), done: make(chan struct{})}
	l.wantedAt.Store(nanotime()) // a new layer flows for PauseAfter before anyone must want it
	t.mu.Lock()
	t.layers[idx] = l
	t.mu.Unlock()
	p.log.Info("track published", "track_id", t.id, "rid", remote.RID(), "codec", remote.Codec().MimeType)

	if t.kind == webrtc.RTPCodecTypeAudio {
		p.s.audio.add(l.ssrc, t)
	}
	p.mu.Lock()
	rx := p.recv
	p.mu.Unlock()
	if rx != nil {
		rx.bind(l) // the layer's packets from now on: fastrecv.go
	}
	go l.read(p.s.metrics)
	go func() {
		for {
			var err error
			if remote.RID() != "" {
				_, _, err = recv.ReadSimulcastRTCP(remote.RID())
			} else {
				_, _, err = recv.ReadRTCP()
			}
			if err != nil {
				return
			}
		}
	}()
	if fresh {
		p.room.publish(t)
	} else {
		p.room.broadcast(TrackPublished{Track: t.info()}, nil)
	}
	go func() {
		<-l.done
		if rx != nil {
			rx.unbind(l)
		}
		p.s.audio.remove(l.ssrc, t)
		l.cache.clear()
		l.retire(p.s.metrics)
		t.mu.Lock()
		if t.layers[idx] == l {
			t.layers[idx] = nil
		}
		empty := t.layers == [3]*upLayer{}
		t.mu.Unlock()
		if empty {
			p.mu.Lock()
			if p.published[src] == t {
				delete(p.published, src)
			}
			p.mu.Unlock()
			p.room.unpublish(t)
			if p.via != nil {
				p.ghostEmptied()
			}
		}
	}()
}

func drain(remote *webrtc.TrackRemote) {
	buf := make([]byte, maxPacket)
	for {
		if _, _, err := remote.Read(buf); err != nil {
			return
		}
	}
}

// errorEvent maps an error to its wire code.
func errorEvent(err error, ref string) ErrorEvent {
	return ErrorEvent{Code: ErrorCode(err), Message: err.Error(), Ref: ref}
}

// ErrorCode is the signaling error code of err: the one mapping of SFU
// errors to what clients see.
func ErrorCode(err error) string {
	switch {
	case errors.Is(err, ErrNotAllowed):
		return "not_allowed"
	case errors.Is(err, ErrNoTrack), errors.Is(err, ErrNoParticipant), errors.Is(err, ErrNoRoom):
		return "not_found"
	case errors.Is(err, ErrBadSDP):
		return "bad_sdp"
	case errors.Is(err, ErrTooMany):
		return "room_full"
	case errors.Is(err, ErrBadResume):
		return "bad_resume"
	case errors.Is(err, ErrRevoked):
		return "revoked"
	case errors.Is(err, ErrLocked):
		return "room_locked"
	case errors.Is(err, ErrDraining):
		return "draining"
	case errors.Is(err, ErrClosed):
		return "closed"
	case errors.Is(err, ErrInvalid):
		return "bad_request"
	default:
		return "internal"
	}
}
