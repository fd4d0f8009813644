package sfu

import (
	"sync"
	"sync/atomic"
)

// maxPacket is the largest RTP packet read from a publisher, in bytes:
// above the usual 1200-byte payload plus headers, below any path MTU.
const maxPacket = 1500

// packet is one received RTP packet shared, read-only, by the cache and
// every subscriber's writer queue; the last reference returns it to the
// pool, so forwarding does not allocate in steady state.
type packet struct {
	refs     atomic.Int32
	n        int
	info     rtpInfo
	keyframe bool // starts a key frame (always true for audio)
	vp8      vp8Desc
	epoch    uint32 // layer epoch at arrival; see upLayer.epoch
	arrival  int64  // monotonic nanoseconds, for the forward delay histogram
	buf      [maxPacket]byte
}

var packetPool = sync.Pool{New: func() any { return new(packet) }}

func newPacket() *packet {
	p := packetPool.Get().(*packet)
	p.refs.Store(1)
	return p
}

func (p *packet) hold() { p.refs.Add(1) }

func (p *packet) release() {
	if p.refs.Add(-1) == 0 {
		packetPool.Put(p)
	}
}

func (p *packet) payload() []byte { return p.buf[p.info.payloadStart:p.info.payloadEnd] }

// maxKeyframe is the most packets of a key frame kept apart from the
// ring: a 720p key frame is 50–100 KB; a larger one is not kept.
const maxKeyframe = 128

// packetCache keeps the last packets of one layer by sequence number, to
// answer NACKs, and the packets of the last key frame apart from them, to
// give a new subscriber a picture at once: a browser sends a key frame
// only when asked, so the ring (about 1.5 s) has usually lost it. It holds
// a reference on each packet it keeps.
type packetCache struct {
	mu   sync.Mutex
	ring []*packet
	// key is the last key frame, in order, once complete (its last packet
	// carries the marker); keyNext is the one being received.
	key, keyNext []*packet
	keyTs        uint32
	keyOpen      bool // keyNext is receiving packets of keyTs
	// keySize is the last complete key frame's size in bytes (read by
	// allocations without the lock).
	keySize atomic.Int64
	// newest is the last packet added (mu).
	newest *packet
}

func newPacketCache(size int) *packetCache {
	return &packetCache{ring: make([]*packet, size)}
}

func (c *packetCache) add(p *packet) {
	p.hold()
	i := int(p.info.seq) % len(c.ring)
	c.mu.Lock()
	old := c.ring[i]
	c.ring[i] = p
	c.newest = p
	c.mu.Unlock()
	if old != nil {
		old.release()
	}
}

// addKeyframe notes p, a video packet, for the last key frame: a key frame
// begins at a packet flagged keyframe with a new timestamp and runs
// through the marker. Called by the layer's reader only; the lock is
// taken only on a key frame's packets.
func (c *packetCache) addKeyframe(p *packet) {
	switch {
	case p.keyframe && (!c.keyOpen || p.info.ts != c.keyTs):
		c.mu.Lock()
		releaseAll(c.keyNext)
		c.keyNext = append(c.keyNext[:0], p)
		c.mu.Unlock()
		p.hold()
		c.keyTs, c.keyOpen = p.info.ts, true
	case c.keyOpen && p.info.ts == c.keyTs:
		c.mu.Lock()
		if len(c.keyNext) < maxKeyframe {
			p.hold()
			c.keyNext = append(c.keyNext, p)
		} else {
			c.keyOpen = false // too large to keep
		}
		c.mu.Unlock()
	case c.keyOpen:
		c.keyOpen = false // the next frame began without the marker
		return
	default:
		return
	}
	if c.keyOpen && p.info.marker {
		c.mu.Lock()
		releaseAll(c.key)
		c.key, c.keyNext = c.keyNext, c.key[:0]
		n := 0
		for _, k := range c.key {
			n += k.n
		}
		c.mu.Unlock()
		c.keySize.Store(int64(n))
		c.keyOpen = false
	}
}

// bytes is the size of the packets from seq from up to (not including)
// seq to that the ring holds.
func (c *packetCache) bytes(from, to uint16) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for s := from; s != to; s++ {
		if p := c.ring[int(s)%len(c.ring)]; p != nil && p.info.seq == s {
			n += p.n
		}
	}
	return n
}

// keyInRing reports whether the last key frame's first packet is still in
// the ring, and so everything since (a slot is kept until a packet a ring
// size later arrives): a down track can start from it with every packet
// that followed (downTrack.replay), decodable, without asking for a key
// frame.
func (c *packetCache) keyInRing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.key) == 0 {
		return false
	}
	k := c.key[0]
	return c.ring[int(k.info.seq)%len(c.ring)] == k
}

// keyframe appends the packets of the last complete key frame to buf,
// each held for the caller.
func (c *packetCache) keyframe(buf []*packet) []*packet {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.key {
		p.hold()
		buf = append(buf, p)
	}
	return buf
}

func releaseAll(ps []*packet) {
	for i, p := range ps {
		p.release()
		ps[i] = nil
	}
}

// latest returns the last packet added while the ring still holds it,
// held for the caller, or nil.
func (c *packetCache) latest() *packet {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.newest
	if p == nil || c.ring[int(p.info.seq)%len(c.ring)] != p {
		return nil
	}
	p.hold()
	return p
}

// get returns the packet with seq, held for the caller, or nil.
func (c *packetCache) get(seq uint16) *packet {
	i := int(seq) % len(c.ring)
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.ring[i]
	if p == nil || p.info.seq != seq {
		return nil
	}
	p.hold()
	return p
}

func (c *packetCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.ring {
		if p != nil {
			p.release()
			c.ring[i] = nil
		}
	}
	releaseAll(c.key)
	releaseAll(c.keyNext)
	c.key, c.keyNext, c.keyOpen = c.key[:0], c.keyNext[:0], false
}

// seqLess reports whether a comes before b in 16-bit sequence space.
func seqLess(a, b uint16) bool { return a != b && b-a < 0x8000 }
