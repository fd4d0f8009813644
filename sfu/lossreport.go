package sfu

import (
	"slices"
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// Opus in-band FEC tuned for the loss the subscribers see. A browser's
// Opus encoder adds a low-bitrate copy of each frame to the next (in-band
// FEC, on since the SFU answers useinbandfec=1) in proportion to the loss
// it is told: the fraction lost of the receiver reports about its audio.
// Those reports come from the SFU, which alone sees nothing of a commune
// line's loss on the way down. So the fraction lost the SFU reports for
// an audio track is the larger of its own and the 90th percentile of
// what the track's subscribers report, capped (lossReportCap). Only that
// 8-bit field changes: the cumulative count, from which the browser's
// congestion controller computes its own loss, stays the SFU's.

// lossReportCap caps the loss told to a publisher: 20 %, Chromium's top
// step for Opus's expected loss; more would only spend more of the
// bitrate on the copies for the sake of the worst halls.
const lossReportCap = 51 // ×1/256

// audioReports maps the SSRCs of the audio published here to their
// tracks, for the receiver reports sent to publishers.
type audioReports struct {
	m sync.Map // uint32 → *upTrack
}

func (a *audioReports) add(ssrc uint32, t *upTrack) { a.m.Store(ssrc, t) }

func (a *audioReports) remove(ssrc uint32, t *upTrack) { a.m.CompareAndDelete(ssrc, t) }

// fractionLost is what to report for ssrc given the SFU measured own.
func (a *audioReports) fractionLost(ssrc uint32, own uint8) uint8 {
	v, ok := a.m.Load(ssrc)
	if !ok {
		return own
	}
	return max(own, v.(*upTrack).subscriberLoss())
}

// subscriberLoss is the 90th percentile of the fraction lost (×256) the
// track's subscribers last reported, at most lossReportCap.
func (t *upTrack) subscriberLoss() uint8 {
	subs := t.subs.Load()
	if subs == nil || len(*subs) == 0 {
		return 0
	}
	var store [64]uint8
	ls := store[:0]
	for _, d := range *subs {
		ls = append(ls, uint8(min(d.lossOut.Load(), 255)))
	}
	slices.Sort(ls)
	return min(ls[(9*len(ls)-1)/10], lossReportCap)
}

// lossReportFactory builds, for each up connection, the interceptor that
// rewrites the fraction lost of its outgoing receiver reports; it is
// registered before pion's report interceptor, so it wraps the writer
// that one writes to.
type lossReportFactory struct{ a *audioReports }

func (f lossReportFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &lossReport{a: f.a}, nil
}

type lossReport struct {
	interceptor.NoOp
	a *audioReports
}

func (l *lossReport) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	return interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, attrs interceptor.Attributes) (int, error) {
		for _, p := range pkts {
			if rr, ok := p.(*rtcp.ReceiverReport); ok {
				for i := range rr.Reports {
					r := &rr.Reports[i]
					r.FractionLost = l.a.fractionLost(r.SSRC, r.FractionLost)
				}
			}
		}
		return w.Write(pkts, attrs)
	})
}
