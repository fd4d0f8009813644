package sfu

import (
	"sync/atomic"
	"time"

	"github.com/cau-gov/cau/sfu/internal/gcc"
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
// Steps grow like TCP's slow start (probeTarget): the first probe after
// congestion (or at the start, once feedback has tested the connection)
// goes only a little above what flows, since the link was full near
// there; each success doubles the next step from what was proven (a
// quarter more on a lossy line), and an overshoot of a
// step that large fills a queue at once, so it fails fast. A link that
// recovers from 400 kbit/s to plenty climbs from the low layer to the
// high one in four or five probes, a few seconds.
const (
	probeDuration   = time.Second
	probeMinBackoff = time.Second
	probeMaxBackoff = 2 * time.Second
	// lossyProbeMinBackoff, lossyProbeMaxBackoff: the same after a probe
	// failed on a line with random loss (gccHoldLoss or more).
	lossyProbeMinBackoff = 4 * time.Second
	lossyProbeMaxBackoff = 16 * time.Second
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
	// probeLossRise: the loss (a fraction) averaged over a probe this
	// much above the line's fails it; probeLossSpike: one reading this
	// much above fails it at once (a probe that overflowed the queue).
	// GCC's loss is an average over about 200 ms, a few dozen packets on a
	// commune line: on a 400 kbit/s line with 3 % random loss single
	// readings swing between 0 and 10 %, and failing a probe on any one
	// 4 % above the reading at its start failed nearly all (a browser
	// behind the line, web/e2e communeline.test.js: GCC's estimate then
	// stays near 1.5 times what flows, 130 kbit/s, and the floor's picture
	// went on and off for 20 s).
	probeLossRise  = 0.04
	probeLossSpike = 0.10
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
	// probeSettle, probeShortfall: from probeSettle into a probe, GCC's
	// rates of the acknowledged packets (each over 500 ms) are read at
	// every allocation, and a probe whose packets arrived at less than
	// (1 - probeShortfall) of the rate they were sent at, beyond the
	// line's own loss, fails: the link queued the rest. A drop-tail queue
	// of 250 ms absorbs a second of 80 kbit/s too much without the delay
	// trend or the loss showing it, and behind a 388 kbit/s commune line
	// (web/e2e communeline.test.js) probes "succeeded" at 440 and 477
	// kbit/s; the floor went to medium under that ceiling, and medium's
	// key frame and NACK answers overflowed the queue (3 s frozen). The
	// feedback on a probe's packets comes a round trip and the queue
	// after them, so the readings before probeSettle cover mostly what
	// was sent before it. 7 %: a 500 ms reading of a commune line holds
	// 50–100 packets, whose 3 % random loss alone swings by 2 points.
	probeSettle    = 600 * time.Millisecond
	probeShortfall = 0.07
	// failedRateMemory, failedRateShare: for this long after a probe
	// failed, probes aim no higher than this share of the lowest rate one
	// failed at. Behind a 400 kbit/s line (web/e2e communeline.test.js)
	// the prober, aiming at the high layer, failed at 450–545 kbit/s
	// every 2–4 s; each failure filled the queue, GCC cut its estimate
	// and the floor fell from medium to low and climbed back, a key frame
	// each time. Capped, the probes close in on what the line carries and
	// stop once the cap is at what flows. At 90 % the cap after a probe
	// failed at 445 kbit/s was the line's own 400 kbit/s, and the next
	// probe up to it held the medium picture still for 3 s.
	failedRateMemory = 30 * time.Second
	failedRateShare  = 0.8
	// thinLink: below this estimate (bit/s) the first probe after
	// congestion adds at most a quarter of what flows, so it cannot
	// overflow a bottleneck queue of 250 ms or more (a commune line's)
	// within its one second even when the link carries no more than what
	// flows (see probeTarget).
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
	// delayTarget is GCC's delay-based estimate (bit/s), which loss does
	// not move.
	delayTarget int
	// acked counts the packets feedback has reported on so far, matched
	// to what was sent (internal/gcc): while it stands still GCC's
	// figures are not news, whatever they say.
	acked int64
	// received and sent are the rates (bit/s) the acknowledged packets
	// arrived at and left at, lost ones counted as sent (internal/gcc,
	// over 500 ms each), 0 before feedback.
	received, sent int
}

// readSignals reads GCC's figures typed (gcc.SendSideBWE.Signals; its
// GetStats map was about fourteen allocations, four times a second per
// subscriber). Every down connection's estimator is GCC (newDownAPI).
func readSignals(e cc.BandwidthEstimator) linkSignals {
	g, ok := e.(*gcc.SendSideBWE)
	if !ok {
		return linkSignals{}
	}
	st := g.Signals()
	// As GetStats compares them: to the microsecond. No threshold yet:
	// no delay statistics either (and a zero usage reads as overuse).
	trend, thr := st.DelayEstimate.Truncate(time.Microsecond), st.DelayThreshold.Truncate(time.Microsecond)
	return linkSignals{
		loss:        st.AverageLoss,
		queueing:    thr > 0 && (trend > thr || st.Overuse),
		delayTarget: st.DelayTargetBitrate,
		acked:       st.Acknowledged,
		received:    st.ReceivedBitrate,
		sent:        st.SentBitrate,
	}
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
	lossSum  float64 // the sum of its readings during the probe
	lossN    int     // and their number
	baseLoss float64 // the line's loss when the probe began (the higher of GCC's and lineLoss)
	queued   int     // allocations during the probe that saw queueing
	next     int64
	backoff  time.Duration
	streak   int  // probes succeeded since the last congestion
	known    bool // a probe has succeeded on the connection
	// startAcked is linkSignals.acked when the probe began.
	startAcked int64
	// receivedSum, sentSum: linkSignals.received and sent summed over
	// the probe's readings from probeSettle on, delivered their number.
	receivedSum, sentSum float64
	delivered            int
	// lossyBackoff: the backoff is a lossy line's, ended when its loss
	// goes; failedAt is when the last probe failed.
	lossyBackoff bool
	failedAt     int64
	failedRate   int   // the lowest rate a probe failed at within failedRateMemory
	failedRateAt int64 // when it was last lowered or confirmed
	stop         chan struct{}
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

// provenRate is what the last probe proved, 0 when none or congestion
// came since.
func (p *Participant) provenRate() int {
	pr := &p.probe
	if pr.proven > 0 && p.congestedAt.Load() > pr.provenAt {
		pr.proven = 0
	}
	return pr.proven
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
		pr.lossSum += sig.loss
		pr.lossN++
		meanLoss := pr.lossSum / float64(pr.lossN)
		if sig.queueing {
			pr.queued++
		}
		if now-pr.startAt >= int64(probeSettle) && sig.sent > 0 {
			pr.receivedSum += float64(sig.received)
			pr.sentSum += float64(sig.sent)
			pr.delivered++
		}
		ending := now-pr.startAt >= int64(probeDuration-probeSlack)
		carried := pr.carried(p.lineLoss)
		short := ending && carried < 1-probeShortfall
		// On a lossy line GCC's cut during the probe counts too: a probe
		// that "succeeded" through one proved a rate the line had just
		// refused, and the floor went up to medium into the full queue
		// (its picture stood still for 3.5 s behind the commune line).
		cut := p.congestedAt.Load() > pr.startAt && max(sig.loss, p.lineLoss) >= gccHoldLoss
		// A probe GCC heard nothing about proved nothing: no feedback
		// matched during it, or none yet made delay statistics, and zero
		// loss and no queueing are then no reading. Probes "succeeded"
		// that way into a 400 kbit/s line at 0.5, 1, 2 and 2.7 Mbit/s, its
		// queue dropped most of it, and GCC, whose history no longer held
		// the packets its late feedback reported, stayed blind (cau
		// loadtest --weak-share, docs/performance.md).
		unheard := ending && (sig.acked == pr.startAcked || sig.delayTarget == 0)
		switch {
		// A probe the link cannot carry fills the bottleneck's queue: the
		// delay grows at once (seen twice, so one noisy sample does not
		// count), and a full queue drops packets (loss above the link's
		// usual). The estimate itself is no signal: a delay blip that the
		// estimator takes for overuse cuts it to 85% of what it sees
		// delivered, which on a subscriber held below its estimate is far
		// below the estimate, link or no link.
		case unheard && pr.queued < probeQueueSamples && !cut && !short && sig.loss <= pr.baseLoss+probeLossSpike && meanLoss <= pr.baseLoss+probeLossRise:
			// Nor did it fail: it says nothing of the line, so it leaves
			// no failed rate behind (a cap at 80 % of a first step that
			// went unheard on a fat link would have held the picture on
			// low for failedRateMemory). Again after a backoff.
			p.stopProbe()
			pr.streak = 0
			pr.backoff = min(max(2*pr.backoff, probeMinBackoff), probeMaxBackoff)
			pr.next = now + int64(pr.backoff)
			p.log.Debug("probe unheard", "rate", pr.total, "backoff", pr.backoff, "acked", sig.acked-pr.startAcked, "delay_target", sig.delayTarget)
		case pr.queued >= probeQueueSamples || cut || short || sig.loss > pr.baseLoss+probeLossSpike || ending && meanLoss > pr.baseLoss+probeLossRise:
			p.stopProbe()
			pr.streak = 0
			lo, hi := probeMinBackoff, probeMaxBackoff
			pr.lossyBackoff = max(sig.loss, p.lineLoss) >= gccHoldLoss
			if pr.lossyBackoff {
				// A lossy line's failed probe cost its queue (and GCC
				// holds there): try again seldom, unless the loss goes.
				lo, hi = lossyProbeMinBackoff, lossyProbeMaxBackoff
			}
			pr.backoff = min(max(2*pr.backoff, lo), hi)
			pr.noteFailure(now)
			pr.next = now + int64(pr.backoff)
			p.log.Debug("probe failed", "rate", pr.total, "cut", cut, "carried", carried, "backoff", pr.backoff, "estimate", est, "queueing", pr.queued, "loss", pr.maxLoss, "mean_loss", meanLoss, "base_loss", pr.baseLoss, "capped", pr.delivered > 0)
		case ending:
			p.stopProbe()
			pr.proven, pr.provenAt, pr.known = pr.carriedRate(p.lineLoss), now, true
			pr.streak++
			pr.backoff = probeMinBackoff
			pr.next = now // climb on at the next allocation
			p.log.Debug("probe succeeded", "rate", pr.total, "proven", pr.proven, "carried", carried, "estimate", est, "gcc", gccEst, "gcc_start", pr.startEst, "gcc_min", pr.minEst, "loss", pr.maxLoss, "mean_loss", meanLoss, "base_loss", pr.baseLoss)
			return true
		}
		return false
	}
	if p.congestedAt.Load() > pr.provenAt {
		pr.streak = 0 // what the last probes proved is gone
	}
	// A line that has lost gccHoldLoss steps a quarter at a time while
	// its average stays above a quarter of that: a 3 % line reads under
	// 2 % between its losses, and a step of twice what was proven then
	// went out, 656–726 kbit/s into a 388 kbit/s commune line, whose
	// queue overflowed and GCC fell to 120–220 kbit/s
	// (communeline.test.js). Its average reaches 0.5 % within half a
	// second of its first losses, and a line that clears falls under it
	// within 3 s.
	lossy := max(sig.loss, p.lineLoss) >= gccHoldLoss || p.peakLoss >= gccHoldLoss && p.lineLoss >= gccHoldLoss/4
	pr.lineRecovered(max(sig.loss, p.lineLoss), now)
	if d == nil || now < pr.next || d.bound.Load() == nil || !p.estimateTested() || sig.queueing || sig.loss > lossyLink {
		// Not before feedback has had feedbackSettle on the connection:
		// a probe started before the subscriber's connection was up had
		// no feedback to fail on and "proved" 0.5–0.7 Mbit/s, the next
		// step doubled to 2 Mbit/s into a 600 kbit/s line, and GCC
		// collapsed to 100 kbit/s for the rest of the run (TestShortRun's
		// weak hall, floor paused 80–97 %). Not while a queue drains
		// (after congestion, or the last probe): it would fail any probe.
		// Nor into a link losing more than lossyLink: that loss is a full
		// queue's, not the line's.
		return false
	}
	// Until a probe has succeeded on the connection, the line is unknown:
	// steps as on a lossy one (a first probe of half again into a 600
	// kbit/s line that GCC still put at 1.1 Mbit/s collapsed its estimate
	// to 66 kbit/s).
	target := probeTarget(usage, need, est, pr.proven, pr.streak, lossy || !pr.known)
	// Not again to where a probe failed lately (see failedRateMemory).
	target, ok := pr.probeCap(target, now)
	if !ok {
		return false
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
	pr.startEst, pr.minEst, pr.startAcked = gccEst, gccEst, sig.acked
	pr.baseLoss, pr.maxLoss, pr.queued = max(sig.loss, p.lineLoss), sig.loss, 0
	pr.lossSum, pr.lossN = 0, 0
	pr.receivedSum, pr.sentSum, pr.delivered = 0, 0, 0
	pr.stop = make(chan struct{})
	p.log.Debug("probe", "usage", usage, "padding", pad, "need", need, "gcc", gccEst, "streak", pr.streak)
	go func() {
		defer p.s.probing.Add(-1)
		p.pad(d, pad, pr.stop)
	}()
	return false
}

// carried is the share of a probe's packets the link delivered, beyond
// lineLoss, its own loss (see probeShortfall): 1 with no reading.
func (pr *prober) carried(lineLoss float64) float64 {
	if pr.sentSum <= 0 {
		return 1
	}
	return pr.receivedSum / (pr.sentSum * (1 - min(lineLoss, lossyLink)))
}

// carriedRate is what a probe that succeeded proved (bit/s): its rate,
// or what the link was seen to carry of it if less (GCC's received rate
// over the readings, with the line's own loss; counted in SRTP packets,
// a few percent under the wire's rate the plan counts in). The layers
// send less than the plan counts at times, and a probe "succeeded" at
// 436 kbit/s into a 388 kbit/s commune line with 97 % carried: what went
// out was under 400 (communeline.test.js), and the floor went to medium
// under that ceiling.
func (pr *prober) carriedRate(lineLoss float64) int {
	if pr.delivered == 0 {
		return pr.total
	}
	rate := pr.receivedSum / float64(pr.delivered) / (1 - min(lineLoss, lossyLink))
	return min(pr.total, int(rate))
}

// noteFailure notes that the probe failed at now (nanotime). Only one
// whose delivery was read (from probeSettle on) leaves a failed rate for
// probeCap: GCC's cut at a join failed the first probe 270 ms in, while
// the commune's browser started its own publishing, and its cap held
// every probe for 22 s at 149 kbit/s on a 388 kbit/s line; the floor's
// low layer went on and off beside the floor's audio
// (communeline.test.js).
func (pr *prober) noteFailure(now int64) {
	pr.failedAt = now
	if pr.delivered == 0 {
		return
	}
	if pr.failedRate == 0 || now-pr.failedRateAt >= int64(failedRateMemory) {
		pr.failedRate = pr.total
	}
	pr.failedRate = min(pr.failedRate, pr.total)
	pr.failedRateAt = now
}

// lineRecovered ends a lossy line's backoff, and forgets the rates probes
// failed at on it, once the line's loss (the higher of GCC's reading and
// lineLoss) is well below what it was: a 3 % line dips under 2 % between
// losses, and probing at once then failed again and collapsed GCC's
// estimate, but lineLoss stays above 1 % on it. The failed rate was the
// lossy line's: kept for failedRateMemory after the line was lifted to
// 50 Mbit/s, it capped probes under the medium layer and the floor stayed
// on low for 12 s (TestWeakLinkKeepsAudioAndAdaptsLayers, once in CI).
func (pr *prober) lineRecovered(loss float64, now int64) {
	if pr.lossyBackoff && loss < gccHoldLoss/2 && now-pr.failedAt >= int64(probeMinBackoff) {
		pr.next, pr.lossyBackoff, pr.failedRate = now, false, 0
	}
}

// probeCap holds target under failedRateShare of the rate a probe failed
// at within failedRateMemory; ok is false when no probe should start (the
// cap is already proven: padding on and on up to it kept the line's queue
// full).
func (pr *prober) probeCap(target int, now int64) (capped int, ok bool) {
	if pr.failedRate == 0 || now-pr.failedRateAt >= int64(failedRateMemory) {
		return target, true
	}
	limit := int(float64(pr.failedRate) * failedRateShare)
	if target < limit {
		return target, true
	}
	return limit, pr.proven < limit
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

// probeTarget is the total rate (bit/s) a probe aims at: usage is what
// flows, need what giving the limited track what it wants would take in
// all, est the estimate, proven what the last probe proved, streak the
// probes succeeded since the last congestion, lossy whether the line
// loses gccHoldLoss or more on its own. A pure function.
//
// The first step after congestion (or at the start) goes a little above
// what flows, since the link was full near there: half again, or 100
// kbit/s more; on a thin link (an estimate below thinLink) or a lossy
// one at most a quarter more (50 kbit/s at least, so a paused picture's
// low layer is reached in a step or two), which cannot overflow a
// bottleneck queue of 250 ms within the probe's second even when the link
// carries no more than what flows. Each success grows the next step from
// what was proven, never from the estimate (GCC's may be untested):
// twice, or a quarter more on a lossy line (where a failed probe costs
// most: GCC holds its estimate there, and an overshoot to twice a 600
// kbit/s line's rate collapsed it for the rest of the run). Never more than need with headroom, since layer
// rates swing with key frames and a probe that proves just the need of a
// moment ago is wasted.
func probeTarget(usage, need, est, proven, streak int, lossy bool) int {
	var target int
	switch base := max(usage, proven); {
	case streak == 0 && (lossy || est < thinLink):
		target = usage + max(usage/4, 50_000)
	case streak == 0:
		target = max(usage+usage/2, usage+100_000)
	case lossy:
		target = base + base/4
	default:
		target = 2 * base
	}
	return min(target, need+need/5)
}
