package sfuclient

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cau-gov/cau/sfu"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Publication is a published track: one stream, or one per simulcast
// layer. WriteRTP stamps the packets with the mid and rid extensions the
// SFU needs to tell layers apart.
type Publication struct {
	Source  sfu.Source
	TrackID string // the client's track ID, named in the offer
	Sender  *webrtc.RTPSender
	RIDs    []string // empty without simulcast
	// RED: the track is audio/red; its packets carry RED payloads.
	RED bool

	tracks []*webrtc.TrackLocalStaticRTP
	mid    string
	midID  uint8
	ridID  uint8
	levID  uint8

	// Per layer: paused, the SFU asked not to send it (a "layers"
	// message); resumed, it was asked for again and owes a key frame.
	paused  []atomic.Bool
	resumed []atomic.Bool
	wake    []chan struct{} // per layer, one slot: a resume happened

	keyMu  sync.Mutex
	keyReq []bool        // per layer: the SFU asked for a key frame
	plis   atomic.Uint64 // key frame requests received
	// lost is 1 + the fraction lost (×256) of the SFU's last receiver
	// report about the first stream; 0: none yet.
	lost atomic.Uint32
}

// PublishVideo publishes a video track; with rids (e.g. "q", "h", "f",
// lowest first) as simulcast layers.
func (c *Client) PublishVideo(ctx context.Context, src sfu.Source, mime string, rids ...string) (*Publication, error) {
	return c.publish(ctx, src, webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000}, rids)
}

// PublishAudio publishes an Opus track, as RED with Options.RED.
func (c *Client) PublishAudio(ctx context.Context) (*Publication, error) {
	return c.publish(ctx, sfu.SourceMicrophone, audioCodec(c.opts.RED), nil)
}

// redCodec is audio/red over Opus on 111, as Chromium offers it.
var redCodec = webrtc.RTPCodecCapability{MimeType: "audio/red", ClockRate: 48000, Channels: 2, SDPFmtpLine: "111/111"}

// audioCodec is what an audio publication sends.
func audioCodec(red bool) webrtc.RTPCodecCapability {
	if red {
		return redCodec
	}
	return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
}

func (c *Client) publish(ctx context.Context, src sfu.Source, codec webrtc.RTPCodecCapability, rids []string) (*Publication, error) {
	p, err := c.upPeer()
	if err != nil {
		return nil, err
	}
	pub, tr, err := addPublication(p.pc, src, codec, rids)
	if err != nil {
		return nil, err
	}
	if err := c.negotiateUp(ctx, map[string]sfu.Source{pub.TrackID: src}, false); err != nil {
		return nil, err
	}
	pub.start(tr)
	c.mu.Lock()
	c.pubs[src] = pub
	c.mu.Unlock()
	return pub, nil
}

// addPublication adds a send-only transceiver for a track (its simulcast
// layers as encodings) to pc; start it once negotiated.
func addPublication(pc *webrtc.PeerConnection, src sfu.Source, codec webrtc.RTPCodecCapability, rids []string) (*Publication, *webrtc.RTPTransceiver, error) {
	id := string(src)
	pub := &Publication{Source: src, TrackID: id, RIDs: rids, RED: codec.MimeType == redCodec.MimeType}
	layers := rids
	if len(layers) == 0 {
		layers = []string{""}
	}
	for _, rid := range layers {
		var opts []func(*webrtc.TrackLocalStaticRTP)
		if rid != "" {
			opts = append(opts, webrtc.WithRTPStreamID(rid))
		}
		t, err := webrtc.NewTrackLocalStaticRTP(codec, id, "cau", opts...)
		if err != nil {
			return nil, nil, err
		}
		pub.tracks = append(pub.tracks, t)
	}
	pub.keyReq = make([]bool, len(layers))
	pub.paused, pub.resumed = make([]atomic.Bool, len(layers)), make([]atomic.Bool, len(layers))
	pub.wake = make([]chan struct{}, len(layers))
	for i := range pub.wake {
		pub.wake[i] = make(chan struct{}, 1)
	}
	tr, err := pc.AddTransceiverFromTrack(pub.tracks[0], webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, nil, fmt.Errorf("add track: %w", err)
	}
	pub.Sender = tr.Sender()
	for _, t := range pub.tracks[1:] {
		if err := pub.Sender.AddEncoding(t); err != nil {
			return nil, nil, fmt.Errorf("add encoding %s: %w", t.RID(), err)
		}
	}
	return pub, tr, nil
}

// start reads the negotiated mid and extension IDs and starts reading the
// publisher's RTCP.
func (pub *Publication) start(tr *webrtc.RTPTransceiver) {
	layers := pub.RIDs
	if len(layers) == 0 {
		layers = []string{""}
	}
	pub.mid = tr.Mid()
	for _, e := range pub.Sender.GetParameters().HeaderExtensions {
		switch e.URI {
		case sdp.SDESMidURI:
			pub.midID = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			pub.ridID = uint8(e.ID)
		case sdp.AudioLevelURI:
			pub.levID = uint8(e.ID)
		}
	}
	for i, rid := range layers {
		go pub.readRTCP(i, rid)
	}
}

