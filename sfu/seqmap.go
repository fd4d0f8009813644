package sfu

import "time"

// seqMapRuns is how many runs a seqMap remembers. A run starts at every
// layer or source switch, every unmute and every burst of probe padding
// (two runs per 20 ms probe tick while probing), so 64 runs reach back
// at least 640 ms, past any NACK worth answering, and usually far longer
// (the packet caches hold about 1.5 s). 64 runs are 1.5 KiB a down track.
const seqMapRuns = 64

// seqMapReach: a NACK for a number further back than this is not mapped
// (the 16-bit spaces would wrap into each other; the caches hold at most
// 256 packets).
const seqMapReach = 4096

// seqMap rewrites the sequence numbers and timestamps of the layers a down
// track sends, one after another, into the one continuous stream the
// subscriber sees, and remembers how it did, so a NACK for any number it
// sent maps back to the layer and the sequence number the packet had
// there, whichever offset it was sent under. It is pure state, owned by
// the subscriber's writer goroutine.
//
// The subscriber's numbers are cut into runs, each a stretch sent from
// one source layer (and epoch) under one offset, or a stretch of padding.
// Runs are contiguous: each starts where the one before ended, so a
// subscriber's number belongs to the newest run that starts at or before
// it. Within a run the source's gaps stay gaps (the subscriber NACKs
// them), and a late packet that fills one takes the number reserved for
// it.
type seqMap struct {
	next   uint16 // the subscriber's next sequence number
	lastTs uint32 // timestamp of the newest packet sent
	lastAt int64  // nanotime when it was sent
	runs   [seqMapRuns]seqRun
	head   int // index of the newest run
	n      int // runs in use
}

type seqRun struct {
	src      *upLayer // nil: padding
	epoch    uint32   // the source layer's epoch (see upLayer.epoch)
	srcFirst uint16   // the source's sequence number at outFirst
	outFirst uint16   // the run's first number for the subscriber
	count    uint16   // numbers the run covers so far, from outFirst
	tsOff    uint32   // added to the source's timestamps
	vp8      vp8Off   // added to the source's VP8 picture numbers (vp8munge.go)
}

// init sets a random starting point (RFC 3550 §5.1) and a "last packet"
// at now, so the first run computes its offsets like any other.
func (m *seqMap) init(seq uint16, ts uint32, now int64) {
	*m = seqMap{next: seq, lastTs: ts, lastAt: now}
}

// newest is the newest run, nil before the first.
func (m *seqMap) newest() *seqRun {
	if m.n == 0 {
		return nil
	}
	return &m.runs[m.head]
}

// media is the newest run of a source, nil before the first.
func (m *seqMap) media() *seqRun {
	for i, at := 0, m.head; i < m.n; i++ {
		if r := &m.runs[at]; r.src != nil {
			return r
		}
		at = (at + seqMapRuns - 1) % seqMapRuns
	}
	return nil
}

// sending reports whether packets of src at epoch continue the newest
// source run without a new offset.
func (m *seqMap) sending(src *upLayer, epoch uint32) bool {
	r := m.media()
	return r != nil && r.src == src && r.epoch == epoch
}

// stale reports whether a packet of src at epoch is from before the epoch
// being sent (queued before an unmute): it is dropped, not a new run.
func (m *seqMap) stale(src *upLayer, epoch uint32) bool {
	r := m.media()
	return r != nil && r.src == src && int32(epoch-r.epoch) < 0
}

func (m *seqMap) push(r seqRun) *seqRun {
	if m.n > 0 {
		m.head = (m.head + 1) % seqMapRuns
	}
	m.n = min(m.n+1, seqMapRuns)
	m.runs[m.head] = r
	return &m.runs[m.head]
}

// start begins a run of src at epoch whose first packet, seq and ts,
// follows the last packet sent: the next sequence number, and a timestamp
// advanced by the wall-clock time since (at least one tick of clock, in
// Hz), so players keep their timing across the switch.
func (m *seqMap) start(src *upLayer, epoch uint32, seq uint16, ts, clock uint32, now int64) {
	ticks := uint32(uint64(max(now-m.lastAt, 0)) * uint64(clock) / uint64(time.Second))
	if ticks == 0 {
		ticks = 1
	}
	m.push(seqRun{src: src, epoch: epoch, srcFirst: seq, outFirst: m.next, tsOff: m.lastTs + ticks - ts})
}

