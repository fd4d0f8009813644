package sfu

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cau-gov/cau/sfu/internal/gcc"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// downConn creates the participant's down (subscribing) connection.
func (p *Participant) downConn() error {
	var fast *fastSender
	if !p.s.cfg.PionWrites {
		fast = newFastSender(p.s.media)
	}
	api, bwe, err := newDownAPI(p.s.se, p.s.cfg.InitialBitrate, p.s.cfg.MaxBitrate, fast)
	if err != nil {
		return fmt.Errorf("down API: %w", err)
	}
	// No cryptex (RFC 9335) on the down connection: the fast path
	// encrypts payloads only, as SRTP does without it.
	pc, err := api.NewPeerConnection(webrtc.Configuration{RTPHeaderEncryptionPolicy: webrtc.RTPHeaderEncryptionPolicyDisable})
	if err != nil {
		return fmt.Errorf("new down connection: %w", err)
	}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		p.mu.Lock()
		if p.holdCandidates {
			p.held = append(p.held, c.ToJSON())
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		p.send(Candidate{PC: PCDown, Candidate: c.ToJSON()})
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		p.log.Debug("down connection", "state", st.String())
		if st == webrtc.PeerConnectionStateConnected {
			if fast != nil {
				p.startFast(pc, fast) // before downReady: no packet goes pion's way first
			}
			p.downReady.Store(true)
			p.downSince.CompareAndSwap(0, nanotime())
			p.kickDowns() // new tracks start from the cache now (startFromCache)
		}
		p.mediaState(st)
	})
	// Fan-out passes write to this subscriber themselves only over UDP
	// (writer.direct).
	pc.SCTP().Transport().ICETransport().OnSelectedCandidatePairChange(func(pair *webrtc.ICECandidatePair) {
		if w := p.writer; w != nil {
			w.direct.Store(pair.Local.Protocol == webrtc.ICEProtocolUDP)
		}
		if fast != nil {
			fast.route(pair)
		}
	})
	if fast != nil {
		if e, ok := bwe().(*gcc.SendSideBWE); ok {
			fast.estimator(e) // records what it sends past the interceptors
		}
		if !p.s.cfg.PionRTCP {
			fast.rx = newFastReceiver(p, bwe)
		}
		p.writer.fast = fast
		go p.sendReports(pc)
	}
	p.down, p.bwe = pc, bwe
	if e := bwe(); e != nil {
		p.watchEstimate(e)
	}
	return nil
}

// negotiate sends the client a new down offer, or marks one as needed
// when an offer is already out (one at a time: no glare).
func (p *Participant) negotiate(restart bool) {
	p.mu.Lock()
	if p.closed || p.down == nil || p.viewer() {
		p.mu.Unlock()
		return
	}
	p.restart = p.restart || restart
	if p.offering || p.heldOffers {
		p.reoffer = true
		p.mu.Unlock()
		return
	}
	p.offering = true
	// Candidates gathered from SetLocalDescription on go out after the
	// offer: a client given a restart's candidates before the offer with
	// their ufrag drops them (pion and browsers alike), and the restarted
	// connection then never came back (TestICERestart under load).
	p.holdCandidates = true
	restart, p.restart = p.restart, false
	pc := p.down
	p.mu.Unlock()

	p.negotiating.Lock()
	offer, err := pc.CreateOffer(&webrtc.OfferOptions{ICERestart: restart})
	if err == nil {
		err = pc.SetLocalDescription(offer)
	}
	p.negotiating.Unlock()
	if err != nil {
		p.log.Warn("down offer", "error", err)
		p.mu.Lock()
		p.offering = false
		p.mu.Unlock()
		p.releaseCandidates()
		return
	}
	p.send(SessionDescription{PC: PCDown, SDP: offer.SDP, kind: "offer"})
	p.releaseCandidates()
}

// holdOffers makes the track changes that follow wait for releaseOffers,
// which sends one down offer for all of them.
func (p *Participant) holdOffers() {
	p.mu.Lock()
	p.heldOffers = true
	p.mu.Unlock()
}

// releaseOffers sends the down offer held back by holdOffers, if
// anything changed meanwhile and no offer awaits its answer (its answer
// sends it then).
func (p *Participant) releaseOffers() {
	p.mu.Lock()
	p.heldOffers = false
	again := (p.reoffer || p.restart) && !p.offering
	if again {
		p.reoffer = false
	}
	p.mu.Unlock()
	if again {
		p.negotiate(false)
	}
}

