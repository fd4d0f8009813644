package sfu

import (
	"testing"
	"time"
)

func TestUsableEstimate(t *testing.T) {
	cases := []struct {
		name         string
		in           linkInput
		bps, ceiling int
	}{
		{"GCC's estimate, nothing tested: no ceiling",
			linkInput{gcc: 1_000_000}, 1_000_000, 0},
		{"a line's own loss with no queue: the delay-based target (GCC's loss-based one holds low)",
			linkInput{gcc: 140_000, sig: linkSignals{loss: 0.03, delayTarget: 480_000}, tested: 400_000}, 480_000, 460_000},
		{"and after the loss fell below 2 % (GCC climbs 5 % per 200 ms from its drop)",
			linkInput{gcc: 140_000, sig: linkSignals{loss: 0.005, delayTarget: 480_000}}, 480_000, 0},
		{"a queue building: GCC's",
			linkInput{gcc: 140_000, sig: linkSignals{loss: 0.03, delayTarget: 480_000, queueing: true}}, 140_000, 0},
		{"loss of a full queue: GCC's",
			linkInput{gcc: 140_000, sig: linkSignals{loss: 0.15, delayTarget: 480_000}}, 140_000, 0},
		{"a proven rate raises the estimate and the ceiling",
			linkInput{gcc: 500_000, proven: 900_000, tested: 400_000}, 900_000, 900_000},
		{"the ceiling is the tested rate with headroom",
			linkInput{gcc: 1_100_000, tested: 400_000}, 1_100_000, 460_000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := usableEstimate(c.in)
			if e.bps != c.bps || e.ceiling != c.ceiling {
				t.Errorf("estimate %d ceiling %d, want %d and %d", e.bps, e.ceiling, c.bps, c.ceiling)
			}
		})
	}
}

func TestTestedRate(t *testing.T) {
	var tr testedRate
	sec := int64(time.Second)
	at := 100 * sec
	if got := tr.max(at); got != 0 {
		t.Fatalf("empty: %d", got)
	}
	tr.record(at, 300_000)
	tr.record(at+sec/2, 450_000)
	tr.record(at+3*sec, 200_000)
	if got := tr.max(at + 3*sec); got != 450_000 {
		t.Errorf("max within the window = %d, want 450000", got)
	}
	// testedWindow later the 450 kbit/s second has gone, the 200 not.
	if got := tr.max(at + int64(testedWindow)); got != 200_000 {
		t.Errorf("max a window later = %d, want 200000", got)
	}
	// The bucket of a second 10 s on is reused, not added to.
	tr.record(at+int64(testedWindow), 100_000)
	if got := tr.max(at + int64(testedWindow)); got != 200_000 {
		t.Errorf("after reuse = %d, want 200000", got)
	}
	tr.reset(at+20*sec, 150_000)
	if got := tr.max(at + 20*sec); got != 150_000 {
		t.Errorf("after a reset = %d, want 150000 (what flows then)", got)
	}
}

func TestBurstBudget(t *testing.T) {
	var b burstBudget
	b.setRate(400_000) // 200 ms: 10 000 bytes; refills at 12 500 bytes/s
	now := int64(time.Second)
	first := b.take(now, 4_000)
	if second := b.take(now, 4_000); !first || !second {
		t.Fatal("two key frames of 4 KB within 10 KB refused")
	}
	if b.take(now, 4_000) {
		t.Error("a third key frame at once was given: the tracks share one budget")
	}
	now += int64(200 * time.Millisecond) // +2 500 bytes
	if !b.take(now, 4_000) {
		t.Error("refilled budget refused 4 KB")
	}
	now += int64(10 * time.Second) // full again, not more
	if b.take(now, 10_001) {
		t.Error("the budget grew past 200 ms of its rate")
	}
	if !b.takeKey(now, 30_000) {
		t.Error("a full budget refused a key frame larger than itself")
	}
	if b.take(now+int64(time.Second), 1_000) {
		t.Error("a budget in debt gave bytes")
	}
	if !b.take(now+int64(3*time.Second), 1_000) {
		t.Error("the debt was not repaid after 3 s")
	}
}

// TestRecentMaxByTime: the floor's keep window holds an estimate for
// keepWindow whatever the number of allocations in it (a floor change
// reallocates several times at once).
func TestRecentMaxByTime(t *testing.T) {
	var r recentMax
	ms := int64(time.Millisecond)
	at := 100 * int64(time.Second)
	r.add(at, 229_000)
	for i := range 20 { // a burst of allocations at a floor change
		r.add(at+250*ms+int64(i)*ms, 118_000)
	}
	if got := r.add(at+1250*ms, 89_000); got != 229_000 {
		t.Errorf("1.25 s after 229 kbit/s and 21 allocations: recent %d, want 229000", got)
	}
	if got := r.add(at+keepWindow.Nanoseconds(), 89_000); got != 118_000 {
		t.Errorf("past keepWindow after 229 kbit/s: recent %d, want 118000 (the cut, still within)", got)
	}
	if got := r.add(at+3*keepWindow.Nanoseconds(), 89_000); got != 89_000 {
		t.Errorf("long after: recent %d, want 89000", got)
	}
}

