package gcc

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/pion/interceptor/pkg/twcc"
)

// Cầu: what a subscriber's transport-wide feedback costs the estimator
// in the SFU's fan-out (docs/performance.md, "Fan-out CPU, session 10"):
// one publisher's VP8 at 150 packets a second in frames of five (30 fps)
// and its Opus at 50, sent to the subscriber and acknowledged every
// 100 ms, as pion's players do, 20 ms later with a little jitter. Unlike
// evenly spaced packets, such feedback closes several arrival groups
// each time, so the whole delay-based chain runs (slope, overuse,
// rate controller, the target's callback).

// fanoutSent is one packet of the schedule: departure and arrival
// offsets from the start.
type fanoutSent struct {
	seq                uint16
	departure, arrival time.Duration
}

// fanoutRounds is rounds of 100 ms of the fan-out's packets to one
// subscriber, and each round's feedback datagram.
func fanoutRounds(t testing.TB, rounds int) ([][]fanoutSent, [][]byte) {
	t.Helper()
	rec := twcc.NewRecorder(1)
	sent := make([][]fanoutSent, rounds)
	fbs := make([][]byte, rounds)
	var seq uint16
	for r := range rounds {
		start := time.Duration(r) * 100 * time.Millisecond
		var round []fanoutSent
		add := func(dep time.Duration) {
			jitter := time.Duration((int(seq)*7919)%1000) * time.Microsecond // 0–1 ms
			round = append(round, fanoutSent{seq: seq, departure: dep, arrival: dep + 20*time.Millisecond + jitter})
			seq++
		}
		for ms := time.Duration(0); ms < 100*time.Millisecond; ms += time.Millisecond {
			at := start + ms
			if at%(100*time.Millisecond/3) < time.Millisecond { // a frame: five packets 0.1 ms apart
				for k := range 5 {
					add(at + time.Duration(k)*100*time.Microsecond)
				}
			}
			if at%(20*time.Millisecond) == 10*time.Millisecond { // audio
				add(at)
			}
		}
		for _, s := range round {
			rec.Record(1, s.seq, int64(s.arrival/time.Microsecond)+1_000_000)
		}
		pkts := rec.BuildFeedbackPacket()
		if len(pkts) != 1 {
			t.Fatalf("round %d: %d feedback packets, want 1", r, len(pkts))
		}
		raw, err := pkts[0].Marshal()
		if err != nil {
			t.Fatal(err)
		}
		sent[r], fbs[r] = round, raw
	}
	return sent, fbs
}

// feedRound records round r's packets as sent from t0 and gives the
// estimator its feedback.
func feedRound(t testing.TB, e *SendSideBWE, acks []Acknowledgment, t0 time.Time, sent []fanoutSent, fb []byte) []Acknowledgment {
	for _, s := range sent {
		e.RecordSent(t0.Add(s.departure), s.seq, 1200)
	}
	acks, err := e.WriteTransportCC(acks, fb)
	if err != nil {
		t.Fatal(err)
	}
	return acks
}

// TestWriteTransportCCAllocatesNothing: the fan-out's feedback, arrival
// groups and target changes included, allocates nothing once the
// estimator is warm. Pion's delay controller logged every arrival
// group's DelayStats at info: the argument's boxing was one allocation
// per group (about a hundred per subscriber a second), logged or not.
func TestWriteTransportCCAllocatesNothing(t *testing.T) {
	const warm, measured = 20, 50
	sent, fbs := fanoutRounds(t, warm+measured+1)
	e, err := NewSendSideBWE()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	changes := 0
	e.OnTargetBitrateChange(func(int) { changes++ })
	acks := make([]Acknowledgment, 0, 64)
	t0 := time.Now()
	for r := range warm {
		acks = feedRound(t, e, acks, t0, sent[r], fbs[r])
	}
	if len(acks) != len(sent[warm-1]) {
		t.Fatalf("the last warm-up feedback acknowledged %d packets, want %d", len(acks), len(sent[warm-1]))
	}
	r := warm
	allocs := testing.AllocsPerRun(measured, func() {
		acks = feedRound(t, e, acks, t0, sent[r], fbs[r])
		r++
	})
	if allocs != 0 {
		t.Fatalf("want 0 allocations per feedback, got %v", allocs)
	}
	if changes == 0 {
		t.Fatal("the target never changed: the feedback did not reach the rate controller")
	}
}

// BenchmarkWriteTransportCC is one subscriber's feedback in the fan-out,
// with the estimators of 1 or 160 subscribers taken in turn (as the SFU's
// read loop meets them: each one's state cold in the cache).
// cpu-ns/op is the process's CPU per feedback (on a shared machine the
// wall time per op is mostly the wait for a core).
func BenchmarkWriteTransportCC(b *testing.B) {
	for _, n := range []int{1, 160} {
		b.Run(fmt.Sprintf("estimators=%d", n), func(b *testing.B) {
			const rounds = 600
			sent, fbs := fanoutRounds(b, rounds)
			es := make([]*SendSideBWE, n)
			acks := make([]Acknowledgment, 0, 64)
			for i := range es {
				e, err := NewSendSideBWE()
				if err != nil {
					b.Fatal(err)
				}
				defer e.Close()
				es[i] = e
			}
			t0 := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			for i := range b.N {
				r := i / n % rounds
				if r == 0 && i%n == 0 && i > 0 { // the schedule starts again later
					t0 = t0.Add(rounds * 100 * time.Millisecond)
				}
				acks = feedRound(b, es[i%n], acks, t0, sent[r], fbs[r])
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU is the process's CPU time so far, in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
