package sfu

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/cau-gov/cau/sfu/internal/gcc"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"
)

// fastWire is a binding's writer on the fast path as a down connection
// wires it: GCC's pacer (sendPacer), GCC's sent record when gcc, the tail
// (fastTail: SRTP with the subscriber's context, into the socket batch).
type fastWire struct {
	pacer *sendPacer
	n     *atomic.Int64
}

func (w *fastWire) WriteRTP(h *rtp.Header, p []byte) (int, error) {
	k, err := w.pacer.Write(h, p, nil)
	w.n.Add(1)
	return k, err
}

func (w *fastWire) Write([]byte) (int, error) { panic("unused") }

// wireRoom is benchRoom with every subscriber on the fast path: its own
// SRTP context, the transport-wide sequence number written, GCC's sent
// record (gcc), and one real UDP socket whose sendmmsg batches carry the
// fan-out to a sink on loopback nobody reads (the kernel's send path is
// paid in full; the datagrams are dropped at the sink's full buffer).
func wireRoom(b *testing.B, n int, queued, withGCC bool, profile srtp.ProtectionProfile) (*upLayer, func() int64, func()) {
	sc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	media := []*batchConn{newBatchConn(sc, false)}
	m, _ := newMetrics(nil)
	cfg := Config{QueuedWrites: queued}
	cfg.setDefaults()
	s := &SFU{cfg: cfg, metrics: m, media: media}
	owner := &Participant{s: s, id: "hall-pub"}
	t := &upTrack{id: "hall-pub/camera", owner: owner, kind: webrtc.RTPCodecTypeVideo,
		codec: webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}}}
	l := &upLayer{track: t, index: 2, cache: newPacketCache(videoCacheSize)}
	t.layers[2] = l
	count := &atomic.Int64{} // what went through pion's interceptors
	var subs []*Participant
	var fasts []*fastSender
	var bwes []*gcc.SendSideBWE
	for i := range n {
		sub := &Participant{s: s, id: ParticipantID(fmt.Sprintf("hall-%d", i)), writer: newWriter(s.sendMedia())}
		sub.downReady.Store(true)
		sub.writer.direct.Store(true)
		f := newFastSender(media)
		keyLen, err := profile.KeyLen()
		if err != nil {
			b.Fatal(err)
		}
		saltLen, err := profile.SaltLen()
		if err != nil {
			b.Fatal(err)
		}
		key, salt := make([]byte, keyLen), make([]byte, saltLen)
		_, _ = rand.Read(key)
		_, _ = rand.Read(salt)
		ctx, err := srtp.CreateContext(key, salt, profile)
		if err != nil {
			b.Fatal(err)
		}
		seal, _ := newSRTPSealer(profile, key, salt) // nil for AES-CM: pion's context encrypts
		f.start(ctx, seal)
		f.mu.Lock()
		f.conn, f.to = media[0], sink.LocalAddr().(*net.UDPAddr).AddrPort()
		f.mu.Unlock()
		sub.writer.fast = f
		subs = append(subs, sub)
		fasts = append(fasts, f)
		ssrc := uint32(1000 + i)
		pacer := newSendPacer()
		tail := (&fastTail{f: f}).BindLocalStream(nil, nil)
		if withGCC {
			bwe, err := gcc.NewSendSideBWE(gcc.SendSideBWEPacer(pacer))
			if err != nil {
				b.Fatal(err)
			}
			bwes = append(bwes, bwe)
			f.estimator(bwe)
			bwe.AddStream(&interceptor.StreamInfo{SSRC: ssrc, RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: 3}}}, tail)
		} else {
			pacer.AddStream(ssrc, tail)
		}
		d := newDownTrack(t.id, "hall-pub", t.kind, t.codec.RTPCodecCapability, sub)
		d.bound.Store(&binding{w: &fastWire{pacer: pacer, n: count}, ssrc: ssrc, pt: 96, twcc: 3})
		d.src.Store(t)
		t.addSub(d)
		d.target.Store(l)
		d.cur.Store(l)
	}
	// Packets written: past the interceptors (fastSender.send) or
	// through them.
	written := func() int64 {
		k := count.Load()
		for _, f := range fasts {
			k += int64(f.fast.Load())
		}
		return k
	}
	return l, written, func() {
		for _, s := range subs {
			s.writer.close()
		}
		l.cache.clear()
		for _, e := range bwes {
			_ = e.Close()
		}
		_ = sc.Close()
		_ = sink.Close()
	}
}