// releaseCandidates sends the down candidates held back during an offer.
func (p *Participant) releaseCandidates() {
	p.mu.Lock()
	held := p.held
	p.held, p.holdCandidates = nil, false
	p.mu.Unlock()
	for _, c := range held {
		p.send(Candidate{PC: PCDown, Candidate: c})
	}
}

// Answer takes the client's answer to the SFU's down offer.
func (p *Participant) Answer(answer string) error {
	p.mu.Lock()
	pc, offering := p.down, p.offering
	p.mu.Unlock()
	if pc == nil || !offering {
		return fmt.Errorf("%w: no offer awaits an answer", ErrInvalid)
	}
	p.negotiating.Lock()
	err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer})
	if err == nil {
		p.flushCandidates(PCDown, pc)
	}
	p.negotiating.Unlock()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	p.mu.Lock()
	p.offering = false
	again := p.reoffer || p.restart
	p.reoffer = false
	p.mu.Unlock()
	if again {
		p.negotiate(false)
	}
	return nil
}

// RestartICE renegotiates the down connection with new ICE credentials
// (the client's network changed). The up connection restarts by the
// client offering with iceRestart.
func (p *Participant) RestartICE() error {
	if !p.grant.Subscribe {
		return fmt.Errorf("subscribe: %w", ErrNotAllowed)
	}
	p.negotiate(true)
	return nil
}

// Subscribe sets the quality wanted of a video track (FloorTrack for the
// floor). The first call adds the track to the down connection; off keeps
// it negotiated but sends nothing, so showing a hidden tile again is fast.
func (p *Participant) Subscribe(id TrackID, q Quality) error {
	if !p.grant.Subscribe {
		return fmt.Errorf("subscribe: %w", ErrNotAllowed)
	}
	if q < QualityOff || q > QualityHigh {
		return fmt.Errorf("%w: quality %d", ErrInvalid, q)
	}
	p.mu.Lock()
	d := p.downs[id]
	p.mu.Unlock()
	if d == nil {
		var err error
		if d, err = p.addDown(id, q); err != nil {
			return err
		}
	}
	d.want.Store(int32(q))
	d.relayStream(q > QualityOff)
	p.allocate()
	return nil
}

// addDown adds a down track for a published track or the floor.
func (p *Participant) addDown(id TrackID, q Quality) (*downTrack, error) {
	var d *downTrack
	if id == FloorTrack {
		// No one codec: the floor binds every video codec negotiated and
		// sends each hall in its own (downTrack.Bind).
		d = newDownTrack(FloorTrack, "floor", webrtc.RTPCodecTypeVideo, webrtc.RTPCodecCapability{ClockRate: 90000}, p)
		d.floor = true
	} else {
		t := p.room.track(id)
		if t == nil {
			// Another node's camera a relay offers: the subscription waits
			// for the track (relayoffer.go).
			o, ok := p.room.offer(id)
			if !ok {
				return nil, fmt.Errorf("subscribe %s: %w", id, ErrNoTrack)
			}
			d = newDownTrack(id, string(o.Participant), webrtc.RTPCodecTypeVideo, webrtc.RTPCodecCapability{MimeType: o.Codec, ClockRate: 90000}, p)
		} else {
			if t.owner == p {
				return nil, fmt.Errorf("%w: subscribing to one's own track", ErrInvalid)
			}
			d = newDownTrack(id, string(t.owner.id), t.kind, t.codec.RTPCodecCapability, p)
			d.src.Store(t)
			t.addSub(d)
		}
	}
	d.want.Store(int32(q))
	if p.grant.Kind == KindRelay {
		d.relay = p.s.metrics.relayMeter(p.relayNode(), "out")
		d.relayStream(q > QualityOff) // ended by detach, whatever path removes it
	}
	p.mu.Lock()
	if p.closed || p.down == nil {
		p.mu.Unlock()
		d.detach()
		return nil, ErrClosed
	}
	if old := p.downs[id]; old != nil {
		p.mu.Unlock()
		d.detach()
		return old, nil
	}
	p.downs[id] = d
	pc := p.down
	p.mu.Unlock()
	if !d.floor && d.src.Load() == nil {
		// An offered track that arrived meanwhile: room.publish looked
		// before this subscription was listed.
		if t := p.room.track(id); t != nil && t.owner != p {
			d.attach(t)
		}
	}
	sender, err := pc.AddTrack(d)
	if err != nil {
		p.mu.Lock()
		delete(p.downs, id)
		p.mu.Unlock()
		d.detach()
		return nil, fmt.Errorf("add down track %s: %w", id, err)
	}
	d.sender = sender
	go p.readRTCP(d)
	if d.kind == webrtc.RTPCodecTypeAudio {
		if t := d.src.Load(); t != nil {
			d.setTarget(t.pickLayer(2))
		}
	}
	p.negotiate(false)
	return d, nil
}

