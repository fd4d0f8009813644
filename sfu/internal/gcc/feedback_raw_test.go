package gcc

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
)

// twinAdapters are two adapters with the same history: the packets
// from-to (exclusive) sent 1 ms apart, 1,200 bytes each, skipping those
// unsent says.
func twinAdapters(from, to uint16, unsent func(uint16) bool) (*FeedbackAdapter, *FeedbackAdapter) {
	a, b := NewFeedbackAdapter(), NewFeedbackAdapter()
	t0 := time.Unix(1000, 0)
	for s := from; s != to; s++ {
		if unsent != nil && unsent(s) {
			continue
		}
		at := t0.Add(time.Duration(s-from) * time.Millisecond)
		a.OnSentSeq(at, s, 1200)
		b.OnSentSeq(at, s, 1200)
	}
	return a, b
}

// viaPion is what the adapter makes of raw by pion's parse: rtcp.Unmarshal
// and OnTransportCCFeedback; ok false when either refuses it.
func viaPion(f *FeedbackAdapter, raw []byte) (acks []Acknowledgment, ok bool) {
	pkts, err := rtcp.Unmarshal(raw)
	if err != nil || len(pkts) != 1 {
		return nil, false
	}
	fb, isTCC := pkts[0].(*rtcp.TransportLayerCC)
	if !isTCC {
		return nil, false
	}
	acks, err = f.OnTransportCCFeedback(time.Time{}, fb)
	return acks, err == nil
}

// feedbackFor is a receiver's feedback (pion's twcc.Recorder, as pion
// players send it) on the packets from-to it was sent, with the arrival
// gaps arrive gives (µs; negative: not received).
func feedbackFor(t testing.TB, from, to uint16, arrive func(uint16) int64) [][]byte {
	t.Helper()
	r := twcc.NewRecorder(5)
	at := int64(1_000_000)
	for s := from; s != to; s++ {
		d := arrive(s)
		if d < 0 {
			continue
		}
		at += d
		r.Record(1, s, at)
	}
	var out [][]byte
	for _, p := range r.BuildFeedbackPacket() {
		raw, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

// TestTransportCCRawMatchesPion: the walker gives the acknowledgments
// pion's parse and OnTransportCCFeedback give, in the same order, for
// feedback with small and large deltas, reordering, runs of losses,
// status vectors, packets not in the history and sequence numbers across
// the wrap; and the reference time it keeps for the next feedback is the
// same.
func TestTransportCCRawMatchesPion(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name     string
		from, to uint16
		arrive   func(uint16) int64
		unsent   func(uint16) bool
	}{
		{"steady", 100, 120, func(uint16) int64 { return 5000 }, nil},
		{"one lost in three", 100, 160, func(s uint16) int64 {
			if s%3 == 0 {
				return -1
			}
			return 2500
		}, nil},
		{"large and negative deltas", 7, 60, func(s uint16) int64 {
			switch s % 4 {
			case 0:
				return 70_000
			case 1:
				return -1
			case 2:
				return -2000 // reordered
			}
			return 250
		}, nil},
		{"a run of losses", 0, 200, func(s uint16) int64 {
			if s > 20 && s < 180 {
				return -1
			}
			return 1000
		}, nil},
		{"across the wrap", 65500, 40, func(uint16) int64 { return int64(rng.IntN(20_000)) }, nil},
		{"random", 3000, 3300, func(uint16) int64 {
			if rng.IntN(10) == 0 {
				return -1
			}
			return int64(rng.IntN(100_000)) - 10_000
		}, func(s uint16) bool { return s%7 == 0 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pion, raw := twinAdapters(tc.from-10, tc.to+10, tc.unsent)
			fbs := feedbackFor(t, tc.from, tc.to, tc.arrive)
			if len(fbs) == 0 {
				t.Fatal("the recorder built no feedback")
			}
			var scratch []Acknowledgment
			for i, fb := range fbs {
				want, ok := viaPion(pion, fb)
				if !ok {
					t.Fatalf("feedback %d: pion's parse refused the recorder's own feedback", i)
				}
				got, err := raw.OnTransportCCRaw(scratch[:0], fb)
				if err != nil {
					t.Fatalf("feedback %d: %v", i, err)
				}
				if len(want) == 0 && len(got) == 0 {
					continue
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("feedback %d: walker %d acknowledgments, pion %d\nwalker %v\npion   %v", i, len(got), len(want), got, want)
				}
				scratch = got
			}
			if raw.referenceTime != pion.referenceTime || raw.acked != pion.acked {
				t.Fatalf("after the feedback: reference time %d, acknowledged %d; pion %d, %d",
					raw.referenceTime, raw.acked, pion.referenceTime, pion.acked)
			}
		})
	}
}

// TestTransportCCRawAllocatesNothing: with a slice big enough, reading
// feedback allocates nothing (pion's parse: 35 for 20 packets).
func TestTransportCCRawAllocatesNothing(t *testing.T) {
	f, _ := twinAdapters(0, 100, nil)
	fb := feedbackFor(t, 0, 100, func(s uint16) int64 {
		if s%5 == 1 { // the first and last arrive: the feedback covers all 100
			return -1
		}
		return 3000
	})[0]
	acks := make([]Acknowledgment, 0, 128)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		if acks, err = f.OnTransportCCRaw(acks[:0], fb); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("want 0 allocations per feedback, got %v", allocs)
	}
	if len(acks) != 100 {
		t.Fatalf("want an acknowledgment for each of the 100 packets sent, got %d", len(acks))
	}
}

