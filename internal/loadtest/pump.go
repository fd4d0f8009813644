package loadtest

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Layer is one simulcast encoding a synthetic hall sends.
type Layer struct {
	RID           string // "f", "h", "q"
	BitrateBps    int
	FPS           int
	Width, Height int
}

// ReferenceLayers are the reference scenario's three layers: about 1.5
// Mbit/s, 500 kbit/s, and a bottom layer of 100 kbit/s for commune lines
// (as the web client sends: web/static/js/rtc.js).
var ReferenceLayers = []Layer{
	{RID: "f", BitrateBps: 1_500_000, FPS: 30, Width: 1280, Height: 720},
	{RID: "h", BitrateBps: 500_000, FPS: 30, Width: 640, Height: 360},
	{RID: "q", BitrateBps: 100_000, FPS: 15, Width: 320, Height: 180},
}

// Tuning of the synthetic sources.
const (
	// mtu is the largest RTP payload sent; real encoders stay near 1200
	// bytes to leave room for SRTP and TURN overhead.
	mtu = 1200
	// keyFrameEvery is the periodic key frame interval; browsers send one
	// every few seconds at most without a PLI, so this is conservative.
	keyFrameEvery = 3 * time.Second
	// keyFrameScale is how much larger a key frame is than an inter frame.
	keyFrameScale = 4
	// opusBytes is a 20 ms Opus frame at about 24 kbit/s.
	opusBytes = 60
)

// SendCounters count what a pump sent.
type SendCounters struct {
	Packets atomic.Int64
	Bytes   atomic.Int64
	PLIs    atomic.Int64
}

// StreamIDs are the negotiated header extension IDs that tell a receiver
// which simulcast layer a packet belongs to. pion does not add them to
// packets it sends: a simulcast sender must (as browsers do).
type StreamIDs struct {
	Mid          string
	MidID, RIDID uint8
}

// NegotiatedStreamIDs reads the extension IDs from a sender after the
// offer/answer exchange.
func NegotiatedStreamIDs(sender *webrtc.RTPSender, mid string) StreamIDs {
	ids := StreamIDs{Mid: mid}
	for _, e := range sender.GetParameters().HeaderExtensions {
		switch e.URI {
		case sdp.SDESMidURI:
			ids.MidID = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			ids.RIDID = uint8(e.ID)
		}
	}
	return ids
}

// VideoPump sends one simulcast layer on track until ctx ends, answering
// PLI/FIR read from sender with a key frame.
func VideoPump(ctx context.Context, track *webrtc.TrackLocalStaticRTP, sender *webrtc.RTPSender, ids StreamIDs, l Layer, c *SendCounters) {
	var keyWanted atomic.Bool
	keyWanted.Store(true)
	if sender != nil {
		go readRTCP(ctx, sender, l.RID, &keyWanted, c)
	}
	midBytes, ridBytes := []byte(ids.Mid), []byte(l.RID)
	frameBytes := l.BitrateBps / 8 / l.FPS
	interval := time.Second / time.Duration(l.FPS)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var seq uint16
	var ts uint32
	lastKey := time.Time{}
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2}}
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			key := keyWanted.Swap(false) || now.Sub(lastKey) >= keyFrameEvery
			size := frameBytes
			if key {
				size *= keyFrameScale
				lastKey = now
			}
			payloads := VP8Frame(size, mtu, key, l.Width, l.Height, time.Now())
			for i, p := range payloads {
				pkt.SequenceNumber = seq
				pkt.Timestamp = ts
				pkt.Marker = i == len(payloads)-1
				pkt.Payload = p
				if ids.MidID != 0 {
					_ = pkt.Header.SetExtension(ids.MidID, midBytes)
				}
				if ids.RIDID != 0 && l.RID != "" {
					_ = pkt.Header.SetExtension(ids.RIDID, ridBytes)
				}
				seq++
				if err := track.WriteRTP(pkt); err != nil {
					return
				}
				c.Packets.Add(1)
				c.Bytes.Add(int64(len(p) + 12))
			}
			ts += uint32(90000 / l.FPS)
		}
	}
}

func readRTCP(ctx context.Context, sender *webrtc.RTPSender, rid string, keyWanted *atomic.Bool, c *SendCounters) {
	for ctx.Err() == nil {
		var pkts []rtcp.Packet
		var err error
		if rid == "" {
			pkts, _, err = sender.ReadRTCP()
		} else {
			pkts, _, err = sender.ReadSimulcastRTCP(rid)
		}
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				keyWanted.Store(true)
				c.PLIs.Add(1)
			}
		}
	}
}

// AudioPump sends Opus-sized packets every 20 ms on track until ctx ends.
func AudioPump(ctx context.Context, track *webrtc.TrackLocalStaticRTP, c *SendCounters) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var seq uint16
	var ts uint32
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: false}}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			pkt.SequenceNumber = seq
			pkt.Timestamp = ts
			pkt.Payload = OpusPayload(opusBytes, time.Now())
			seq++
			ts += 960 // 20 ms at 48 kHz
			if err := track.WriteRTP(pkt); err != nil {
				return
			}
			c.Packets.Add(1)
			c.Bytes.Add(int64(len(pkt.Payload) + 12))
		}
	}
}
