package sfu

import (
	"slices"
	"strings"

	"github.com/cau-gov/cau/sfu/red"
	"github.com/pion/webrtc/v4"
)

// Redundant audio (RFC 2198). Chromium offers audio/red beside Opus and
// sends it when the answer lists it first: each packet carries its Opus
// frame after copies of the one or two frames before it, so a commune
// line's lost packet is rebuilt from the next. The SFU asks publishers
// for RED (preferRED) and forwards it as it comes to subscribers that
// negotiated it; for the others (WHEP players without it, pion peers, a
// relay, a recording) it sends the primary Opus frame alone, and on a gap
// rebuilds the lost frames from the next packet's copies (recoverRED).
// A publisher that sends plain Opus (an encoder, a pion peer) reaches a
// subscriber that negotiated RED as RED with copies from the cache once
// that subscriber reports loss (addRED). Sequence numbers are unchanged
// by all three: one packet in, one out, and a rebuilt frame takes the
// number of the packet it stands for.

// preferRED puts audio/red first in the audio sections of pc's answer,
// where the offer had it: Chromium lists Opus first in its offer and
// sends RED only when the answer leads with it.
func preferRED(pc *webrtc.PeerConnection) {
	for _, tr := range pc.GetTransceivers() {
		if tr.Kind() != webrtc.RTPCodecTypeAudio || tr.Receiver() == nil {
			continue
		}
		codecs := tr.Receiver().GetParameters().Codecs
		i := slices.IndexFunc(codecs, func(c webrtc.RTPCodecParameters) bool { return strings.EqualFold(c.MimeType, mimeRED) })
		if i <= 0 {
			continue
		}
		red := codecs[i]
		codecs = slices.Insert(slices.Delete(codecs, i, i+1), 0, red)
		_ = tr.SetCodecPreferences(codecs) // every codec came from the media engine
	}
}

// audioCodecs finds, among a publisher's negotiated codecs, Opus (what
// the track is, whether it comes as RED or not) and RED's payload type (0
// if not negotiated).
func audioCodecs(codecs []webrtc.RTPCodecParameters) (opus webrtc.RTPCodecParameters, redPT uint8, ok bool) {
	for _, c := range codecs {
		switch {
		case strings.EqualFold(c.MimeType, webrtc.MimeTypeOpus) && !ok:
			opus, ok = c, true
		case strings.EqualFold(c.MimeType, mimeRED) && redPT == 0:
			redPT = uint8(c.PayloadType)
		}
	}
	return opus, redPT, ok
}

// isRED reports whether p, a packet of t, is a RED payload.
func (t *upTrack) isRED(p *packet) bool {
	return t.redPT != 0 && p.info.payloadType == t.redPT
}

// redPayload is what goes to the subscriber for p, a RED packet of t, and
// under which payload type: the payload as it is for a subscriber that
// negotiated RED (its blocks renumbered if the subscriber numbers Opus
// differently), else the primary Opus frame; false: not sent (not RED, or
// its primary is not Opus). In the writer goroutine.
func (d *downTrack) redPayload(b *binding, t *upTrack, p *packet, opusPT uint8) ([]byte, uint8, bool) {
	payload := p.payload()
	if b.red != 0 {
		if opusPT == t.codecPT() {
			return payload, b.red, true
		}
		if _, err := red.Primary(payload); err != nil {
			return nil, 0, false
		}
		d.w.redBuf = append(d.w.redBuf[:0], payload...)
		red.SetPT(d.w.redBuf, t.codecPT(), opusPT)
		return d.w.redBuf, b.red, true
	}
	prim, err := red.Primary(payload)
	if err != nil || prim.PT != t.codecPT() || len(prim.Data) == 0 {
		return nil, 0, false
	}
	return prim.Data, opusPT, true
}

// primarySize is the size of p, a packet of t, as a subscriber without
// RED gets it.
func primarySize(t *upTrack, p *packet) int {
	if !t.isRED(p) {
		return p.n
	}
	prim, err := red.Primary(p.payload())
	if err != nil {
		return 0
	}
	return p.info.payloadStart + len(prim.Data)
}