func TestProbeTarget(t *testing.T) {
	cases := []struct {
		name                             string
		usage, need, est, proven, streak int
		lossy                            bool
		want                             int
	}{
		{"first step on a clean fat link: half again", 600_000, 5_000_000, 2_000_000, 0, 0, false, 900_000},
		{"or 100 kbit/s more", 100_000, 5_000_000, 2_000_000, 0, 0, false, 200_000},
		{"first step on a thin link: a quarter more", 400_000, 5_000_000, 600_000, 0, 0, false, 500_000},
		{"50 kbit/s at least (a paused picture's low layer)", 40_000, 5_000_000, 150_000, 0, 0, false, 90_000},
		{"first step on a lossy line, whatever the estimate", 400_000, 5_000_000, 3_000_000, 0, 0, true, 500_000},
		{"after a success on a fat link: twice what was proven, not the estimate", 500_000, 5_000_000, 8_000_000, 1_200_000, 1, false, 2_400_000},
		{"on a lossy line: a quarter more", 400_000, 5_000_000, 600_000, 500_000, 2, true, 625_000},
		{"never past need with a fifth of headroom", 400_000, 500_000, 2_000_000, 0, 0, false, 600_000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := probeTarget(c.usage, c.need, c.est, c.proven, c.streak, c.lossy); got != c.want {
				t.Errorf("probeTarget = %d, want %d", got, c.want)
			}
		})
	}
}

func TestProbeCapAfterFailure(t *testing.T) {
	const s = int64(time.Second)
	failed := func() prober {
		// A probe failed at 450 kbit/s on a 3 % line at t = 10 s.
		return prober{failedRate: 450_000, failedAt: 10 * s, failedRateAt: 10 * s, lossyBackoff: true, next: 14 * s}
	}
	cases := []struct {
		name      string
		proven    int
		target    int
		at        int64
		wantCap   int
		wantStart bool
	}{
		{"under the cap: as asked", 0, 300_000, 12 * s, 300_000, true},
		{"over it: held at 80 % of the failed rate", 0, 900_000, 12 * s, 360_000, true},
		{"the cap already proven: no probe", 360_000, 900_000, 12 * s, 360_000, false},
		{"forgotten after failedRateMemory", 360_000, 900_000, 10*s + int64(failedRateMemory), 900_000, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pr := failed()
			pr.proven = c.proven
			got, ok := pr.probeCap(c.target, c.at)
			if got != c.wantCap || ok != c.wantStart {
				t.Errorf("probeCap(%d) = %d, %v; want %d, %v", c.target, got, ok, c.wantCap, c.wantStart)
			}
		})
	}

	t.Run("the lossy line's loss stays: cap and backoff stay", func(t *testing.T) {
		pr := failed()
		pr.lineRecovered(0.015, 12*s) // a 3 % line between its losses
		if !pr.lossyBackoff || pr.failedRate != 450_000 || pr.next != 14*s {
			t.Errorf("after 1.5 %% loss: backoff %v, failed rate %d, next %d; want all kept", pr.lossyBackoff, pr.failedRate, pr.next)
		}
	})
	t.Run("too soon after the failure: kept", func(t *testing.T) {
		pr := failed()
		pr.lineRecovered(0, 10*s+int64(probeMinBackoff)/2)
		if !pr.lossyBackoff || pr.failedRate == 0 {
			t.Error("recovered half a backoff after the failure")
		}
	})
	t.Run("the loss gone: the line is new, probe at once and uncapped", func(t *testing.T) {
		pr := failed()
		pr.proven = 360_000
		pr.lineRecovered(0.002, 12*s)
		if pr.lossyBackoff || pr.next != 12*s {
			t.Errorf("backoff %v, next %d; want ended at 12 s", pr.lossyBackoff, pr.next)
		}
		if got, ok := pr.probeCap(900_000, 12*s); got != 900_000 || !ok {
			t.Errorf("probeCap after recovery = %d, %v; want 900000, true", got, ok)
		}
	})
}

