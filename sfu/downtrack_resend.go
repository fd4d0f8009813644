package sfu

import "time"

// What a down track sends besides the forwarded stream: copies answering
// NACKs (from the layer's cache, under the budget bandwidth.go leaves for
// them) and padding, which probes the link and answers NACKs for lost
// padding.

// retransmit answers a NACK for seq (the subscriber's numbering) from the
// cache of the layer it was sent from, whatever offset it was sent under.
func (d *downTrack) retransmit(seq uint16) {
	src, epoch, srcSeq, tsOff, ok := d.seq.reverse(seq)
	padding := !ok && d.seq.padding(seq)
	if !ok && !padding {
		d.sub.s.metrics.nacksUnknown.Inc() // never sent, or too old
		return
	}
	now := d.w.now
	r := &d.rtx[int(seq)%len(d.rtx)]
	gap := max(int64(d.rttMicros.Load())*int64(time.Microsecond), int64(rtxMinGap))
	if r.at != 0 && r.seq == seq && now-r.at < gap {
		// Sent again less than a round trip ago: the receiver NACKs a
		// missing packet every ~100 ms until it arrives, and on a
		// commune line the retransmission waits in its queue for up to
		// 250 ms. Answering each NACK sent two or three copies of every
		// lost packet into the full queue, which lost more.
		d.sub.s.metrics.nacksRepeated.Inc()
		return
	}
	if padding {
		r.seq, r.at = seq, now
		d.repad(seq)
		return
	}
	p := src.cache.get(srcSeq)
	if p == nil {
		d.sub.s.metrics.nacksUncached.Inc()
		return
	}
	if p.epoch == epoch && !d.sub.rtx.take(now, p.n) {
		// Beyond what the estimate leaves for copies (bandwidth.go): the
		// next NACK for it may find room.
		d.sub.s.metrics.nacksOverBudget.Inc()
		p.release()
		return
	}
	if p.epoch == epoch {
		// Only a copy sent makes later NACKs repeats (nacksRepeated
		// counts NACKs a copy on its way answers).
		r.seq, r.at = seq, now
		d.sub.s.metrics.nacksAnswered.Inc()
		d.write(src, p, seq, p.info.ts+tsOff, 0)
	} else {
		d.sub.s.metrics.nacksUncached.Inc()
	}
	p.release()
}

// repad answers a NACK for lost probe padding with the smallest padding
// packet of that number: a receiver NACKs every gap, padding or not, ten
// times or more while it stays a gap (on a commune line, half the NACKs a
// browser sent were for padding lost to the line's 3 %).
func (d *downTrack) repad(seq uint16) {
	b := d.bound.Load()
	if b == nil {
		return
	}
	pt := d.padType(b)
	h := &d.hdr
	h.Version, h.Padding, h.Marker = 2, true, false
	h.PayloadType, h.SequenceNumber, h.Timestamp, h.SSRC = pt, seq, d.seq.lastTs, b.ssrc
	h.CSRC = nil
	d.onePad[0] = 1
	now := d.w.now
	ok := d.writeRTP(b, h, d.onePad[:], now)
	h.Padding = false
	if ok {
		d.noteSent(len(d.onePad), d.seq.lastTs, now)
		d.sub.s.metrics.nacksAnswered.Inc()
	}
}

// pad sends n padding-only packets (255 bytes each) continuing the
// sequence, to probe whether the link carries more: the bandwidth
// estimator only grows when it sees traffic.
func (d *downTrack) pad(n int) {
	// A paused track pads too: probing is how it comes back.
	b := d.bound.Load()
	if b == nil {
		return
	}
	pt := d.padType(b)
	d.padBuf[len(d.padBuf)-1] = byte(len(d.padBuf))
	first, ts := d.seq.pad(uint16(n)), d.seq.lastTs
	h := &d.hdr
	for i := range n {
		h.Version, h.Padding, h.Marker = 2, true, false
		h.PayloadType, h.SequenceNumber, h.Timestamp, h.SSRC = pt, first+uint16(i), ts, b.ssrc
		h.CSRC = nil
		now := d.w.now
		if !d.writeRTP(b, h, d.padBuf[:], now) {
			return
		}
		d.noteSent(len(d.padBuf), ts, now)
	}
	h.Padding = false
}

// padType is the payload type padding goes out under: the codec being
// sent, as a receiver keeps one decoder, or the binding's own.
func (d *downTrack) padType(b *binding) uint8 {
	if c := d.cur.Load(); c != nil {
		if pt, ok := d.payloadType(b, c.track); ok {
			return pt
		}
	}
	return b.pt
}
