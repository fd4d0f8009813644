package sfu

// VP8's payload descriptor (RFC 7741 §4.2) numbers pictures: a picture
// ID, the TL0PICIDX of the base temporal layer and a KEYIDX. Each
// simulcast layer is its own encoder and numbers its own, so a switch
// between layers, forwarded as it is, makes the numbers jump under a
// continuous sequence-number stream. A receiver's frame reference finder
// (libwebrtc's RtpVp8RefFinder) reads a jump forward as thousands of
// pictures not yet received and a jump back as old pictures, and may hold
// back the frames that follow until they age out: a picture frozen
// without a packet lost. As Galène's packetmap and LiveKit's VP8 munger
// do, a down track rewrites the three so that each run it starts at a key
// frame continues where the last picture it sent left off; within a run
// they move by one offset, so the source's own gaps stay gaps.

// vp8Desc is where a packet's descriptor holds the numbers, and their
// values; an At of 0 means absent (the numbers never start a payload).
type vp8Desc struct {
	pic   uint16 // picture ID, 7 or 15 bits
	picAt uint8
	wide  bool // 15-bit picture ID
	tl0   uint8
	tl0At uint8
	key   uint8 // KEYIDX, 5 bits
	keyAt uint8
}

// parseVP8Desc reads a VP8 payload's descriptor; the zero vp8Desc when
// it carries none of the numbers or is cut short.
func parseVP8Desc(p []byte) (v vp8Desc) {
	if len(p) < 2 || p[0]&0x80 == 0 {
		return vp8Desc{}
	}
	ext, i := p[1], 2
	if ext&0x80 != 0 { // I: picture ID
		if len(p) <= i {
			return vp8Desc{}
		}
		if p[i]&0x80 != 0 {
			if len(p) <= i+1 {
				return vp8Desc{}
			}
			v.pic, v.picAt, v.wide = uint16(p[i]&0x7f)<<8|uint16(p[i+1]), uint8(i), true
			i += 2
		} else {
			v.pic, v.picAt = uint16(p[i]), uint8(i)
			i++
		}
	}
	if ext&0x40 != 0 { // L: TL0PICIDX
		if len(p) <= i {
			return vp8Desc{}
		}
		v.tl0, v.tl0At = p[i], uint8(i)
		i++
	}
	if ext&0x10 != 0 { // K: KEYIDX, in the byte T shares
		if len(p) <= i {
			return vp8Desc{}
		}
		v.key, v.keyAt = p[i]&0x1f, uint8(i)
	}
	return v
}

// numbered reports whether the descriptor holds any of the numbers.
func (v vp8Desc) numbered() bool { return v.picAt != 0 || v.tl0At != 0 || v.keyAt != 0 }

// vp8Off is what a run adds to its source's numbers.
type vp8Off struct {
	pic uint16
	tl0 uint8
	key uint8
}

// shifted is v's numbers moved by off.
func (v vp8Desc) shifted(off vp8Off) vp8Desc {
	if v.wide {
		v.pic = (v.pic + off.pic) & 0x7fff
	} else {
		v.pic = (v.pic + off.pic) & 0x7f
	}
	v.tl0 += off.tl0
	v.key = (v.key + off.key) & 0x1f
	return v
}

// put writes v's numbers into b, a copy of the payload v was read from.
func (v vp8Desc) put(b []byte) {
	if v.picAt != 0 {
		if v.wide {
			b[v.picAt] = 0x80 | byte(v.pic>>8)
			b[v.picAt+1] = byte(v.pic)
		} else {
			b[v.picAt] = byte(v.pic)
		}
	}
	if v.tl0At != 0 {
		b[v.tl0At] = v.tl0
	}
	if v.keyAt != 0 {
		b[v.keyAt] = b[v.keyAt]&0xe0 | v.key
	}
}

// vp8Numbers remembers the newest numbers a down track sent.
type vp8Numbers struct {
	pic  uint16
	tl0  uint8
	key  uint8
	seen bool
}

// saw notes numbers sent; an older picture (a NACK's copy, a late
// packet) leaves them.
func (n *vp8Numbers) saw(v vp8Desc) {
	if v.picAt != 0 && n.seen && !picAhead(v.pic, n.pic) && v.pic != n.pic {
		return
	}
	n.pic, n.tl0, n.key, n.seen = v.pic, v.tl0, v.key, true
}

// follow is the offset that makes a run whose first packet is src go on
// from the numbers sent last: the next picture, the next base-layer
// picture and, at a key frame, the next key index. Zero before anything
// was sent: the first run keeps its source's numbers.
func (n *vp8Numbers) follow(src vp8Desc, key bool) vp8Off {
	if !n.seen {
		return vp8Off{}
	}
	off := vp8Off{pic: (n.pic + 1 - src.pic) & 0x7fff, tl0: n.tl0 + 1 - src.tl0, key: (n.key - src.key) & 0x1f}
	if key {
		off.key = (off.key + 1) & 0x1f
	}
	return off
}

// picAhead reports whether 15-bit picture ID a is newer than b.
func picAhead(a, b uint16) bool { return a != b && (a-b)&0x7fff < 0x4000 }

// vp8Payload is p's payload as sent as seq: its numbers moved by the
// offset of the run that sent seq, in the down track's own copy when
// they move (the packet's buffer is every subscriber's).
func (d *downTrack) vp8Payload(p *packet, seq uint16) []byte {
	payload := p.payload()
	if !p.vp8.numbered() {
		return payload
	}
	off := d.seq.vp8Of(seq)
	v := p.vp8.shifted(off)
	d.vp8.saw(v)
	if off == (vp8Off{}) {
		return payload
	}
	if d.vp8Buf == nil {
		d.vp8Buf = new([maxPacket]byte)
	}
	b := d.vp8Buf[:len(payload)]
	copy(b, payload)
	v.put(b)
	return b
}

// startRun starts a run of l at p (seqMap.start) and sets its VP8
// offset: a run starting at a key frame (a switch, a new subscriber's
// replay, a resume) continues the numbers sent; one that does not (the
// live stream after a replayed key frame, a resume before the key
// frame) keeps the offset of the run of the same layer before it, so the
// pictures it skipped stay missing to the receiver, as they are.
func (d *downTrack) startRun(l *upLayer, p *packet, now int64) {
	var off vp8Off
	same := false
	if r := d.seq.media(); r != nil {
		off, same = r.vp8, r.src == l
	}
	d.seq.start(l, p.epoch, p.info.seq, p.info.ts, l.track.codec.ClockRate, now)
	if !p.vp8.numbered() {
		return
	}
	if p.keyframe || !same {
		off = d.vp8.follow(p.vp8, p.keyframe)
	}
	d.seq.newest().vp8 = off
}