// TestTransportCCRawRefusesTruncated: feedback whose deltas or chunks are
// cut off, or that is not transport-wide feedback, is refused and leaves
// the adapter as it was.
func TestTransportCCRawRefusesTruncated(t *testing.T) {
	f, _ := twinAdapters(0, 50, nil)
	fb := feedbackFor(t, 0, 50, func(uint16) int64 { return 3000 })[0]
	cut := append([]byte(nil), fb[:len(fb)-8]...)
	cut[2], cut[3] = 0, byte(len(cut)/4-1) // a consistent length, too few deltas
	nack := []byte{0x81, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 5, 0, 0}
	for name, b := range map[string][]byte{"deltas cut": cut, "header only": fb[:16], "a NACK": nack} {
		acks, err := f.OnTransportCCRaw(nil, b)
		if err == nil || len(acks) != 0 {
			t.Errorf("%s: got %d acknowledgments and error %v, want none and an error", name, len(acks), err)
		}
	}
	if f.referenceTimeInitialized || f.acked != 0 {
		t.Error("refused feedback changed the adapter")
	}
}

// FuzzTransportCCRaw: on any bytes the walker does not panic, and where
// pion's parse takes them it gives what pion's path gives.
func FuzzTransportCCRaw(f *testing.F) {
	for _, fb := range feedbackFor(f, 0, 300, func(s uint16) int64 {
		if s%9 == 0 {
			return -1
		}
		return int64(s%5) * 30_000
	}) {
		f.Add(fb)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pion, raw := twinAdapters(0, 400, nil)
		want, ok := viaPion(pion, b)
		got, err := raw.OnTransportCCRaw(nil, b)
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("pion's path read it, the walker refused it: %v", err)
		}
		if len(want) != len(got) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Fatalf("walker %v\npion   %v", got, want)
		}
	})
}

// TestTargetChangeInFeedbackGoroutine: GCC's target moves on feedback of
// a clean line, and each change reaches the callback before the feedback
// call returns, in order (pion started a goroutine per change). The
// controllers move with the wall clock, so the feedback comes 10 ms apart.
func TestTargetChangeInFeedbackGoroutine(t *testing.T) {
	bwe, err := NewSendSideBWE(SendSideBWEPacer(NewNoOpPacer()), SendSideBWEInitialBitrate(300_000))
	if err != nil {
		t.Fatal(err)
	}
	defer bwe.Close()
	var got []int
	bwe.OnTargetBitrateChange(func(rate int) { got = append(got, rate) }) // no lock: the same goroutine
	rec := twcc.NewRecorder(5)
	t0 := time.Now()
	var acks []Acknowledgment
	var seq uint16
	prev := bwe.GetTargetBitrate()
	for range 40 {
		for range 4 { // 4 packets sent and received 10 ms apart: each its own arrival group
			at := time.Duration(seq) * 10 * time.Millisecond
			bwe.RecordSent(t0.Add(at), seq, 1200)
			rec.Record(1, seq, (time.Second + at + 20*time.Millisecond).Microseconds())
			seq++
		}
		for _, p := range rec.BuildFeedbackPacket() {
			fb, err := p.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if acks, err = bwe.WriteTransportCC(acks, fb); err != nil {
				t.Fatal(err)
			}
			if target := bwe.GetTargetBitrate(); target != prev {
				if len(got) == 0 || got[len(got)-1] != target {
					t.Fatalf("the target moved %d → %d; the callback had %v when the feedback call returned", prev, target, got)
				}
				prev = target
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(got) == 0 {
		t.Fatal("the target never moved on 160 packets of feedback over 400 ms")
	}
}
