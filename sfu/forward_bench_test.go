package sfu

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// countingWriter stands in for a subscriber's SRTP stream: it counts what
// it is given. Encryption and the socket are pion's cost in either design
// and are left out of the plain runs, so they compare the forwarding.
type countingWriter struct{ n *atomic.Int64 }

func (w *countingWriter) WriteRTP(*rtp.Header, []byte) (int, error) { w.n.Add(1); return 0, nil }
func (w *countingWriter) Write(b []byte) (int, error)               { w.n.Add(1); return len(b), nil }

// cryptWriter also encrypts the payload with AES-128-CTR, as SRTP does,
// into its own buffer: the per-subscriber work that dominates a real
// write, to show how the fan-out scales when each write costs something.
type cryptWriter struct {
	n      *atomic.Int64
	stream cipher.Stream
	buf    [1500]byte
}

func newCryptWriter(n *atomic.Int64) *cryptWriter {
	blk, _ := aes.NewCipher(make([]byte, 16))
	return &cryptWriter{n: n, stream: cipher.NewCTR(blk, make([]byte, 16))}
}

func (w *cryptWriter) WriteRTP(_ *rtp.Header, p []byte) (int, error) {
	w.stream.XORKeyStream(w.buf[:len(p)], p)
	w.n.Add(1)
	return len(p), nil
}

func (w *cryptWriter) Write(b []byte) (int, error) { return w.WriteRTP(nil, b) }

// benchPacket is a 1000-byte VP8 packet of the reference high layer.
func benchPacket(b testing.TB) []byte {
	p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 1, Timestamp: 90000, SSRC: 1234},
		Payload: make([]byte, 1000)}
	copy(p.Payload, []byte{0x80, 0x80, 0x81, 0x23, 0x11, 0x02, 0x00})
	_ = p.Header.SetExtension(4, []byte("h"))
	buf, err := p.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	return buf
}

// benchRoom is one publisher layer and n subscribers, each with its own
// writer goroutine, wired as in a room but without peer connections.
func benchRoom(b testing.TB, n int, crypt, queued bool) (*upLayer, *atomic.Int64, func()) {
	m, _ := newMetrics(nil)
	cfg := Config{QueuedWrites: queued}
	cfg.setDefaults()
	s := &SFU{cfg: cfg, metrics: m}
	owner := &Participant{s: s, id: "hall-pub"}
	t := &upTrack{id: "hall-pub/camera", owner: owner, kind: webrtc.RTPCodecTypeVideo,
		codec: webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}}}
	l := &upLayer{track: t, index: 2, cache: newPacketCache(videoCacheSize)}
	t.layers[2] = l
	count := &atomic.Int64{}
	var subs []*Participant
	for i := range n {
		sub := &Participant{s: s, id: ParticipantID(fmt.Sprintf("hall-%d", i)), writer: newWriter(nil)}
		sub.downReady.Store(true)
		sub.writer.direct.Store(true) // over UDP
		subs = append(subs, sub)
		d := newDownTrack(t.id, "hall-pub", t.kind, t.codec.RTPCodecCapability, sub)
		var w webrtc.TrackLocalWriter = &countingWriter{count}
		if crypt {
			w = newCryptWriter(count)
		}
		d.bound.Store(&binding{w: w, ssrc: uint32(1000 + i), pt: 96})
		d.src.Store(t)
		t.addSub(d)
		d.target.Store(l)
		d.cur.Store(l) // already switched: steady state
	}
	return l, count, func() {
		for _, s := range subs {
			s.writer.close()
		}
		l.cache.clear()
	}
}

// BenchmarkForward measures the SFU's path for one packet from a
// publisher to n subscribers: parse, cache, rewrite and write to each
// subscriber in the reader's pass (writes=pass), or queue to each
// subscriber's writer goroutine which rewrites and writes
// (writes=pass, the default; writes=queued is Config.QueuedWrites). ns/op and allocs/op are per
// published packet; ns/fwd, cpu-ns/fwd (every goroutine's CPU) and
// allocs/fwd per packet forwarded.
func BenchmarkForward(b *testing.B) {
	for _, queued := range []bool{false, true} {
		for _, crypt := range []bool{false, true} {
			for _, n := range []int{1, 10, 160} {
				name := fmt.Sprintf("writes=pass/srtp=%v/subscribers=%d", crypt, n)
				if queued {
					name = fmt.Sprintf("writes=queued/srtp=%v/subscribers=%d", crypt, n)
				}
				b.Run(name, func(b *testing.B) { benchForward(b, n, crypt, queued) })
			}
		}
	}
}

