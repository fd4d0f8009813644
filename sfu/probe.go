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
const (
	probeDuration   = time.Second
	probeMinBackoff = time.Second
	probeMaxBackoff = 2 * time.Second
	// probeTick spreads the padding, so a probe is not one burst.
	probeTick = 20 * time.Millisecond
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
)

// prober is a subscriber's probing state; used under Participant.allocMu.
type prober struct {
	proven   int   // bit/s delivered by the last successful probe
	provenAt int64 // nanotime it was proven
	active   bool
	startAt  int64
	total    int     // bit/s of media plus padding during the probe
	startEst int     // the estimator's own estimate when the probe began
	minEst   int     // and its lowest since
	maxLoss  float64 // highest average loss the estimator reported during the probe
	baseLoss float64 // and its loss when the probe began
	next     int64
	backoff  time.Duration
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
// (bit/s), need what the next step up would take.
// It reports whether a probe just proved a new rate, so the allocation
// can use it at once.
func (p *Participant) probeStep(d *downTrack, usage, need, est, gccEst int, loss float64) bool {
	pr := &p.probe
	now := nanotime()
	if pr.active {
		pr.minEst = min(pr.minEst, gccEst)
		pr.maxLoss = max(pr.maxLoss, loss)
		switch {
		// A link that carries the probe lets the estimator's own estimate
		// hold or grow; a queue filling up makes it sag.
		// A full queue drops packets: loss above the link's usual is the
		// surest sign the probe was too much.
		case p.congestedAt.Load() > pr.startAt || float64(pr.minEst) < 0.97*float64(pr.startEst) ||
			pr.maxLoss > pr.baseLoss+probeLossRise:
			p.stopProbe()
			pr.backoff = min(max(2*pr.backoff, probeMinBackoff), probeMaxBackoff)
			pr.next = now + int64(pr.backoff)
			p.log.Debug("probe failed", "rate", pr.total, "backoff", pr.backoff, "estimate", est)
		case now-pr.startAt >= int64(probeDuration):
			p.stopProbe()
			pr.proven, pr.provenAt = pr.total, now
			pr.backoff = probeMinBackoff
			pr.next = now // climb on at the next allocation
			p.log.Debug("probe succeeded", "rate", pr.total, "estimate", est, "gcc", gccEst, "gcc_start", pr.startEst, "gcc_min", pr.minEst, "loss", pr.maxLoss, "base_loss", pr.baseLoss)
			return true
		}
		return false
	}
	if d == nil || now < pr.next || need <= est || d.bound.Load() == nil {
		return false
	}
	// Aim at the next layer, but at most half again what flows or a
	// quarter above the estimate (which includes the last proven rate):
	// a failed probe must not bury the audio.
	// The aim has headroom: layer rates swing with key frames, and a
	// probe that proves just the need of a moment ago is wasted.
	// Small steps: a probe a little above a full link is not always
	// caught within its second, so each step may overshoot only a little.
	target := min(need+need/5, max(usage+usage/2, est+est/4, usage+100_000))
	pad := target - usage
	if pad <= 0 {
		return false
	}
	pr.active, pr.startAt, pr.total = true, now, usage+pad
	pr.startEst, pr.minEst = gccEst, gccEst
	pr.baseLoss, pr.maxLoss = loss, loss
	pr.stop = make(chan struct{})
	p.log.Debug("probe", "usage", usage, "padding", pad, "need", need, "gcc", gccEst)
	go p.pad(d, pad, pr.stop)
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
