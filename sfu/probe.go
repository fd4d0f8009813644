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
	probeMaxBackoff = 6 * time.Second
	// probeTick spreads the padding, so a probe is not one burst.
	probeTick = 20 * time.Millisecond
	// padBits is the wire size of a padding packet (255 bytes of padding,
	// RTP, SRTP, UDP and IP headers).
	padBits = (255 + 12 + 10 + 8 + 20) * 8
	// congestionDrop: an estimate falling by more than this fraction at
	// once is a congestion signal.
	congestionDrop = 0.05
)

// prober is a subscriber's probing state; used under Participant.allocMu.
type prober struct {
	proven   int   // bit/s delivered by the last successful probe
	provenAt int64 // nanotime it was proven
	active   bool
	startAt  int64
	total    int // bit/s of media plus padding during the probe
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
func (p *Participant) probeStep(d *downTrack, usage, need, est int) {
	pr := &p.probe
	now := nanotime()
	if pr.active {
		switch {
		case p.congestedAt.Load() > pr.startAt:
			p.stopProbe()
			pr.backoff = min(max(2*pr.backoff, probeMinBackoff), probeMaxBackoff)
			pr.next = now + int64(pr.backoff)
			p.log.Debug("probe failed", "rate", pr.total, "backoff", pr.backoff)
		case now-pr.startAt >= int64(probeDuration):
			p.stopProbe()
			pr.proven, pr.provenAt = pr.total, now
			pr.backoff = probeMinBackoff
			pr.next = now + int64(probeMinBackoff/2)
			p.log.Debug("probe succeeded", "rate", pr.total)
		}
		return
	}
	if d == nil || now < pr.next || need <= est || d.cur.Load() == nil {
		return
	}
	// At most double what flows: a failed probe must not bury the audio.
	pad := min(need-usage, max(usage, 100_000))
	if pad <= 0 {
		return
	}
	pr.active, pr.startAt, pr.total = true, now, usage+pad
	pr.stop = make(chan struct{})
	p.log.Debug("probe", "usage", usage, "padding", pad, "need", need)
	go p.pad(d, pad, pr.stop)
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
