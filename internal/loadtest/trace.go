package loadtest

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// traceEvery is how often Options.Trace gets each weak hall's line: the
// SFU allocates every 250 ms, so one line a hall per allocation.
const traceEvery = 250 * time.Millisecond

// traceLinks logs what each weak hall's line did in every traceEvery
// until ctx ends: packets and kbit/s delivered, queue drops, line losses, and the
// queue's wait at the end. Beside the SFU's debug log (allocations,
// probes, estimates) it shows what each decision did to the line.
func traceLinks(ctx context.Context, log *slog.Logger, halls []*hall, wg *sync.WaitGroup) {
	type seen struct {
		h    *hall
		last LinkStats
	}
	var weak []*seen
	for _, h := range halls {
		if h.link != nil {
			weak = append(weak, &seen{h: h, last: h.link.Stats()})
		}
	}
	if len(weak) == 0 {
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(traceEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			for _, w := range weak {
				st := w.h.link.Stats()
				log.Debug("line", "hall_id", w.h.id, "delivered", st.Passed-w.last.Passed,
					"kbps", (st.PassedBytes-w.last.PassedBytes)*8/traceEvery.Milliseconds(),
					"queue_drops", st.QueueDrops-w.last.QueueDrops,
					"line_losses", st.LineLosses-w.last.LineLosses,
					"queue_ms", st.Backlog.Milliseconds())
				w.last = st
			}
		}
	}()
}
