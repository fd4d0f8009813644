package loadtest

import (
	"testing"
	"time"
)

func TestSpread(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	s := spread(ds)
	if s.P50Ms != 50 || s.P95Ms != 95 || s.P99Ms != 99 || s.MaxMs != 100 {
		t.Fatalf("spread of 1…100 ms: %+v", s)
	}
	if (spread(nil) != Spread{}) {
		t.Fatal("spread of nothing is not zero")
	}
}

func TestStartBars(t *testing.T) {
	r := &StartReport{ServerIdleRSS: 90,
		SignIn:    StartPhase{Clients: 200, OK: 200, Spread: Spread{P99Ms: 4000}, ServerRSSOverIdle: 80},
		Join:      StartPhase{Clients: 200, OK: 200, Spread: Spread{P99Ms: 800}},
		Reconnect: StartPhase{Clients: 160, OK: 160, WallMs: 400},
		InCall:    &InCall{Ratio: 1.2}}
	for _, b := range r.Bars() {
		if !b.OK {
			t.Fatalf("bar %q failed on a passing run", b.Bar)
		}
	}
	r.SignIn.OK, r.InCall.Ratio = 199, 2.5
	failed := 0
	for _, b := range r.Bars() {
		if !b.OK {
			failed++
		}
	}
	if failed != 2 {
		t.Fatalf("%d bars failed, want 2 (one sign-in refused, delay ×2.5)", failed)
	}
}
