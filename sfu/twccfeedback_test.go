package sfu

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// rtpFeed is a stream's reader below the interceptors: it returns the
// packets it is given, one per read.
type rtpFeed struct{ pkts [][]byte }

func (f *rtpFeed) Read(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
	n := copy(b, f.pkts[0])
	f.pkts = f.pkts[1:]
	return n, a, nil
}

// rtcpLog is a connection's RTCP writer that keeps what is written.
type rtcpLog struct {
	mu      sync.Mutex
	got     []rtcp.Packet
	written chan struct{} // one per write, if not full
}

func newRTCPLog() *rtcpLog { return &rtcpLog{written: make(chan struct{}, 64)} }

func (l *rtcpLog) Write(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
	l.mu.Lock()
	l.got = append(l.got, pkts...)
	l.mu.Unlock()
	select {
	case l.written <- struct{}{}:
	default:
	}
	return 0, nil
}

func (l *rtcpLog) take() []rtcp.Packet {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.got
	l.got = nil
	return out
}

func (l *rtcpLog) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case <-l.written:
	case <-time.After(5 * time.Second):
		t.Fatalf("no RTCP written: %s", what)
	}
}

type manualTicker struct{ c chan time.Time }

func (m *manualTicker) Ch() <-chan time.Time { return m.c }
func (m *manualTicker) Stop()                {}

// clock is a test's time, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

const twccTestExt = 5

// twccPacket is an RTP packet of ssrc carrying transport-wide sequence
// number seq.
func twccPacket(t *testing.T, ssrc uint32, seq uint16) []byte {
	t.Helper()
	ext, err := (&rtp.TransportCCExtension{TransportSequence: seq}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq ^ 0x5555, SSRC: ssrc}, Payload: make([]byte, 200)}
	if err := p.Header.SetExtension(twccTestExt, ext); err != nil {
		t.Fatal(err)
	}
	raw, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestTWCCFeedbackAsPion: twccFeedback's feedback is pion's
// SenderInterceptor's for the same packets at the same times (but for
// the random sender SSRC): loss, reordering, a gap in time, the 16-bit
// wrap, a packet without the extension, over three feedback intervals.
func TestTWCCFeedbackAsPion(t *testing.T) {
	const ssrc = 4321
	info := &interceptor.StreamInfo{SSRC: ssrc, RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: twccTestExt}}}
	start := time.Unix(1_700_000_000, 0)

	pionClock, ourClock := &clock{now: start}, &clock{now: start}
	tick := &manualTicker{c: make(chan time.Time)}
	f, err := twcc.NewSenderInterceptor(twcc.SendNow(pionClock.Now), twcc.SendTicker(func(time.Duration) twcc.Ticker { return tick }))
	if err != nil {
		t.Fatal(err)
	}
	pion, err := f.NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	defer pion.Close()
	pionOut := newRTCPLog()
	pion.BindRTCPWriter(pionOut)
	pionFeed := &rtpFeed{}
	pionRead := pion.BindRemoteStream(info, pionFeed)

	ours := newTWCCFeedback(time.Hour, ourClock.Now)
	defer ours.Close()
	ourOut := newRTCPLog()
	ours.BindRTCPWriter(ourOut)
	ourFeed := &rtpFeed{}
	ourRead := ours.BindRemoteStream(info, ourFeed)

	type arrival struct {
		seq   uint16
		after time.Duration
		bare  bool // no transport-wide extension
	}
	rounds := [][]arrival{
		{{100, 0, false}, {101, 2 * time.Millisecond, false}, {102, 250 * time.Microsecond, false}, {105, 3 * time.Millisecond, false},
			{104, time.Millisecond, false}, {106, 0, true}, {107, 20 * time.Millisecond, false}},
		{{108, 310 * time.Millisecond, false}, {110, 1 * time.Millisecond, false}, {109, 1 * time.Millisecond, false}, {111, 40 * time.Millisecond, false}},
		{{65534, 5 * time.Millisecond, false}, {65535, time.Millisecond, false}, {1, 2 * time.Millisecond, false}, {0, time.Millisecond, false}, {2, time.Millisecond, false}},
	}
	buf := make([]byte, maxDgram)
	for i, round := range rounds {
		for _, a := range round {
			pionClock.add(a.after)
			ourClock.add(a.after)
			raw := twccPacket(t, ssrc, a.seq)
			if a.bare {
				var p rtp.Packet
				if err := p.Unmarshal(raw); err != nil {
					t.Fatal(err)
				}
				p.Header.Extension, p.Header.Extensions = false, nil
				if raw, err = p.Marshal(); err != nil {
					t.Fatal(err)
				}
			}
			pionFeed.pkts = append(pionFeed.pkts, raw)
			ourFeed.pkts = append(ourFeed.pkts, raw)
			if _, _, err := pionRead.Read(buf, nil); err != nil {
				t.Fatal(err)
			}
			if _, _, err := ourRead.Read(buf, nil); err != nil {
				t.Fatal(err)
			}
		}
		tick.c <- time.Now() // pion's loop has recorded every packet it took
		pionOut.wait(t, "pion's feedback")
		ours.send(ourOut)
		want, got := pionOut.take(), ourOut.take()
		for _, ps := range [][]rtcp.Packet{want, got} {
			for _, p := range ps {
				p.(*rtcp.TransportLayerCC).SenderSSRC = 0
			}
		}
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("round %d: feedback\n%v\nwant pion's\n%v", i, got, want)
		}
	}
}
