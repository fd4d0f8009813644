package sfu

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// twccFeedback sends an up connection's transport-wide congestion control
// feedback to the publisher, whose own estimator needs it to see its
// uplink. It is pion's SenderInterceptor (interceptor/pkg/twcc) with the
// same recorder, interval and arrival clock, but the recorder is under a
// mutex: pion's reader hands every packet to its sending goroutine over
// an unbuffered channel, a goroutine switch per packet received, which
// the fast receive path (fastrecv.go) would pay on the media socket's read
// loop. One recorder per connection, fed by both paths: two would each
// report the other's packets as lost.
type twccFeedback struct {
	interceptor.NoOp
	interval time.Duration
	now      func() time.Time
	start    time.Time // arrival times are µs since

	mu  sync.Mutex
	rec *twcc.Recorder // nil until the RTCP writer is bound

	done chan struct{}
	wg   sync.WaitGroup
}

// twccInterval is pion's SenderInterceptor's.
const twccInterval = 100 * time.Millisecond

type twccFeedbackFactory struct{ interval time.Duration }

func (f twccFeedbackFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	iv := f.interval
	if iv == 0 {
		iv = twccInterval
	}
	return newTWCCFeedback(iv, time.Now), nil
}

func newTWCCFeedback(interval time.Duration, now func() time.Time) *twccFeedback {
	return &twccFeedback{interval: interval, now: now, start: now(), done: make(chan struct{})}
}

// configureTWCCFeedback is webrtc.ConfigureTWCCSender with twccFeedback.
func configureTWCCFeedback(m *webrtc.MediaEngine, ir *interceptor.Registry) error {
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		m.RegisterFeedback(webrtc.RTCPFeedback{Type: webrtc.TypeRTCPFBTransportCC}, k)
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, k); err != nil {
			return err
		}
	}
	ir.Add(twccFeedbackFactory{})
	return nil
}

// BindRTCPWriter starts sending feedback through w, once per connection.
func (t *twccFeedback) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	t.mu.Lock()
	defer t.mu.Unlock()
	select {
	case <-t.done:
		return w
	default:
	}
	if t.rec == nil {
		t.rec = twcc.NewRecorder(rand.Uint32())
		t.wg.Add(1)
		go t.loop(w)
	}
	return w
}

// BindRemoteStream records the arrival of each packet that carries a
// transport-wide sequence number.
func (t *twccFeedback) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	var id uint8
	for _, e := range info.RTPHeaderExtensions {
		if e.URI == sdp.TransportCCURI {
			id = uint8(e.ID)
			break
		}
	}
	if id == 0 {
		return reader
	}
	ssrc := info.SSRC
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := reader.Read(b, a)
		if err != nil {
			return 0, nil, err
		}
		if attr == nil {
			attr = make(interceptor.Attributes)
		}
		h, err := attr.GetRTPHeader(b[:n])
		if err != nil {
			return 0, nil, err
		}
		t.record(ssrc, h, id, t.now())
		return n, attr, nil
	})
}

// record notes h's arrival at now; a packet without the extension (or
// with a broken one) is not reported.
func (t *twccFeedback) record(ssrc uint32, h *rtp.Header, id uint8, now time.Time) {
	ext := h.GetExtension(id)
	if ext == nil {
		return
	}
	var tcc rtp.TransportCCExtension
	if tcc.Unmarshal(ext) != nil {
		return
	}
	arrival := now.Sub(t.start).Microseconds()
	t.mu.Lock()
	if t.rec != nil {
		t.rec.Record(ssrc, tcc.TransportSequence, arrival)
	}
	t.mu.Unlock()
}

func (t *twccFeedback) loop(w interceptor.RTCPWriter) {
	defer t.wg.Done()
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	for {
		select {
		case <-t.done:
			return
		case <-tick.C:
			t.send(w)
		}
	}
}

// send writes the feedback on what arrived since the last.
func (t *twccFeedback) send(w interceptor.RTCPWriter) {
	t.mu.Lock()
	pkts := t.rec.BuildFeedbackPacket()
	t.mu.Unlock()
	if len(pkts) > 0 {
		_, _ = w.Write(pkts, nil) // lost feedback is lost, as any RTCP
	}
}

// Close stops the feedback.
func (t *twccFeedback) Close() error {
	t.mu.Lock()
	select {
	case <-t.done:
	default:
		close(t.done)
	}
	t.mu.Unlock()
	t.wg.Wait()
	return nil
}