// removeDown takes a down track off the connection (its source is gone).
func (p *Participant) removeDown(id TrackID) {
	p.mu.Lock()
	d := p.downs[id]
	delete(p.downs, id)
	pc := p.down
	closed := p.closed
	p.mu.Unlock()
	if d == nil {
		return
	}
	d.detach()
	if closed || pc == nil || d.sender == nil {
		return
	}
	if err := pc.RemoveTrack(d.sender); err != nil {
		p.log.Debug("remove down track", "track_id", id, "error", err)
	}
	p.negotiate(false)
}

// readRTCP reads what the subscriber says about one down track through
// pion (what the fast read path does not take, fastrtcp.go): key frame
// requests go to the publisher (throttled), NACKs are answered from the
// cache, receiver reports feed the stats. It also drives pion's
// interceptors (congestion control feedback), which see RTCP only when it
// is read.
func (p *Participant) readRTCP(d *downTrack) {
	bad := 0
	for {
		pkts, _, err := d.sender.ReadRTCP()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) {
			return
		}
		if err != nil {
			// One malformed datagram (or feedback an interceptor refused)
			// must not end this track's NACK, PLI and report handling;
			// each error consumed a datagram, so this cannot spin, but a
			// reader that only fails is given up.
			if bad++; bad > 100 {
				p.log.Warn("down track's RTCP unreadable; no longer read", "track", d.id, "error", err)
				return
			}
			continue
		}
		bad = 0
		for _, pkt := range pkts {
			p.handleRTCP(d, pkt)
		}
	}
}

// handleRTCP handles one RTCP packet addressed to d, read by readRTCP or
// on the fast read path (fastrtcp.go). It does not block.
func (p *Participant) handleRTCP(d *downTrack, pkt rtcp.Packet) {
	switch pkt := pkt.(type) {
	case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
		if l := d.cur.Load(); l != nil {
			l.requestKeyframe(p.s.cfg.PLIInterval, p.s.metrics)
		}
	case *rtcp.TransportLayerNack:
		for _, n := range pkt.Nacks {
			for _, seq := range n.PacketList() {
				p.s.metrics.nacks.Inc()
				p.writer.nack(d, seq)
			}
		}
	case *rtcp.ReceiverReport:
		for _, r := range pkt.Reports {
			d.noteReport(r)
		}
	case *rtcp.SenderReport:
		for _, r := range pkt.Reports {
			d.noteReport(r)
		}
	}
}

// noteReport keeps loss, jitter and round-trip time from a reception
// report. RTT = now - LSR - DLSR in NTP short format (1/65536 s).
func (d *downTrack) noteReport(r rtcp.ReceptionReport) {
	b := d.bound.Load()
	if b == nil || r.SSRC != b.ssrc {
		return
	}
	d.lossOut.Store(uint32(r.FractionLost))
	d.jitterTicks.Store(r.Jitter)
	if r.LastSenderReport != 0 {
		rtt := ntpShort(time.Now()) - r.LastSenderReport - r.Delay
		if rtt < 65536*10 { // ignore nonsense above 10 s
			d.rttMicros.Store(uint32(uint64(rtt) * 1_000_000 / 65536))
		}
	}
}

// ntpShort is the middle 32 bits of the NTP timestamp of t.
func ntpShort(t time.Time) uint32 {
	secs := uint64(t.Unix()) + 2208988800
	frac := uint64(t.Nanosecond()) << 32 / 1_000_000_000
	return uint32(secs<<16 | frac>>16)
}
