package sfu

import (
	"sync"
	"time"
)

// The allocator's view of a subscriber's downlink: what pion's Google
// congestion control (GCC) estimates, corrected where it is known to be
// wrong on the lines Cầu serves, and what the link has actually carried.
//
// Two corrections, both measured on a commune line (cau loadtest
// --weak-share, TestShortRun's 600 kbit/s line with 3 % loss):
//
//   - GCC's loss-based estimate follows the delay-based one down (a cut
//     to 85 % of what was received, which at a join is little) and then
//     holds between 2 % and 10 % average loss, or climbs 5 % per 200 ms
//     below: one drop (a key frame burst, a probe) on a line with a few
//     percent of random loss stayed for the rest of the call, 100–140
//     kbit/s on a 600 kbit/s line, the floor paused. With no queue
//     building and loss below lossyLink, the loss is the line's and not
//     congestion: the delay-based estimate, which loss does not move and
//     which recovers within a second or two, is the better one.
//   - GCC's estimate grows by itself (the 1 Mbit/s initial one, 8 % a
//     second when the delay is steady) without the link having carried
//     it: a 600 kbit/s line was given the medium floor on an estimate of
//     1.1 Mbit/s and its queue overflowed. So on a line that has lost
//     packets (GCC's loss gccHoldLoss or more) or been congested since it
//     connected, a layer above a track's lowest is taken only within what
//     the link has carried untroubled in the last testedWindow (with
//     testedHeadroom) or what a probe proved; each picture's lowest layer
//     goes by the estimate alone (a paused picture is the worst outcome,
//     and its rate is small). A clean link climbs on GCC's estimate as it
//     is: held to what it carried, a WHEP player on loopback took 5 s and
//     more to reach the high layer.
const (
	// gccHoldLoss is the average loss (a fraction) above which GCC's
	// loss-based estimate stops growing (it falls above lossyLink).
	gccHoldLoss = 0.02
	// testedWindow: how long a rate the link carried untroubled counts
	// as tested.
	testedWindow = 10 * time.Second
	// testedHeadroom: a layer above the lowest fits within the tested rate
	// and this share more (a layer's rate swings with its key frames; more
	// takes a probe).
	testedHeadroom = 0.15
	// lineLossWeight: each allocation (250 ms) moves the line's loss
	// average this far towards GCC's (of 200 ms), about 1.5 s of memory:
	// a 3 % line reads above 2 % between its losses, and a line that
	// clears reads clean within a second (with 5 s, a link lifted to 50
	// Mbit/s climbed in lossy steps and took 11 s to reach high).
	lineLossWeight = 0.15
	// calmAfterCongestion: what flows within this of a congestion signal
	// is not counted as tested.
	calmAfterCongestion = time.Second
)

// linkInput is what the allocator knows of a downlink at one allocation.
type linkInput struct {
	gcc    int         // GCC's target (bit/s)
	sig    linkSignals // its loss, queueing and delay-based target
	proven int         // what the last probe proved since congestion, 0 none
	// tested is the most the link carried untroubled lately; 0 puts no
	// ceiling (a clean link, trusted to carry GCC's estimate).
	tested int
}

// usableEstimate is the estimate plan shares: GCC's, or its delay-based
// target when no queue builds and the loss is the line's (below
// lossyLink), raised to a probed rate, with the tested ceiling for layers
// above the lowest. A pure function.
func usableEstimate(in linkInput) estimate {
	base := in.gcc
	if in.sig.loss < lossyLink && !in.sig.queueing && in.sig.delayTarget > base {
		base = in.sig.delayTarget
	}
	base = max(base, in.proven)
	e := estimate{bps: base}
	if in.tested > 0 {
		e.ceiling = max(in.tested+int(float64(in.tested)*testedHeadroom), in.proven)
	}
	return e
}

// testedBuckets hold one second each of the tested window.
const testedBuckets = int(testedWindow / time.Second)

// testedRate is the highest rate (bit/s) a downlink carried untroubled
// over the last testedWindow, in one-second buckets; used under
// Participant.allocMu.
type testedRate struct {
	b [testedBuckets]struct {
		sec int64 // nanotime / 1 s
		bps int
	}
}

// record notes that bps flowed untroubled at now (nanotime).
func (t *testedRate) record(now int64, bps int) {
	sec := now / int64(time.Second)
	b := &t.b[int(sec%int64(testedBuckets))]
	if b.sec != sec {
		b.sec, b.bps = sec, 0
	}
	b.bps = max(b.bps, bps)
}

