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
	keyframe bool   // starts a key frame (always true for audio)
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

// packetCache keeps the last packets of one layer by sequence number, to
// answer NACKs. It holds a reference on each packet it keeps.
type packetCache struct {
	mu   sync.Mutex
	ring []*packet
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
	c.mu.Unlock()
	if old != nil {
		old.release()
	}
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
}

// seqLess reports whether a comes before b in 16-bit sequence space.
func seqLess(a, b uint16) bool { return a != b && b-a < 0x8000 }