func benchForward(b *testing.B, n int, crypt, queued bool) {
	l, w, done := benchRoom(b, n, crypt, queued)
	defer done()
	raw := benchPacket(b)
	m := l.track.owner.s.metrics
	var seq uint16
	// batch stays within the writers' queues, so nothing is dropped.
	const batch = 512
	run := func(total int) {
		for left := total; left > 0; left -= batch {
			k := min(batch, left)
			before := w.Load()
			for range k {
				p := newPacket()
				p.n = copy(p.buf[:], raw)
				p.buf[2], p.buf[3] = byte(seq>>8), byte(seq)
				seq++
				l.ingest(p, m)
			}
			waitWritten(b, w.Load, before+int64(k*n))
		}
	}
	run(2048) // warm the pool and the queues
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := cpuTime()
	b.ResetTimer()
	run(b.N)
	b.StopTimer()
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/fwd")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu-ns/fwd")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N*n), "allocs/fwd")
}

// cpuTime is the process's CPU time (user + system), every goroutine's:
// on a shared machine wall time per operation says more about the other
// processes than about this one.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func waitWritten(b *testing.B, written func() int64, want int64) {
	deadline := time.Now().Add(10 * time.Second)
	// Yield, then sleep: a spinning waiter would take a core from the
	// writers on a small machine.
	for i := 0; written() < want; i++ {
		if time.Now().After(deadline) {
			b.Fatalf("written %d of %d: packets dropped", written(), want)
		}
		if i < 50 {
			runtime.Gosched()
		} else {
			time.Sleep(20 * time.Microsecond)
		}
	}
}

// benchContext binds a pion track to a counting writer.
type benchContext struct {
	w    webrtc.TrackLocalWriter
	ssrc webrtc.SSRC
}

func (c benchContext) CodecParameters() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}}
}
func (c benchContext) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter { return nil }
func (c benchContext) SSRC() webrtc.SSRC                                      { return c.ssrc }
func (c benchContext) SSRCRetransmission() webrtc.SSRC                        { return 0 }
func (c benchContext) SSRCForwardErrorCorrection() webrtc.SSRC                { return 0 }
func (c benchContext) WriteStream() webrtc.TrackLocalWriter                   { return c.w }
func (c benchContext) ID() string                                             { return fmt.Sprint(c.ssrc) }
func (c benchContext) RTCPReader() interceptor.RTCPReader                     { return nil }

// BenchmarkPionFanout is the baseline: pion's TrackLocalStaticRTP bound
// to n subscribers, fed the same raw packet (Write parses it and writes
// to every binding in turn, on the caller's goroutine).
func BenchmarkPionFanout(b *testing.B) {
	for _, crypt := range []bool{false, true} {
		for _, n := range []int{1, 10, 160} {
			b.Run(fmt.Sprintf("srtp=%v/subscribers=%d", crypt, n), func(b *testing.B) {
				tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "pion")
				if err != nil {
					b.Fatal(err)
				}
				count := &atomic.Int64{}
				for i := range n {
					var w webrtc.TrackLocalWriter = &countingWriter{count}
					if crypt {
						w = newCryptWriter(count)
					}
					if _, err := tr.Bind(benchContext{w: w, ssrc: webrtc.SSRC(1000 + i)}); err != nil {
						b.Fatal(err)
					}
				}
				raw := benchPacket(b)
				var ms0, ms1 runtime.MemStats
				runtime.ReadMemStats(&ms0)
				cpu0 := cpuTime()
				b.ResetTimer()
				for i := range b.N {
					raw[2], raw[3] = byte(i>>8), byte(i)
					if _, err := tr.Write(raw); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				cpu := cpuTime() - cpu0
				runtime.ReadMemStats(&ms1)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/fwd")
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu-ns/fwd")
				b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N*n), "allocs/fwd")
			})
		}
	}
}
