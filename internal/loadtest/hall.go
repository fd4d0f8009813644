package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/cau-gov/cau/internal/roomtoken"
	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// hall is one synthetic hall.
type hall struct {
	id        string
	index     int        // join order, from 0
	node      int        // index in Options.Nodes (0 on one node)
	link      *ShapedNet // the hall's downlink when it is weak, else nil
	wire      *WireNet   // else its timed sockets (wiretime.go)
	client    *sfuclient.Client
	video     *sfuclient.Publication
	audio     *sfuclient.Publication
	speak     atomic.Bool
	sent      SendCounters
	join      time.Duration
	floorAt   time.Time // subscribed to the floor
	joinStart time.Time // started joining (before the signaling socket)
	times     joinTimes // the join's steps (join.go)

	mu   sync.Mutex
	recv []*RecvStats
}

func (h *hall) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	s := NewRecvStats(tr.Kind())
	s.Track = tr.ID()
	s.Floor = tr.ID() == string(sfu.FloorTrack)
	if h.wire != nil {
		s.Wire, s.Sends = h.wire.Clock, h.wire.Sends
	}
	h.mu.Lock()
	h.recv = append(h.recv, s)
	h.mu.Unlock()
	s.Consume(tr)
}

func (h *hall) stats() []*RecvStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*RecvStats(nil), h.recv...)
}

// nackHistory is how many packets each of a hall's sent streams keeps
// for NACKs: 1.6 s of the 1.5 Mbit/s layer, more of the others, and at
// least the second Chromium keeps. pion's 1,024 held 1.5 MB of copies
// per stream, about 700 MB at 160 halls, a heap the generator grew into
// during the ramp (16,000 page faults a second, its RSS 1.3 GB).
const nackHistory = 256

// start joins, publishes and subscribes one hall.
func (h *hall) start(ctx context.Context, o Options, wsURL string, unmuted bool, wg *sync.WaitGroup) error {
	perms := []string{roomtoken.PermPublish, roomtoken.PermSubscribe}
	tok, err := o.Signer.Sign(roomtoken.Claims{Room: o.Room, Identity: h.id, Name: "Điểm cầu " + h.id, Kind: string(sfu.KindHall), Perms: perms}, time.Hour)
	if err != nil {
		return err
	}
	t0 := time.Now()
	h.joinStart, h.times.start = t0, t0
	jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	co := sfuclient.Options{URL: wsURL, Token: tok, OnTrack: h.onTrack, Logger: o.Logger, OnSend: h.times.onSend, NACKHistory: nackHistory}
	if h.link != nil {
		// pion gathers through the shaped Net; keep it on loopback, as
		// the client does by default without a Net of its own.
		co.Net, co.IPFilter = h.link, func(ip net.IP) bool { return ip.IsLoopback() }
	} else if h.wire != nil {
		co.Net, co.IPFilter = h.wire, func(ip net.IP) bool { return ip.IsLoopback() }
	}
	h.client, err = sfuclient.Dial(jctx, co)
	if err != nil {
		return fmt.Errorf("join: %w", err)
	}
	h.times.mark(&h.times.dialed, time.Now())
	if h.video, err = h.client.PublishVideo(jctx, sfu.SourceCamera, webrtc.MimeTypeVP8, "q", "h", "f"); err != nil {
		return fmt.Errorf("publish video: %w", err)
	}
	h.times.mark(&h.times.video, time.Now())
	if unmuted {
		if h.audio, err = h.client.PublishAudio(jctx); err != nil {
			return fmt.Errorf("publish audio: %w", err)
		}
	}
	h.floorAt = time.Now()
	h.join = h.floorAt.Sub(t0)
	h.times.mark(&h.times.done, h.floorAt)
	if err := h.client.Subscribe(sfu.FloorTrack, sfu.QualityHigh); err != nil {
		return fmt.Errorf("subscribe floor: %w", err)
	}
	for i, l := range ReferenceLayers2() {
		wg.Add(1)
		go func(i int, l Layer) {
			defer wg.Done()
			h.pumpVideo(ctx, i, l)
		}(i, l)
	}
	if h.audio != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.pumpAudio(ctx)
		}()
	}
	return nil
}

// pictureExpected is when the hall could first expect a floor picture,
// what a hall operator sees as "join to first frame": when it started
// joining if another hall held the floor then, else when a floor (another
// hall) first existed after that. Zero if it never had one.
func (h *hall) pictureExpected() time.Time {
	if h.floorAt.IsZero() {
		return time.Time{}
	}
	if f := h.client.Joined().Floor; f != "" && string(f) != h.id {
		return h.joinStart
	}
	for _, ev := range h.client.Events() {
		if ev.Type != "floor" {
			continue
		}
		var f sfu.FloorEvent
		if json.Unmarshal(ev.Data, &f) != nil || f.Identity == "" || string(f.Identity) == h.id {
			continue
		}
		if ev.At.After(h.joinStart) {
			return ev.At
		}
		return h.joinStart
	}
	return time.Time{}
}