// forward maps a packet of src at epoch (its own seq and ts) to the
// subscriber's numbers, at now; false: it is not to be sent (from before
// its run began, or of no run). The caller starts a run for a new source
// or epoch first.
func (m *seqMap) forward(src *upLayer, epoch uint32, seq uint16, ts uint32, now int64) (uint16, uint32, bool) {
	r := m.media()
	if r == nil || r.src != src || r.epoch != epoch {
		return 0, 0, false
	}
	if top := m.newest(); top != r && !seqLess(seq, r.srcFirst+r.count) {
		// Padding went out since the last packet of this source: it goes
		// on after the padding, under a new offset, from the source's
		// next number (a packet lost upstream stays a gap to NACK).
		first := r.srcFirst + r.count
		if seq-first > seqMapReach {
			first = seq
		}
		r = m.push(seqRun{src: src, epoch: epoch, srcFirst: first, outFirst: m.next, tsOff: r.tsOff, vp8: r.vp8})
	}
	if r == m.newest() {
		d := seq - r.srcFirst
		if d >= 0x8000 {
			return m.late(src, epoch, seq, ts)
		}
		out := r.outFirst + d
		if d >= r.count {
			r.count = d + 1
			m.next = out + 1
			m.lastTs, m.lastAt = ts+r.tsOff, now
			if r.count > 2*seqMapReach {
				// A long run keeps only its recent numbers, so that its
				// start stays within half the 16-bit space of what it
				// sends (older numbers are past seqMapReach anyway).
				k := r.count - seqMapReach
				r.srcFirst, r.outFirst, r.count = r.srcFirst+k, r.outFirst+k, r.count-k
			}
		}
		return out, ts + r.tsOff, true
	}
	return m.late(src, epoch, seq, ts)
}

// late maps a packet that fills a gap of an earlier run of its source.
func (m *seqMap) late(src *upLayer, epoch uint32, seq uint16, ts uint32) (uint16, uint32, bool) {
	for i, at := 0, m.head; i < m.n; i++ {
		r := &m.runs[at]
		at = (at + seqMapRuns - 1) % seqMapRuns
		if r.src != src || r.epoch != epoch {
			continue
		}
		if d := seq - r.srcFirst; d < r.count {
			return r.outFirst + d, ts + r.tsOff, true
		}
	}
	return 0, 0, false
}

// pad reserves n numbers for padding after the last packet sent and
// returns the first; padding carries the last timestamp sent.
func (m *seqMap) pad(n uint16) uint16 {
	first := m.next
	if r := m.newest(); r != nil && r.src == nil {
		r.count += n
	} else {
		m.push(seqRun{outFirst: first, count: n})
	}
	m.next += n
	return first
}

// reverse maps a number the subscriber was sent (a NACK's) back to the
// layer and epoch it came from, its sequence number there and the
// timestamp offset it was sent with; false for padding, a number never
// sent, or one older than the runs remembered.
func (m *seqMap) reverse(out uint16) (src *upLayer, epoch uint32, seq uint16, tsOff uint32, ok bool) {
	r, d := m.find(out)
	if r == nil || r.src == nil {
		return nil, 0, 0, 0, false
	}
	return r.src, r.epoch, r.srcFirst + d, r.tsOff, true
}

// vp8Of is the VP8 offset of the run that sent out; zero for one not
// remembered.
func (m *seqMap) vp8Of(out uint16) vp8Off {
	if r, _ := m.find(out); r != nil {
		return r.vp8
	}
	return vp8Off{}
}

// padding reports whether out was sent as padding (and is remembered).
func (m *seqMap) padding(out uint16) bool {
	r, _ := m.find(out)
	return r != nil && r.src == nil
}

// find is the run that sent out and out's place in it; nil for a number
// never sent or older than the runs remembered.
func (m *seqMap) find(out uint16) (*seqRun, uint16) {
	if back := m.next - out; back == 0 || back > seqMapReach {
		return nil, 0
	}
	for i, at := 0, m.head; i < m.n; i++ {
		r := &m.runs[at]
		at = (at + seqMapRuns - 1) % seqMapRuns
		d := out - r.outFirst
		if d >= 0x8000 {
			continue // before this run
		}
		if d >= r.count {
			return nil, 0
		}
		return r, d
	}
	return nil, 0
}
