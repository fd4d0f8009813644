package sfu

import (
	"fmt"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// BenchmarkRecord forwards the floor (3-packet VP8 frames at the top
// layer, a key frame every 60) to n subscribers, each write encrypted as
// SRTP would be, with and without a recording attached: the recorder's
// down track, its queue, the jitter buffer, depacketizing and the WebM
// file on disk. cpu-ns/pkt is every goroutine's CPU per published packet;
// compare the two runs of one n for what recording adds.
func BenchmarkRecord(b *testing.B) {
	for _, n := range []int{10, 160} {
		for _, record := range []bool{false, true} {
			b.Run(fmt.Sprintf("subscribers=%d/record=%v", n, record), func(b *testing.B) { benchRecord(b, n, record) })
		}
	}
}

func benchRecord(b *testing.B, n int, record bool) {
	l, w, done := benchRoom(b, n, true, true)
	defer done()
	s := l.track.owner.s
	var rec *Recording
	if record {
		rec = benchRecording(b, s, l)
	}
	m := s.metrics
	frames := benchFrames(b)
	var seq uint16
	var ts uint32
	i := 0
	const batch = 510 // whole frames, within the writers' queues
	run := func(total int) {
		for left := total; left > 0; left -= batch {
			k := min(batch, left)
			before := w.Load()
			for range k {
				fr := frames[(i/3)%len(frames)]
				p := newPacket()
				p.n = copy(p.buf[:], fr[i%3])
				p.buf[2], p.buf[3] = byte(seq>>8), byte(seq)
				p.buf[4], p.buf[5], p.buf[6], p.buf[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
				seq++
				if i%3 == 2 {
					ts += 3000
				}
				i++
				l.ingest(p, m)
			}
			waitWritten(b, w.Load, before+int64(k*n))
			if rec != nil {
				for rec.p.writer.pending.Load() > 0 {
					runtime.Gosched()
				}
			}
		}
	}
	run(2040)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := cpuTime()
	b.ResetTimer()
	run(b.N)
	b.StopTimer()
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/pkt")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N), "allocs/pkt")
	if rec != nil {
		res, err := rec.rec.close()
		rec.p.writer.close()
		if err != nil {
			b.Fatalf("recording: %v", err)
		}
		if res.Stats.Packets < uint64(b.N) || res.Stats.Lost != 0 || res.Stats.Dropped != 0 {
			b.Fatalf("recorded %+v of %d packets", res.Stats, b.N)
		}
	}
}

// benchRecording attaches a recording to layer l the way StartRecording
// does, without a room.
func benchRecording(b *testing.B, s *SFU, l *upLayer) *Recording {
	rec := &Recording{s: s, dir: b.TempDir(), started: time.Now()}
	p := &Participant{s: s, id: "recorder", log: slog.New(slog.DiscardHandler), writer: newWriter(nil)}
	p.downReady.Store(true)
	rec.p = p
	rec.rec = newRecorder(rec)
	rec.video = newDownTrack(FloorTrack, "recording", webrtc.RTPCodecTypeVideo, webrtc.RTPCodecCapability{ClockRate: 90000}, p)
	rec.video.floor = true
	rec.video.bound.Store(&binding{w: videoSink{rec.rec}, ssrc: 1, pt: ptVP8, codecs: []boundCodec{{mime: webrtc.MimeTypeVP8, pt: ptVP8}}})
	rec.audio = newDownTrack(audioSlotID(0), "recording", webrtc.RTPCodecTypeAudio, opusCodec, p)
	rec.video.src.Store(l.track)
	l.track.addSub(rec.video)
	rec.video.target.Store(l)
	rec.video.cur.Store(l)
	return rec
}

// benchFrames are 60 frames of three 1000-byte VP8 packets each, the
// first a key frame (640×360).
func benchFrames(b *testing.B) [][3][]byte {
	out := make([][3][]byte, 60)
	for f := range out {
		for k := range 3 {
			payload := make([]byte, 1000)
			payload[0] = 0x80 // X
			if k == 0 {
				payload[0] |= 0x10 // S: a frame's start
			}
			payload[1], payload[2], payload[3] = 0x80, 0x80|byte(f>>8), byte(f) // I, 15-bit picture ID
			if k == 0 {
				if f == 0 {
					copy(payload[4:], []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01})
				} else {
					copy(payload[4:], []byte{0x11, 0x02, 0x00})
				}
			}
			p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SSRC: 1234, Marker: k == 2}, Payload: payload}
			_ = p.Header.SetExtension(4, []byte("h"))
			raw, err := p.Marshal()
			if err != nil {
				b.Fatal(err)
			}
			out[f][k] = raw
		}
	}
	return out
}