// audioRate is the rate (bit/s, measured payload and headers) of l, an
// audio layer, as d gets it: the primary frames alone for a subscriber
// without RED when the publisher sends RED, plain Opus with the SFU's
// copies for one with RED when the publisher does not; 0 before it is
// measured.
func (d *downTrack) audioRate(l *upLayer) int {
	b := d.bound.Load()
	switch {
	case b == nil:
	case l.track.redPT != 0 && b.red == 0:
		if r := l.primaryRate.bps.Load(); r > 0 {
			return int(r)
		}
	case l.track.redPT == 0 && b.red != 0:
		// Plain Opus with the SFU's copies (addRED): the payload again
		// per copy, a little less with the headers not repeated.
		return int(l.rate.bps.Load()) * (1 + redCopies(d.lossOut.Load()))
	}
	return int(l.rate.bps.Load())
}

// redCopies is how many earlier frames the SFU adds to a plain Opus
// packet for a subscriber that negotiated RED, by the fraction lost
// (×256) it reports: none on a clean line (RED's copies would only cost
// its bandwidth), one from 1 %, two from 10 % (two lost in a row are
// then common).
func redCopies(lost uint32) int {
	switch {
	case lost < 3:
		return 0
	case lost < 26:
		return 1
	default:
		return 2
	}
}

// addRED builds, for a subscriber that negotiated RED, a RED payload of
// p (a plain Opus packet of l, whose Opus the subscriber numbers opusPT)
// with copies of the frames of the packets before it from l's cache
// (those of the same stretch and within RED's 341 ms); false when there
// is none to add, and p goes as it is. The payload is the writer's
// buffer, under its mutex.
func (d *downTrack) addRED(l *upLayer, p *packet, opusPT uint8, copies int) ([]byte, bool) {
	if copies == 0 {
		return nil, false
	}
	var blocks [2]red.Block
	var held [2]*packet
	n := 0
	for k := min(copies, len(blocks)); k >= 1; k-- {
		q := l.cache.get(p.info.seq - uint16(k))
		if q == nil {
			continue
		}
		off := p.info.ts - q.info.ts
		if q.epoch != p.epoch || q.info.payloadType != p.info.payloadType || off == 0 || off > red.MaxTSOffset ||
			len(q.payload()) > red.MaxLength || len(q.payload()) == 0 {
			q.release()
			continue
		}
		held[n], blocks[n] = q, red.Block{PT: opusPT, TSOffset: uint16(off), Data: q.payload()}
		n++
	}
	defer releaseAll(held[:n])
	if n == 0 {
		return nil, false
	}
	buf, err := red.Append(d.w.redBuf[:0], blocks[:n], red.Block{PT: opusPT, Data: p.payload()})
	if err != nil {
		return nil, false
	}
	d.w.redBuf = buf
	return buf, true
}

// codecPT is the publisher's payload type for its Opus.
func (t *upTrack) codecPT() uint8 { return uint8(t.codec.PayloadType) }

// recoverRED sends, to a subscriber that gets the primary frames alone,
// the frames lost upstream just before p (a RED packet of l that is about
// to be forwarded), from p's redundant blocks. The k-th block from the end
// is the frame of the packet k before p: Chromium's encoder copies the
// frames it sent, and the oldest are the ones it leaves out (beyond 341
// ms). A frame whose timestamp does not fall between the last one sent
// and p's is not trusted.
func (d *downTrack) recoverRED(l *upLayer, p *packet, now int64) {
	r := d.seq.media()
	if r == nil || r.src != l || r.epoch != p.epoch || r != d.seq.newest() {
		return
	}
	next := r.srcFirst + r.count
	gap := p.info.seq - next
	if gap == 0 || gap >= red.MaxBlocks {
		return
	}
	var store [red.MaxBlocks]red.Block
	blocks, err := red.Parse(p.payload(), store[:0])
	if err != nil {
		return
	}
	redundant := len(blocks) - 1
	lastTs := d.seq.lastTs - r.tsOff // the source's timestamp of the last frame sent
	t := l.track
	for s := next; s != p.info.seq; s++ {
		k := int(p.info.seq - s)
		if k > redundant {
			continue
		}
		blk := blocks[redundant-k]
		ts := p.info.ts - uint32(blk.TSOffset)
		if blk.PT != t.codecPT() || len(blk.Data) == 0 || int32(ts-lastTs) <= 0 || int32(p.info.ts-ts) <= 0 {
			continue
		}
		seq, ots, ok := d.seq.forward(l, p.epoch, s, ts, now)
		if !ok {
			continue
		}
		lastTs = ts
		if d.writeFrame(t, blk.Data, false, seq, ots, p.arrival) {
			d.sub.s.metrics.redRecovered.Inc()
		}
	}
}