// BenchmarkFastWrite is BenchmarkForward on the fast write path, real
// SRTP and a real socket: what one forwarded packet costs the SFU's own
// code, GCC's record (gcc=true) and the kernel's send path. Under
// valgrind --tool=callgrind its instruction count per forward is the
// user-space part. srtp=gcm is AEAD_AES_256_GCM, what pion peers (the
// bench's players) and browsers negotiate with the SFU; srtp=cm is
// AES128_CM_HMAC_SHA1_80, for a peer without GCM (pion encrypts it block
// by block and authenticates with HMAC-SHA1: several times GCM's cost).
func BenchmarkFastWrite(b *testing.B) {
	profiles := []struct {
		name    string
		profile srtp.ProtectionProfile
	}{{"cm", srtp.ProtectionProfileAes128CmHmacSha1_80}, {"gcm", srtp.ProtectionProfileAeadAes256Gcm}}
	for _, queued := range []bool{false, true} {
		for _, withGCC := range []bool{false, true} {
			for _, n := range []int{10, 160} {
				for _, pr := range profiles {
					mode := "pass"
					if queued {
						mode = "queued"
					}
					b.Run(fmt.Sprintf("writes=%s/gcc=%v/subscribers=%d/srtp=%s", mode, withGCC, n, pr.name), func(b *testing.B) {
						l, w, done := wireRoom(b, n, queued, withGCC, pr.profile)
						defer done()
						benchIngest(b, l, w, n)
					})
				}
			}
		}
	}
}

// BenchmarkFastWriteSocket is BenchmarkFastWrite's default (writer
// goroutines, GCC, GCM, 160 subscribers) with the batches sent on the
// media socket, which Go's poller watches (socket=poller), or on the send
// socket beside it (socket=send, the SFU's on Linux, sendsock_linux.go):
// what the poller's wake-ups for writability cost.
func BenchmarkFastWriteSocket(b *testing.B) {
	for _, send := range []bool{false, true} {
		name := "poller"
		if send {
			name = "send"
		}
		b.Run("socket="+name, func(b *testing.B) {
			l, w, done := wireRoom(b, 160, true, true, srtp.ProtectionProfileAeadAes256Gcm)
			defer done()
			if send {
				media := l.track.owner.s.media[0]
				ss, err := newSendSocket(media.UDPConn, 4<<20)
				if err != nil {
					b.Skip(err)
				}
				defer ss.Close()
				media.out.mu.Lock()
				media.out.w = ss
				media.out.mu.Unlock()
			}
			benchIngest(b, l, w, 160)
		})
	}
}

// benchIngest feeds b.N packets to l and reports per forward; written
// counts the packets written to the subscribers.
func benchIngest(b *testing.B, l *upLayer, written func() int64, n int) {
	raw := benchPacket(b)
	m := l.track.owner.s.metrics
	var seq uint16
	const batch = 512
	run := func(total int) {
		for left := total; left > 0; left -= batch {
			k := min(batch, left)
			before := written()
			for range k {
				p := newPacket()
				p.n = copy(p.buf[:], raw)
				p.buf[2], p.buf[3] = byte(seq>>8), byte(seq)
				seq++
				l.ingest(p, m)
			}
			waitWritten(b, written, before+int64(k*n))
		}
	}
	run(2048)
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

// BenchmarkPionSRTPWrite is the lower bound of pion's write path for the
// same fan-out: one pion SRTP session per subscriber, each on its own
// connected UDP socket to the sink, written in turn (what pion's
// TrackLocalStaticRTP does below the interceptors, without the ICE
// connection and the UDP mux, which add to it).
func BenchmarkPionSRTPWrite(b *testing.B) {
	for _, n := range []int{10, 160} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			defer sink.Close()
			var streams []*srtp.WriteStreamSRTP
			for range n {
				c, err := net.DialUDP("udp4", nil, sink.LocalAddr().(*net.UDPAddr))
				if err != nil {
					b.Fatal(err)
				}
				key, salt := make([]byte, 16), make([]byte, 14)
				_, _ = rand.Read(key)
				_, _ = rand.Read(salt)
				s, err := srtp.NewSessionSRTP(c, &srtp.Config{Profile: srtp.ProtectionProfileAes128CmHmacSha1_80,
					Keys:          srtp.SessionKeys{LocalMasterKey: key, LocalMasterSalt: salt, RemoteMasterKey: key, RemoteMasterSalt: salt},
					LoggerFactory: pionLogs{slog.New(slog.DiscardHandler)}}) // its read loop's error at Close
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				w, err := s.OpenWriteStream()
				if err != nil {
					b.Fatal(err)
				}
				streams = append(streams, w)
			}
			var p rtp.Packet
			if err := p.Unmarshal(benchPacket(b)); err != nil {
				b.Fatal(err)
			}
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := range b.N {
				p.SequenceNumber = uint16(i)
				for j, w := range streams {
					p.SSRC = uint32(1000 + j)
					if _, err := w.WriteRTP(&p.Header, p.Payload); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			runtime.ReadMemStats(&ms1)
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu-ns/fwd")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N*n), "allocs/fwd")
		})
	}
}