// TestRTXBudget: retransmissions take what the plan leaves of the
// estimate, at least a tenth of what it sends, in bursts of 250 ms.
func TestProbeCarried(t *testing.T) {
	cases := []struct {
		name           string
		received, sent float64 // summed over the readings
		lineLoss       float64
		wantShort      bool
	}{
		{"no reading: carried", 0, 0, 0.03, false},
		{"a clean link delivers what it is sent", 2 * 1_000_000, 2 * 1_000_000, 0, false},
		{"a 3 % line under its rate: only its own loss", 2 * 368_600, 2 * 380_000, 0.03, false},
		{"noise: 5 % lost on a 3 % line", 2 * 361_000, 2 * 380_000, 0.03, false},
		{"477 kbit/s into a 388 kbit/s line: queued", 2 * 376_000, 2 * 477_000, 0.03, true},
		{"440 kbit/s into it", 2 * 376_000, 2 * 440_000, 0.03, true},
		{"a loss reading past lossyLink corrects no more than lossyLink", 2 * 500_000, 2 * 1_000_000, 0.6, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pr := prober{receivedSum: c.received, sentSum: c.sent}
			got := pr.carried(c.lineLoss)
			if short := got < 1-probeShortfall; short != c.wantShort {
				t.Errorf("carried = %.3f: short %v, want %v", got, short, c.wantShort)
			}
		})
	}
}

func TestProbeCarriedRate(t *testing.T) {
	for _, c := range []struct {
		name     string
		pr       prober
		lineLoss float64
		want     int
	}{
		{"no reading: the probe's rate", prober{total: 400_000}, 0.03, 400_000},
		{"carried all of it: the probe's rate", prober{total: 400_000, receivedSum: 2 * 390_000, sentSum: 2 * 400_000, delivered: 2}, 0.03, 400_000},
		// 2 × 366,000 received on a 3 % line: 377,320 carried.
		{"less went out than the plan counts: what was carried", prober{total: 436_000, receivedSum: 2 * 366_000, sentSum: 2 * 380_000, delivered: 2}, 0.03, 377_319},
	} {
		if got := c.pr.carriedRate(c.lineLoss); got != c.want {
			t.Errorf("%s: carriedRate = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestProbeFailureCapsOnlyWhenDeliveryRead(t *testing.T) {
	const s = int64(time.Second)
	t.Run("failed before its delivery was read: no cap, the backoff's clock runs", func(t *testing.T) {
		pr := prober{total: 186_000}
		pr.noteFailure(10 * s)
		if pr.failedAt != 10*s {
			t.Errorf("failedAt %d, want %d", pr.failedAt, 10*s)
		}
		if got, ok := pr.probeCap(400_000, 11*s); got != 400_000 || !ok {
			t.Errorf("probeCap = %d, %v; want 400000, true (no cap)", got, ok)
		}
	})
	t.Run("failed on what it delivered: capped at 80 %", func(t *testing.T) {
		pr := prober{total: 440_000, delivered: 2}
		pr.noteFailure(10 * s)
		if got, ok := pr.probeCap(600_000, 11*s); got != 352_000 || !ok {
			t.Errorf("probeCap = %d, %v; want 352000, true", got, ok)
		}
	})
	t.Run("an unread failure after a read one keeps the cap's clock", func(t *testing.T) {
		pr := prober{total: 440_000, delivered: 2}
		pr.noteFailure(10 * s)
		pr.total, pr.delivered = 300_000, 0
		pr.noteFailure(10*s + int64(failedRateMemory) - s)
		if got, _ := pr.probeCap(600_000, 10*s+int64(failedRateMemory)); got != 600_000 {
			t.Errorf("probeCap at failedRateMemory after the read failure = %d, want 600000 (forgotten)", got)
		}
	})
}

func TestRTXBudget(t *testing.T) {
	var b rtxBudget
	ms := int64(time.Millisecond)
	now := 10 * int64(time.Second)
	if !b.take(now, 100_000) {
		t.Fatal("before any allocation a retransmission was refused")
	}
	b.setRate(300_000, 220_000) // 80 kbit/s left: 2,500 bytes in 250 ms
	if !b.take(now, 1_200) || !b.take(now, 1_200) {
		t.Fatal("two copies within the burst refused")
	}
	if b.take(now, 1_200) {
		t.Error("a third copy at once went past 250 ms of 80 kbit/s")
	}
	if !b.take(now+130*ms, 1_200) { // +1,300 bytes
		t.Error("refilled at 80 kbit/s, a copy was refused")
	}
	b.setRate(100_000, 150_000) // the plan above the estimate: a tenth of it, 15 kbit/s
	later := now + int64(time.Second)
	if !b.take(later, 400) || !b.take(later, 1_100) || b.take(later, 1_200) {
		t.Error("over the estimate, the budget is not one full packet (1,500 bytes) at least")
	}
	// 250 ms of 15 kbit/s is 468 bytes, less than a video packet: such a
	// copy waits for the refill (1,200 bytes: 0.64 s) instead of never
	// going.
	if b.take(later+500*ms, 1_200) {
		t.Error("a 1,200-byte copy went 0.5 s after the budget was spent at 15 kbit/s")
	}
	if !b.take(later+1_200*ms, 1_200) {
		t.Error("a 1,200-byte copy refused 0.7 s after the last refusal at 15 kbit/s")
	}
}