// max is the highest rate recorded within testedWindow of now, 0 none.
func (t *testedRate) max(now int64) int {
	sec := now / int64(time.Second)
	m := 0
	for _, b := range t.b {
		if b.bps > 0 && sec-b.sec < int64(testedBuckets) {
			m = max(m, b.bps)
		}
	}
	return m
}

// reset forgets what was tested before a congestion signal: the link
// may carry less now. What flows now stays, as GCC governs below it.
func (t *testedRate) reset(now int64, bps int) {
	t.b = [testedBuckets]struct {
		sec int64
		bps int
	}{}
	t.record(now, bps)
}

// Bursts beyond the layers' steady rates: a new track starts from the
// cached key frame and everything since (downTrack.replay), so its
// picture shows at once. A subscriber's tracks start together when its
// connection comes up, and each replayed up to 200 ms of its estimate:
// on TestShortRun's 600 kbit/s line three strip and floor tracks put
// 10–75 KB into a 19 KB queue at once on the untested 1 Mbit/s estimate,
// lost a quarter of the packets for a second and collapsed GCC's estimate
// for the rest of the run. So the tracks share one budget, sized on what
// the plan sends (or the link carried), not on the estimate.
const (
	// replayBurst: the budget holds this long of the rate it is sized on.
	replayBurst = 200 * time.Millisecond
	// burstShare: it refills at this share of that rate.
	burstShare = 0.25
)

// burstBudget is a token bucket of bytes shared by a subscriber's tracks.
type burstBudget struct {
	mu     sync.Mutex
	rate   int     // bit/s it is sized on
	tokens float64 // bytes
	at     int64   // nanotime of the last refill
}

// setRate sizes the budget on bps (bit/s).
func (b *burstBudget) setRate(bps int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rate == 0 {
		b.tokens = float64(bps) / 8 * replayBurst.Seconds()
	}
	b.rate = bps
}

// take spends n bytes at now (nanotime) if the budget holds them.
func (b *burstBudget) take(now int64, n int) bool { return b.spend(now, n, false) }

// takeKey is take for a key frame alone: when the budget is full it goes
// even if larger than the whole budget, which is in debt after it (a WHEP
// player of a 1.5 Mbit/s layer would otherwise wait for the encoder's
// next key frame).
func (b *burstBudget) takeKey(now int64, n int) bool { return b.spend(now, n, true) }

func (b *burstBudget) spend(now int64, n int, key bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	capacity := float64(b.rate) / 8 * replayBurst.Seconds()
	if b.at != 0 && now > b.at {
		b.tokens += float64(b.rate) / 8 * burstShare * float64(now-b.at) / float64(time.Second)
	}
	b.at = now
	b.tokens = min(b.tokens, capacity)
	if float64(n) > b.tokens && (!key || b.tokens < capacity) {
		return false
	}
	b.tokens -= float64(n)
	return true
}

// keepWindow: the floor's lowest layer, once sent, is kept while the
// highest estimate of this last while covers it (see plan). GCC answers a
// moment of congestion (a key frame or a probe into a full queue) by
// cutting its estimate to 85 % of what it saw delivered, and never grows
// it past 1.5 times what flows: pausing the picture at the cut let the
// estimate fall with what flows, and behind a 400 kbit/s line with 3 %
// loss (web/e2e communeline.test.js) the floor went off and on for 20 s,
// each resume a key frame into the queue. A line that really carries
// less pauses it keepWindow later.
const keepWindow = 2 * time.Second

// recentSlot: the keep window is kept in slots of one allocation tick.
// One estimate per allocation was not one per tick: a room reallocates at
// once on a floor change, a resumed layer or a subscription, four or more
// times in 20 ms, and a ring of the last eight allocations forgot within
// 1.2 s an estimate it should have held for keepWindow (cau loadtest
// --weak-share --debug: a weak hall's floor went off 1.0 s after GCC's cut
// from 229 to 118 kbit/s, and its estimate was back at 240 kbit/s 0.8 s
// later).
const recentSlot = 250 * time.Millisecond

// recentSlots hold keepWindow.
const recentSlots = int(keepWindow / recentSlot)

// recentMax is the highest estimate of the last keepWindow, in
// recentSlot slots; used under Participant.allocMu.
type recentMax struct {
	v [recentSlots]struct {
		slot int64 // nanotime / recentSlot
		bps  int
	}
}

// add notes bps at now (nanotime) and returns the highest estimate noted
// within keepWindow.
func (r *recentMax) add(now int64, bps int) int {
	slot := now / int64(recentSlot)
	s := &r.v[int(slot%int64(recentSlots))]
	if s.slot != slot {
		s.slot, s.bps = slot, 0
	}
	s.bps = max(s.bps, bps)
	m := 0
	for _, s := range r.v {
		if slot-s.slot < int64(recentSlots) {
			m = max(m, s.bps)
		}
	}
	return m
}