// readRTCP notes key frame requests for one layer.
func (pub *Publication) readRTCP(i int, rid string) {
	for {
		var pkts []rtcp.Packet
		var err error
		if rid != "" {
			pkts, _, err = pub.Sender.ReadSimulcastRTCP(rid)
		} else {
			pkts, _, err = pub.Sender.ReadRTCP()
		}
		if err != nil {
			return
		}
		for _, pk := range pkts {
			switch pk := pk.(type) {
			case *rtcp.ReceiverReport:
				for _, r := range pk.Reports {
					if i == 0 && len(pub.tracks) > 0 && r.SSRC == pub.ssrc() {
						pub.lost.Store(1 + uint32(r.FractionLost))
					}
				}
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				pub.plis.Add(1)
				pub.keyMu.Lock()
				pub.keyReq[i] = true
				pub.keyMu.Unlock()
			}
		}
	}
}

// KeyframeRequested reports and clears a pending key frame request of
// layer i.
func (pub *Publication) KeyframeRequested(i int) bool {
	pub.keyMu.Lock()
	defer pub.keyMu.Unlock()
	r := pub.keyReq[i]
	pub.keyReq[i] = false
	return r
}

// Active reports whether layer i is to be sent: the SFU has not paused it
// (nobody wants it). A sender skips the frames of a paused layer.
func (pub *Publication) Active(i int) bool { return !pub.paused[i].Load() }

// Wake receives after layer i is resumed, so a sender whose layer is
// paused can wait instead of waking for every frame it skips; a receive
// may be stale (check Active).
func (pub *Publication) Wake(i int) <-chan struct{} { return pub.wake[i] }

// Resumed reports and clears whether layer i was resumed since it was
// last asked: its next frame must be a key frame.
func (pub *Publication) Resumed(i int) bool { return pub.resumed[i].Swap(false) }

// setLayers applies a "layers" message: the layers whose quality active
// does not name are paused, the others sent; the lowest is always sent.
func (pub *Publication) setLayers(active []string) {
	for i := 1; i < len(pub.paused) && i < len(pub.RIDs); i++ {
		on := slices.Contains(active, ridQuality(pub.RIDs[i]))
		if was := pub.paused[i].Swap(!on); was && on {
			pub.resumed[i].Store(true)
			select {
			case pub.wake[i] <- struct{}{}:
			default:
			}
		}
	}
}

// ridQuality is the quality the SFU names a simulcast RID's layer by.
func ridQuality(rid string) string {
	switch strings.ToLower(rid) {
	case "q", "l", "low":
		return sfu.QualityLow.String()
	case "h", "m", "mid", "medium":
		return sfu.QualityMedium.String()
	}
	return sfu.QualityHigh.String()
}

// FractionLost is the fraction lost (×256) of the SFU's last receiver
// report about the publication (its first stream), false before one.
func (pub *Publication) FractionLost() (uint8, bool) {
	v := pub.lost.Load()
	return uint8(v - 1), v != 0
}

// ssrc is the first stream's SSRC.
func (pub *Publication) ssrc() uint32 {
	if encs := pub.Sender.GetParameters().Encodings; len(encs) > 0 {
		return uint32(encs[0].SSRC)
	}
	return 0
}

// PLIs is the number of key frame requests received.
func (pub *Publication) PLIs() uint64 { return pub.plis.Load() }

// Layers is the number of streams (1 without simulcast).
func (pub *Publication) Layers() int { return len(pub.tracks) }

// WriteRTP sends a packet on layer i, adding mid/rid (and, for audio, an
// audio level if level >= 0, in -dBov).
func (pub *Publication) WriteRTP(i int, pkt *rtp.Packet, level int) error {
	if pub.midID != 0 && pub.mid != "" {
		_ = pkt.Header.SetExtension(pub.midID, []byte(pub.mid))
	}
	if pub.ridID != 0 && len(pub.RIDs) > 0 {
		_ = pkt.Header.SetExtension(pub.ridID, []byte(pub.RIDs[i]))
	}
	if pub.levID != 0 && level >= 0 {
		_ = pkt.Header.SetExtension(pub.levID, []byte{0x80 | byte(level&0x7f)})
	}
	return pub.tracks[i].WriteRTP(pkt)
}

// PublishTrack publishes a track the caller writes itself (a relay
// carrying another node's tracks names each "<identity>/<source>").
func (c *Client) PublishTrack(ctx context.Context, t webrtc.TrackLocal, src sfu.Source) (*webrtc.RTPSender, error) {
	p, err := c.upPeer()
	if err != nil {
		return nil, err
	}
	tr, err := p.pc.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, fmt.Errorf("add track %s: %w", t.ID(), err)
	}
	if err := c.negotiateUp(ctx, map[string]sfu.Source{t.ID(): src}, false); err != nil {
		return nil, err
	}
	return tr.Sender(), nil
}

// UnpublishTrack stops sending a track published with PublishTrack and
// renegotiates: the server unpublishes it (its subscribers see
// track_unpublished).
func (c *Client) UnpublishTrack(ctx context.Context, s *webrtc.RTPSender) error {
	p, err := c.upPeer()
	if err != nil {
		return err
	}
	if err := p.pc.RemoveTrack(s); err != nil {
		return fmt.Errorf("remove track: %w", err)
	}
	return c.negotiateUp(ctx, map[string]sfu.Source{}, false)
}
