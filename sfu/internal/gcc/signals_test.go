package gcc

import (
	"testing"
	"time"
)

// TestSignalsAsGetStats (Cầu): Signals gives GetStats' figures, typed,
// after feedback that closed arrival groups and moved the rates.
func TestSignalsAsGetStats(t *testing.T) {
	sent, fbs := fanoutRounds(t, 30)
	e, err := NewSendSideBWE()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var acks []Acknowledgment
	t0 := time.Now()
	for r := range sent {
		acks = feedRound(t, e, acks, t0, sent[r], fbs[r])
		st, s := e.GetStats(), e.Signals()
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		for _, c := range []struct {
			name      string
			got, want any
		}{
			{"acknowledged", s.Acknowledged, st["acknowledged"]},
			{"receivedBitrate", s.ReceivedBitrate, st["receivedBitrate"]},
			{"sentBitrate", s.SentBitrate, st["sentBitrate"]},
			{"averageLoss", s.AverageLoss, st["averageLoss"]},
			{"delayTargetBitrate", s.DelayTargetBitrate, st["delayTargetBitrate"]},
			{"delayEstimate", ms(s.DelayEstimate), st["delayEstimate"]},
			{"delayThreshold", ms(s.DelayThreshold), st["delayThreshold"]},
			{"usage is overuse", s.Overuse, st["usage"] == "overuse"},
		} {
			if c.got != c.want {
				t.Fatalf("round %d: Signals' %s is %v, GetStats' %v", r, c.name, c.got, c.want)
			}
		}
		if r == len(sent)-1 && (s.Acknowledged == 0 || s.ReceivedBitrate == 0 || s.SentBitrate == 0 || s.DelayThreshold == 0) {
			t.Fatalf("after %d feedbacks the figures did not move: %+v", len(sent), s)
		}
	}
}
