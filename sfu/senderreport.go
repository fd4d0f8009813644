package sfu

import (
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// reportInterval is how often each down track's sender report goes out
// (pion's sender-report interceptor's default): the receiver's lip sync
// maps RTP to wall-clock time by it, and its receiver reports echo it,
// which gives the round trip (noteReport).
const reportInterval = time.Second

// sendReports sends the sender reports of the participant's down tracks,
// all of them in one compound RTCP packet a second, until it leaves. On
// the fast path (fastsend.go) pion's sender-report interceptor does not
// see the packets, so the counts come from the down tracks themselves.
func (p *Participant) sendReports(pc *webrtc.PeerConnection) {
	t := time.NewTicker(reportInterval)
	defer t.Stop()
	var pkts []rtcp.Packet
	var downs []*downTrack
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-t.C:
		}
		p.mu.Lock()
		downs = downs[:0]
		for _, d := range p.downs {
			downs = append(downs, d)
		}
		p.mu.Unlock()
		pkts = pkts[:0]
		now := time.Now()
		for _, d := range downs {
			if sr := d.senderReport(now, nanotime()); sr != nil {
				pkts = append(pkts, sr)
			}
		}
		if len(pkts) > 0 {
			_ = pc.WriteRTCP(pkts) // a lost report is followed by the next
		}
	}
}

// senderReport is d's sender report at wall-clock time now (mono: the
// same instant by nanotime), nil if d has sent nothing yet. The RTP time
// is the last timestamp sent moved on by the time since, at the codec's
// clock rate.
func (d *downTrack) senderReport(now time.Time, mono int64) *rtcp.SenderReport {
	b := d.bound.Load()
	at := d.lastAt.Load()
	if b == nil || at == 0 {
		return nil
	}
	rate := int64(d.codec.ClockRate)
	if rate == 0 {
		rate = 90000
	}
	ts := d.lastTs.Load() + uint32((mono-at)*rate/int64(time.Second))
	return &rtcp.SenderReport{SSRC: b.ssrc, NTPTime: ntpTime(now), RTPTime: ts,
		PacketCount: uint32(d.packetsSent.Load()), OctetCount: uint32(d.octetsSent.Load())}
}

// ntpTime is t as a 64-bit NTP timestamp (seconds since 1900, 32.32).
func ntpTime(t time.Time) uint64 {
	secs := uint64(t.Unix()) + 2208988800
	frac := uint64(t.Nanosecond()) << 32 / 1_000_000_000
	return secs<<32 | frac
}
