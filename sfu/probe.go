package sfu

import (
	"sync/atomic"
	"time"

	"github.com/pion/interceptor/pkg/cc"
)

// Probing tuning. Google congestion control in pion grows its estimate by
// at most 8% a second and never above 1.5 times what it sees delivered,
// so a subscriber held on the low layer would take half a minute to climb
// back once its link recovers. The prober sends padding on a video track
// to show the estimator more traffic: a probe that runs its course with no
// congestion signal proves its total rate, which the allocator may then
// use (the proven rate is dropped at the first congestion signal).
//
// Steps grow like TCP's slow start: the first probe after congestion (or
// at the start) goes only a little above what flows, since the link was
// full near there and a small overshoot fills a queue too slowly to be
// caught within one probe; each success doubles the next step, and an
// overshoot of a step that large fills any queue at once, so it fails
// fast. A link that recovers from 400 kbit/s to plenty climbs from the
// low layer to the high one in three or four probes, a few seconds.
const (
	probeDuration   = time.Second
	probeMinBackoff = time.Second
	probeMaxBackoff = 2 * time.Second
	// probeTick spreads the padding, so a probe is not one burst.
	probeTick = 20 * time.Millisecond
	// probeSlack: a probe is over when this little of it remains, so one
	// that ends just after an allocation tick does not wait for the next.
	probeSlack = 50 * time.Millisecond
	// padBits is the wire size of a padding packet (255 bytes of padding,
	// RTP, SRTP, UDP and IP headers).
	padBits = (255 + 12 + 10 + 8 + 20) * 8
	// congestionDrop: an estimate falling by more than this fraction at
	// once is a congestion signal (smaller drops follow the end of every
	// probe, as the padding stops).
	congestionDrop = 0.15
	// probeLossRise: loss (a fraction) rising this much during a probe
	// fails it.
	probeLossRise = 0.04
	// probeQueueSamples: allocations (every 250 ms) during a probe that
	// see queueing before it fails. A probe twice what the link carries
	// shows it from the first one on.
	probeQueueSamples = 2
	// lossyLink: average loss (a fraction) above which a link counts as
	// full: no probe starts and a proven rate is dropped. A full queue that
	// tail-drops shows no growing delay, and its loss no longer rises
	// during a probe, so neither probe failure signal fires: on a 400
	// kbit/s line with a 250 ms queue, probes "succeeded" at over 1 Mbit/s
	// and put weak halls' floor on the high layer (cau loadtest
	// --weak-share). A commune line's own random loss is a few percent;
	// above 10% Google congestion control itself cuts its estimate.
	lossyLink = 0.10
	// thinLink: below this estimate (bit/s) the first probe after
	// congestion adds at most a quarter of what flows, so it cannot
	// overflow a bottleneck queue of 250 ms or more (a commune line's)
	// within its one second even when the link carries no more than what
	// flows. Later steps double (see above): a success proved the link
	// had room, and an overshoot that large shows as queueing at once.
	// The first probe on a new connection is as small: its estimate is
	// the configured initial one, untested (a probe to 1.25 Mbit/s on
	// joining a 400 kbit/s line collapsed its estimate for seconds).
	thinLink = 1_000_000
)

// linkSignals are what the estimator says of the link besides its
// estimate, read at each allocation while probing.
type linkSignals struct {
	loss float64 // average loss, a fraction
	// queueing: the delay-based detector sees one-way delay growing
	// beyond its adaptive threshold, or says overuse. A probe that fills
	// a bottleneck's queue shows this within a few hundred milliseconds,
	// long before the estimate itself falls or the queue overflows into
	// loss (pion's estimate is the lower of the loss-based and the
	// delay-based one, and the loss-based one may go on growing).
	queueing bool
}

func readSignals(e cc.BandwidthEstimator) linkSignals {
	st := e.GetStats()
	var s linkSignals
	s.loss, _ = st["averageLoss"].(float64)
	trend, _ := st["delayEstimate"].(float64)
	thr, _ := st["delayThreshold"].(float64)
	usage, _ := st["usage"].(string)
	// No threshold yet: no delay statistics either (and a zero usage
	// reads as overuse).
	s.queueing = thr > 0 && (trend > thr || usage == "overuse")
	return s
}

// prober is a subscriber's probing state; used under Participant.allocMu.
type prober struct {
	proven   int   // bit/s delivered by the last successful probe
	provenAt int64 // nanotime it was proven
	active   bool
	startAt  int64
	total    int     // bit/s of media plus padding during the probe
	startEst int     // the estimator's own estimate when the probe began (logged)
	minEst   int     // and its lowest since
	maxLoss  float64 // highest average loss the estimator reported during the probe
	baseLoss float64 // and its loss when the probe began
	queued   int     // allocations during the probe that saw queueing
	next     int64
	backoff  time.Duration
	streak   int // probes succeeded since the last congestion
	stop     chan struct{}
}

// watchEstimate marks congestion when the estimator drops its target.
func (p *Participant) watchEstimate(e cc.BandwidthEstimator) {
	var last atomic.Int64
	last.Store(int64(e.GetTargetBitrate()))
	e.OnTargetBitrateChange(func(rate int) {
		if old := last.Swap(int64(rate)); float64(rate) < float64(old)*(1-congestionDrop) {
			p.congestedAt.Store(nanotime())
			p.log.Debug("estimate dropped", "from", old, "to", rate)
		}
	})
}

