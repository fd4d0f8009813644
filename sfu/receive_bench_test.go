package sfu_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// BenchmarkReceivePath is what publishers' packets cost the process, on
// the fast receive path (fastrecv.go) and on pion's (Config.PionReceive):
// 16 publishers on UDP loopback each send a 1,000-byte VP8 packet every
// millisecond (b.N ticks) into a room nobody subscribes to. cpu-µs/pkt is
// the process's CPU (user + system) per packet the SFU received; the
// publishers' pion is in it, the same on both paths, so the difference
// between the two is the receiving.
func BenchmarkReceivePath(b *testing.B) {
	for _, pion := range []bool{false, true} {
		name := "fast"
		if pion {
			name = "pion"
		}
		b.Run(fmt.Sprintf("path=%s", name), func(b *testing.B) { receivePath(b, sfu.Config{PionReceive: pion}) })
	}
}

func receivePath(b *testing.B, cfg sfu.Config) {
	const publishers = 16
	s := setup(b, cfg)
	var tracks []*webrtc.TrackLocalStaticRTP
	for i := range publishers {
		c := s.dial(b, "bench", fmt.Sprintf("hall-%d", i), sfuclient.Options{})
		tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "camera", "cau")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.PublishTrack(ctxT(b, 10*time.Second), tr, sfu.SourceCamera); err != nil {
			b.Fatal(err)
		}
		tracks = append(tracks, tr)
	}
	payload := make([]byte, 1000)
	payload[0] = 0x10
	var seq uint16
	send := func(ticks int) {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for range ticks {
			seq++
			for _, tr := range tracks {
				_ = tr.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 90, Marker: true}, Payload: payload})
			}
			<-tick.C
		}
		time.Sleep(100 * time.Millisecond) // what is in flight arrives
	}
	received := func() float64 { return gatherTB(b, s)["cau_sfu_packets_received_total"] }
	send(500) // every track published, bound and warm
	in0, cpu0 := received(), processCPU()
	b.ResetTimer()
	send(b.N)
	b.StopTimer()
	in, cpu := received()-in0, processCPU()-cpu0
	if in == 0 {
		b.Fatal("the SFU received nothing")
	}
	b.ReportMetric(float64(cpu.Microseconds())/in, "cpu-µs/pkt")
	b.ReportMetric(in/float64(b.N*publishers), "received/sent")
	b.ReportMetric(gatherTB(b, s)["cau_sfu_rtp_fast_receive_total"]/gatherTB(b, s)["cau_sfu_packets_received_total"], "fast/received")
}

// processCPU is the process's CPU time (user + system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// gatherTB sums each metric's series.
func gatherTB(tb testing.TB, b bundle) map[string]float64 {
	tb.Helper()
	fams, err := b.reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			if c := m.GetCounter(); c != nil {
				out[f.GetName()] += c.GetValue()
			}
		}
	}
	return out
}