// keyframeDrain: on a line that has lost packets or been congested, a
// layer above a track's lowest is switched to only when its last key
// frame takes no longer than this to drain at the estimate. A switch
// starts with a key frame, which the publisher sends in a burst: behind a
// 400 kbit/s line with a 250 ms queue (web/e2e communeline.test.js), the
// medium layer's key frame overflowed the queue at every switch and the
// picture stood still for about 3 s while its packets were NACKed through
// the full queue, four times in 30 s. The lowest layer goes regardless.
const keyframeDrain = 300 * time.Millisecond

// lossyHeadroom, keyframeSpare: on a troubled line that still loses
// packets (estimate's loss), a switch up also leaves lossyHeadroom of the
// line free beside the plan's steady rate and the copies answering its
// loss, and the new layer's key frame must drain within keyframeSpare
// through what is free. What the line carries is known only to within
// GCC's swings and a probe's noise (7 %), the layers' rates swing with
// their key frames, and the copies of a loss burst come all at once: with
// less free, the queue stays nearly full, and a swing overflows it, which
// loses more. Behind the commune line (388 kbit/s delivered,
// communeline.test.js) the floor went to medium with the plan at 300 of
// 334 kbit/s, and fell back to low within 1–3 s or froze for 2.7–3 s; at
// a quarter free, medium (about 300 kbit/s with the strip's low layer and
// the floor's audio) needs 410 kbit/s, and low stays.
const (
	lossyHeadroom = 0.25
	keyframeSpare = 500 * time.Millisecond
)

// Retransmissions within the estimate. NACKed packets are answered from
// the cache, and nothing counted them against the downlink: on a commune
// line a probe or a layer switch that overflowed the queue lost dozens of
// packets, the subscriber NACKed each every 100 ms, and their copies went
// into the full queue on top of what the plan sent, which lost more. In
// one run (cau loadtest --weak-share --debug) the SFU was NACKed 368,544
// times in 20 s and retransmitted 14,959 packets, up to 1,004 in 250 ms,
// into ten 400 kbit/s lines, while their plans sent 40–100 kbit/s of
// audio; GCC read 55–78 % loss on a line delivering 97 % of what it was
// given, and the floor stayed paused. libwebrtc caps retransmissions at
// the bandwidth estimate for the same reason. Here they take what the
// plan leaves of the estimate, and at least rtxFloorShare of what the
// plan sends, so a line with a few percent of random loss still gets its
// losses repaired when the plan fills the estimate.
const (
	// rtxFloorShare: retransmissions may always use this share of the
	// plan's rate (a 3 % line loses 3 % of it).
	rtxFloorShare = 0.1
	// rtxBurst: the budget holds this long of its rate, so the copies of
	// one lost burst go out at once when the estimate has room.
	rtxBurst = 250 * time.Millisecond
	// rtxMinBurst (bytes): and at least one full packet. When the plan
	// filled the estimate, 250 ms of a tenth of it was less than a video
	// packet (940 bytes at 300 kbit/s), which then never fit: behind the
	// commune line (communeline.test.js) 7 of 49 NACKs the SFU could
	// answer went unanswered in one run, the floor's full-size packets,
	// and the picture waited for a key frame. Now such a copy waits for
	// the refill (1,200 bytes at 30 kbit/s: 0.32 s), and over time the
	// copies still keep to the rate.
	rtxMinBurst = 1500
)

// rtxBudget is a token bucket of bytes for a subscriber's retransmissions,
// refilled at the rate the allocation gives it; its methods are safe for
// the writers and the allocator at once.
type rtxBudget struct {
	mu     sync.Mutex
	rate   int     // bit/s
	tokens float64 // bytes
	at     int64   // nanotime of the last refill
}

// setRate sizes the budget for an estimate of est bit/s of which the plan
// sends used.
func (b *rtxBudget) setRate(est, used int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rate = max(est-used, int(float64(used)*rtxFloorShare))
}

// take spends n bytes at now (nanotime) if the budget holds them. Before
// the first allocation (no rate yet) every retransmission goes.
func (b *rtxBudget) take(now int64, n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rate == 0 {
		return true
	}
	capacity := max(float64(b.rate)/8*rtxBurst.Seconds(), rtxMinBurst)
	if b.at == 0 {
		b.tokens = capacity
	} else if now > b.at {
		b.tokens = min(b.tokens+float64(b.rate)/8*float64(now-b.at)/float64(time.Second), capacity)
	}
	b.at = now
	if float64(n) > b.tokens {
		return false
	}
	b.tokens -= float64(n)
	return true
}
