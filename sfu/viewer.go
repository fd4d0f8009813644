package sfu

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// A viewer (a WHEP player: a lobby screen, a stream encoder) has no
// signaling socket and cannot follow renegotiations, so its down
// connection is answer-driven and its tracks are fixed by its one offer:
// the floor's picture on the first video section and, on each audio
// section, an audio slot. Slot i carries the i-th audible participant, the
// floor first and then by loudness, so a one-section player hears whoever
// holds the floor and a player offering several sections hears the
// loudest halls side by side. Sources change under the slots with the
// sequence numbers and timestamps rewritten, as for the floor picture.

// audioSlotID names a viewer's i-th audio slot; published IDs always hold
// a "/", so these cannot collide with them.
func audioSlotID(i int) TrackID { return TrackID(fmt.Sprintf("audio-%d", i)) }

var opusCodec = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}

// Play answers a viewer's offer (receive-only sections) and returns the
// answer with every candidate in it. Only participants joined with
// KindWHEP play, and only once: a new offer means a new session.
func (p *Participant) Play(offer string) (string, error) {
	if !p.viewer() {
		return "", fmt.Errorf("%w: only a viewer plays", ErrInvalid)
	}
	video, audio, err := viewerSections(offer)
	if err != nil {
		return "", err
	}
	p.mu.Lock()
	pc := p.down
	started := pc != nil && pc.RemoteDescription() != nil
	p.mu.Unlock()
	if pc == nil {
		return "", ErrClosed
	}
	if started {
		return "", fmt.Errorf("%w: the session already has an offer; start a new session", ErrInvalid)
	}
	gathered, err := p.answerPlayer(pc, offer, video, audio)
	if err != nil {
		return "", err
	}
	p.expectMedia()
	select {
	case <-gathered:
	case <-time.After(5 * time.Second):
	case <-p.ctx.Done():
		return "", ErrClosed
	}
	local := pc.LocalDescription().SDP
	if !strings.Contains(local, "transport-cc") {
		// The player sends no transport feedback, so nothing can estimate
		// its downlink: a lobby screen or encoder on a wired network gets
		// what it asks for, up to the cap.
		p.mu.Lock()
		p.bwe = nil
		p.noFeedback = true
		p.mu.Unlock()
		p.log.Info("viewer without transport feedback: sending at the cap", "max_bitrate", p.s.cfg.MaxBitrate)
	}
	p.allocate()
	return local, nil
}

// answerPlayer takes a player's offer, gives its sections the floor and the
// audio slots, and answers, under the negotiating lock (a viewer never
// renegotiates, so addDown does not come back for it).
func (p *Participant) answerPlayer(pc *webrtc.PeerConnection, offer string, video bool, audio int) (<-chan struct{}, error) {
	p.negotiating.Lock()
	defer p.negotiating.Unlock()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	// Tracks added now take the offered (receive-only) transceivers.
	if video {
		if _, err := p.addDown(FloorTrack, QualityHigh); err != nil {
			return nil, err
		}
	}
	for i := range min(audio, max(p.s.cfg.AudioLastN, 1)) {
		if _, err := p.addSlot(i); err != nil {
			return nil, err
		}
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return nil, fmt.Errorf("%w: answer: %v", ErrBadSDP, err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return nil, fmt.Errorf("%w: set answer: %v", ErrBadSDP, err)
	}
	return gathered, nil
}

// viewerSections checks a viewer's offer before pion sees it, so a player
// offering what the SFU cannot send learns why: the floor is VP8 or H.264
// (whichever its hall publishes; a player that has only one of them sees
// the floor paused while a hall in the other holds it) and the audio Opus.
// It counts the sections the SFU will fill.
func viewerSections(offer string) (video bool, audio int, err error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return false, 0, fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	var videos int
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Port.Value == 0 {
			continue // rejected or stopped section
		}
		if _, send := m.Attribute("sendonly"); send {
			return false, 0, fmt.Errorf("%w: a viewer's offer receives only (section %q is sendonly)", ErrBadSDP, m.MediaName.Media)
		}
		switch m.MediaName.Media {
		case "video":
			if !offersCodec(m, "VP8") && !offersCodec(m, "H264") {
				return false, 0, fmt.Errorf("%w: the floor is sent as VP8 or H.264; the offer's video section accepts neither", ErrBadSDP)
			}
			videos++
		case "audio":
			if !offersCodec(m, "opus") {
				return false, 0, fmt.Errorf("%w: audio is sent as Opus; the offer's audio section does not accept it", ErrBadSDP)
			}
			audio++
		}
	}
	if videos == 0 && audio == 0 {
		return false, 0, fmt.Errorf("%w: the offer has no audio or video section", ErrBadSDP)
	}
	return videos > 0, audio, nil
}

func offersCodec(m *sdp.MediaDescription, name string) bool {
	for _, a := range m.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		// "96 VP8/90000"
		_, enc, ok := strings.Cut(a.Value, " ")
		if codec, _, _ := strings.Cut(enc, "/"); ok && strings.EqualFold(codec, name) {
			return true
		}
	}
	return false
}

// addSlot adds a viewer's i-th audio slot; allocation points it at a
// source.
func (p *Participant) addSlot(i int) (*downTrack, error) {
	d := newDownTrack(audioSlotID(i), "floor", webrtc.RTPCodecTypeAudio, opusCodec, p)
	d.slot = i + 1
	d.want.Store(int32(QualityHigh))
	p.mu.Lock()
	if p.closed || p.down == nil {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	p.downs[d.id] = d
	pc := p.down
	p.mu.Unlock()
	sender, err := pc.AddTrack(d)
	if err != nil {
		p.mu.Lock()
		delete(p.downs, d.id)
		p.mu.Unlock()
		return nil, fmt.Errorf("add audio slot %d: %w", i, err)
	}
	d.sender = sender
	go p.readRTCP(d)
	return d, nil
}

// pointSlots points a viewer's audio slots at the room's audible tracks:
// the first len(slots) of them, a slot keeping its source while that
// source stays among them, so two halls of similar loudness do not swap
// slots (and cut each other off) at every ranking.
func (p *Participant) pointSlots(slots []*downTrack) {
	want := p.room.audibleTop(len(slots))
	var free []*downTrack
	taken := make(map[*upTrack]bool, len(want))
	for _, d := range slots {
		if src := d.src.Load(); src != nil && d.target.Load() != nil && slices.Contains(want, src) && !taken[src] {
			taken[src] = true
			continue
		}
		free = append(free, d)
	}
	for _, t := range want {
		if taken[t] {
			continue
		}
		if len(free) == 0 {
			break
		}
		free[0].setTarget(t.pickLayer(2))
		free = free[1:]
	}
	for _, d := range free {
		d.setTarget(nil)
	}
}

// audibleTop is the first n forwarded audio tracks (the floor's first,
// then by loudness).
func (r *room) audibleTop(n int) []*upTrack {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.audibleRank[:min(n, len(r.audibleRank))])
}