// ReferenceLayers2 are ReferenceLayers lowest first, the order the
// simulcast publication's rids are given in.
func ReferenceLayers2() []Layer {
	out := append([]Layer(nil), ReferenceLayers...)
	sort.Slice(out, func(i, j int) bool { return out[i].BitrateBps < out[j].BitrateBps })
	return out
}

// timedSSRC is the SSRC pion sends h's publication pub's layer rid
// with, to name its packets in their stamps; 0 (name none) if h's
// sockets do not time what they send.
func (h *hall) timedSSRC(pub *sfuclient.Publication, rid string) uint32 {
	if h.wire == nil || h.wire.Sends == nil {
		return 0
	}
	for _, e := range pub.Sender.GetParameters().Encodings {
		if e.RID == rid {
			return uint32(e.SSRC)
		}
	}
	return 0
}

func (h *hall) pumpVideo(ctx context.Context, i int, l Layer) {
	ssrc := h.timedSSRC(h.video, l.RID)
	frameBytes := l.BitrateBps / 8 / l.FPS
	interval := time.Second / time.Duration(l.FPS)
	epoch := time.Now()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var seq uint16
	var ts uint32
	var lastKey time.Time
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2}}
	frame := uint32(90000 / l.FPS)
	for {
		var now time.Time
		select {
		case <-ctx.Done():
			return
		case now = <-tick.C:
		}
		if !h.video.Active(i) { // paused by the SFU: nobody wants it
			var ok bool
			if now, ok = h.waitResumed(ctx, i, interval, epoch, tick); !ok {
				return
			}
			// The RTP clock ran on while the layer was paused, as a
			// camera's capture time does.
			ts = max(ts, uint32(now.Sub(epoch)/interval)*frame)
		}
		pli := h.video.KeyframeRequested(i)
		key := h.video.Resumed(i) || pli || now.Sub(lastKey) >= keyFrameEvery
		size := frameBytes
		if key {
			size *= keyFrameScale
			lastKey = now
		}
		// The stamp names the frame's first packet as sent (pion keeps
		// the sequence number written and sets the layer's SSRC).
		payloads := VP8FrameStamped(size, mtu, key, l.Width, l.Height, Stamp{Sent: time.Now(), From: ssrc != 0, SSRC: ssrc, Seq: seq})
		for k, p := range payloads {
			pkt.Header = rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: k == len(payloads)-1}
			pkt.Payload = p
			seq++
			if err := h.video.WriteRTP(i, pkt, -1); err != nil {
				return
			}
			h.sent.Packets.Add(1)
			h.sent.Bytes.Add(int64(len(p)))
		}
		ts += frame
	}
}

// waitResumed waits while video layer i is paused, then until the next
// frame time on the ticker's phase (epoch + k×interval, as if it had
// ticked throughout: a resume waits as long as when the pump woke for
// every frame it skipped), and restarts tick from there; it returns that
// frame time, false when ctx ended. At 160 halls two layers of most halls
// are paused, and their pumps woke about 9,000 times a second to skip a
// frame.
func (h *hall) waitResumed(ctx context.Context, i int, interval time.Duration, epoch time.Time, tick *time.Ticker) (time.Time, bool) {
	tick.Stop()
	for !h.video.Active(i) {
		select {
		case <-ctx.Done():
			return time.Time{}, false
		case <-h.video.Wake(i):
		}
	}
	at := epoch.Add((time.Since(epoch)/interval + 1) * interval)
	next := time.NewTimer(time.Until(at))
	defer next.Stop()
	select {
	case <-ctx.Done():
		return time.Time{}, false
	case now := <-next.C:
		tick.Reset(interval)
		return now, true
	}
}

func (h *hall) pumpAudio(ctx context.Context) {
	ssrc := h.timedSSRC(h.audio, "")
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var seq uint16
	var ts uint32
	pkt := &rtp.Packet{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			level := 90 // quiet room
			if h.speak.Load() {
				level = 25 // someone speaking
			}
			pkt.Header = rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts}
			pkt.Payload = OpusPayloadStamped(opusBytes, Stamp{Sent: time.Now(), From: ssrc != 0, SSRC: ssrc, Seq: seq})
			seq++
			ts += 960
			if err := h.audio.WriteRTP(0, pkt, level); err != nil {
				return
			}
			h.sent.Packets.Add(1)
		}
	}
}

func dialConsole(ctx context.Context, o Options, wsURL string, halls []*hall) (*sfuclient.Client, error) {
	tok, err := o.Signer.Sign(roomtoken.Claims{Room: o.Room, Identity: "console-1", Name: "Bàn điều khiển tỉnh", Kind: string(sfu.KindConsole),
		Perms: []string{roomtoken.PermSubscribe, roomtoken.PermModerate}}, time.Hour)
	if err != nil {
		return nil, err
	}
	h := &hall{id: "console-1"}
	c, err := sfuclient.Dial(ctx, sfuclient.Options{URL: wsURL, Token: tok, OnTrack: h.onTrack, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	for _, x := range halls {
		if err := subscribeLow(ctx, c, sfu.TrackID(x.id+"/camera")); err != nil {
			return c, err
		}
	}
	return c, nil
}
