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
//
// With the SFU's URL it also logs the NACKs the SFU received and answered
// in each traceEvery (all subscribers: the weak halls' are nearly all).
func traceLinks(ctx context.Context, log *slog.Logger, halls []*hall, sfuURL string, wg *sync.WaitGroup) {
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
		var last sfuCounters
		if sfuURL != "" {
			last, _ = scrapeSFU(ctx, sfuURL)
		}
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
			if sfuURL == "" {
				continue
			}
			if c, err := scrapeSFU(ctx, sfuURL); err == nil {
				log.Debug("nacks", "received", c.nacks-last.nacks, "answered", c.nacksAnswered-last.nacksAnswered)
				last = c
			}
		}
	}()
}