// estimateWithProbe is the estimate the allocator uses: the estimator's,
// or what a probe proved if that is more and no congestion came since.
func (p *Participant) estimateWithProbe(est int) int {
	pr := &p.probe
	if pr.proven > 0 && p.congestedAt.Load() > pr.provenAt {
		pr.proven = 0
	}
	return max(est, pr.proven)
}

// probeStep runs each allocation: it ends a running probe (proving its
// rate, or backing off after congestion), or starts one on d when the
// allocation left d below what it wants; usage is what is being sent
// (bit/s), need what giving d what it wants would take in all.
// It reports whether a probe just proved a new rate, so the allocation
// can use it at once.
func (p *Participant) probeStep(d *downTrack, usage, need, est, gccEst int, sig linkSignals) bool {
	pr := &p.probe
	now := nanotime()
	if pr.active {
		pr.minEst = min(pr.minEst, gccEst)
		pr.maxLoss = max(pr.maxLoss, sig.loss)
		if sig.queueing {
			pr.queued++
		}
		switch {
		// A probe the link cannot carry fills the bottleneck's queue: the
		// delay grows at once (seen twice, so one noisy sample does not
		// count), and a full queue drops packets (loss above the link's
		// usual). The estimate itself is no signal: a delay blip that the
		// estimator takes for overuse cuts it to 85% of what it sees
		// delivered, which on a subscriber held below its estimate is far
		// below the estimate, link or no link.
		case pr.queued >= probeQueueSamples || pr.maxLoss > pr.baseLoss+probeLossRise:
			p.stopProbe()
			pr.streak = 0
			pr.backoff = min(max(2*pr.backoff, probeMinBackoff), probeMaxBackoff)
			pr.next = now + int64(pr.backoff)
			p.log.Debug("probe failed", "rate", pr.total, "backoff", pr.backoff, "estimate", est, "queueing", pr.queued, "loss", pr.maxLoss, "base_loss", pr.baseLoss)
		case now-pr.startAt >= int64(probeDuration-probeSlack):
			p.stopProbe()
			pr.proven, pr.provenAt = pr.total, now
			pr.streak++
			pr.backoff = probeMinBackoff
			pr.next = now // climb on at the next allocation
			p.log.Debug("probe succeeded", "rate", pr.total, "estimate", est, "gcc", gccEst, "gcc_start", pr.startEst, "gcc_min", pr.minEst, "loss", pr.maxLoss, "base_loss", pr.baseLoss)
			return true
		}
		return false
	}
	if p.congestedAt.Load() > pr.provenAt {
		pr.streak = 0 // what the last probes proved is gone
	}
	if d == nil || now < pr.next || d.bound.Load() == nil || sig.queueing || sig.loss > lossyLink {
		// A queue still draining (after congestion, or the last probe)
		// would fail any probe: wait for it. A line's own random loss of
		// a few percent is no reason not to probe: Google congestion
		// control holds its estimate between 2% and 10% loss, so on a
		// commune line only a probe ever raises it.
		return false
	}
	// The first step: at most half again what flows or a quarter above
	// the estimate (which includes the last proven rate), so a failed
	// probe does not bury the audio. After a success: twice what was
	// proven. Never more than what d wants, with headroom, since layer
	// rates swing with key frames and a probe that proves just the need
	// of a moment ago is wasted.
	target := max(usage+usage/2, est+est/4, usage+100_000)
	if pr.streak > 0 {
		target = 2 * max(usage, est)
	}
	target = min(target, need+need/5)
	if pr.streak == 0 && (est < thinLink || !p.estimateTested()) {
		target = min(target, usage+usage/4)
	}
	pad := target - usage
	if pad <= 0 {
		return false
	}
	// Padding costs the server as much as media per packet. When many
	// subscribers are held below what they want at once (a congested or
	// CPU-bound server, where estimates sag everywhere) probing them all
	// at once was 16% of the SFU's CPU at 100 halls and fed the overload;
	// they take turns instead.
	if n := p.s.probing.Add(1); int(n) > p.s.cfg.MaxProbes {
		p.s.probing.Add(-1)
		pr.next = now + int64(probeMinBackoff)
		return false
	}
	pr.active, pr.startAt, pr.total = true, now, usage+pad
	pr.startEst, pr.minEst = gccEst, gccEst
	pr.baseLoss, pr.maxLoss, pr.queued = sig.loss, sig.loss, 0
	pr.stop = make(chan struct{})
	p.log.Debug("probe", "usage", usage, "padding", pad, "need", need, "gcc", gccEst, "streak", pr.streak)
	go func() {
		defer p.s.probing.Add(-1)
		p.pad(d, pad, pr.stop)
	}()
	return false
}

func (p *Participant) stopProbe() {
	if p.probe.active {
		close(p.probe.stop)
		p.probe.active = false
	}
}

// pad sends padding at rate bit/s on d until stop or the probe's end.
func (p *Participant) pad(d *downTrack, rate int, stop <-chan struct{}) {
	t := time.NewTicker(probeTick)
	defer t.Stop()
	end := time.After(probeDuration + probeTick)
	perTick := float64(rate) * probeTick.Seconds() / padBits
	acc := 0.0
	for {
		select {
		case <-stop:
			return
		case <-end:
			return
		case <-p.ctx.Done():
			return
		case <-t.C:
			acc += perTick
			if n := int(acc); n > 0 {
				acc -= float64(n)
				p.writer.pad(d, n)
			}
		}
	}
}
