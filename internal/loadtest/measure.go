package loadtest

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

func sentBytes(halls []*hall) int64 {
	var n int64
	for _, h := range halls {
		n += h.sent.Bytes.Load()
	}
	return n
}

type recvCount struct{ expected, received int64 }

func collect(halls []*hall) map[*RecvStats]recvCount {
	out := map[*RecvStats]recvCount{}
	for _, h := range halls {
		for _, s := range h.stats() {
			out[s] = recvCount{s.Expected.Load(), s.Packets.Load()}
		}
	}
	return out
}

// loss returns the overall and the worst subscription's loss in the window.
func loss(a, b map[*RecvStats]recvCount) (all, worst float64) {
	var exp, got int64
	for s, end := range b {
		start := a[s]
		e, g := end.expected-start.expected, end.received-start.received
		if e <= 0 {
			continue
		}
		exp += e
		got += g
		if l := float64(e-g) / float64(e); l > worst {
			worst = l
		}
	}
	if exp > 0 && got < exp {
		all = float64(exp-got) / float64(exp)
	}
	return all, worst
}

func machine() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s, %d cores, %s/%s, %s", host, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// meanEstimate is the mean downlink estimate (kbit/s) of halls in the last
// stats the console (a moderator) received.
func meanEstimate(console *sfuclient.Client, halls []*hall) float64 {
	evs := console.Events()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type != "stats" {
			continue
		}
		var st sfu.StatsEvent
		if json.Unmarshal(evs[i].Data, &st) != nil {
			return 0
		}
		by := make(map[sfu.ParticipantID]int, len(st.Participants))
		for _, p := range st.Participants {
			by[p.Identity] = p.EstimateOut
		}
		sum, n := 0, 0
		for _, h := range halls {
			if e, ok := by[sfu.ParticipantID(h.id)]; ok {
				sum, n = sum+e, n+1
			}
		}
		if n == 0 {
			return 0
		}
		return float64(sum) / float64(n) / 1000
	}
	return 0
}
