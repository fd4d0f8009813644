package sfu

// isVP8Keyframe reports whether an RTP payload starts a VP8 key frame:
// the payload descriptor (RFC 7741 §4.2) says start of partition 0, and
// the frame tag's P bit (RFC 6386 §9.1) is 0.
func isVP8Keyframe(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	x := p[0]&0x80 != 0
	s := p[0]&0x10 != 0
	pid := p[0] & 0x07
	if !s || pid != 0 {
		return false
	}
	i := 1
	if x {
		if len(p) < 2 {
			return false
		}
		ext := p[1]
		i = 2
		if ext&0x80 != 0 { // I: picture ID, 7 or 15 bits
			if len(p) <= i {
				return false
			}
			if p[i]&0x80 != 0 {
				i += 2
			} else {
				i++
			}
		}
		if ext&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if ext&0x30 != 0 { // T or K: TID/Y/KEYIDX byte
			i++
		}
	}
	if len(p) <= i {
		return false
	}
	return p[i]&0x01 == 0
}

// isH264Keyframe reports whether an RTP payload (RFC 6184) carries an IDR
// slice or a sequence parameter set, which a sender puts in front of one:
// single NAL units, STAP-A aggregates and the first fragment of an FU-A.
func isH264Keyframe(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	switch nal := p[0] & 0x1f; {
	case nal == 5 || nal == 7:
		return true
	case nal == 24: // STAP-A: 16-bit sizes, then NAL units
		for i := 1; i+2 < len(p); {
			size := int(p[i])<<8 | int(p[i+1])
			i += 2
			if size == 0 || i+size > len(p) {
				return false
			}
			if t := p[i] & 0x1f; t == 5 || t == 7 {
				return true
			}
			i += size
		}
	case nal == 28: // FU-A: start bit and the fragmented NAL's type
		if len(p) < 2 {
			return false
		}
		return p[1]&0x80 != 0 && (p[1]&0x1f == 5 || p[1]&0x1f == 7)
	}
	return false
}
