package sfu

import (
	"fmt"

	"github.com/cau-gov/cau/sfu/internal/gcc"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Payload types offered; browsers map their own in the answer.
const (
	ptOpus = 111
	ptRED  = 63 // Chromium's number for audio/red
	ptVP8  = 96
	ptH264 = 102
)

// mimeRED is redundant audio (RFC 2198), as Chromium offers it for Opus.
const mimeRED = "audio/red"

var videoFeedback = []webrtc.RTCPFeedback{
	{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "transport-cc"},
}

// Opus gets NACK too: browsers ignore it, but Cầu's own clients (and the
// hall kiosk) recover lost audio on lossy commune links with it.
var audioFeedback = []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "transport-cc"}}

// newMediaEngine registers the codecs Cầu carries: Opus with in-band FEC
// (a lost packet is partly rebuilt from the next one) and RED over it
// (each packet carries copies of the frames before it, red.go), VP8 and
// H.264 (hardware encoders and old hall PCs), and the header extensions
// for simulcast and audio levels.
func newMediaEngine() (*webrtc.MediaEngine, error) {
	m := &webrtc.MediaEngine{}
	codecs := []struct {
		p webrtc.RTPCodecParameters
		k webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1", RTCPFeedback: audioFeedback}, PayloadType: ptOpus}, webrtc.RTPCodecTypeAudio},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeRED, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "111/111"}, PayloadType: ptRED}, webrtc.RTPCodecTypeAudio},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
			RTCPFeedback: videoFeedback}, PayloadType: ptVP8}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", RTCPFeedback: videoFeedback}, PayloadType: ptH264}, webrtc.RTPCodecTypeVideo},
	}
	for _, c := range codecs {
		if err := m.RegisterCodec(c.p, c.k); err != nil {
			return nil, fmt.Errorf("register %s: %w", c.p.MimeType, err)
		}
	}
	for _, uri := range []string{sdp.SDESMidURI, sdp.SDESRTPStreamIDURI, sdp.SDESRepairRTPStreamIDURI} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, err
		}
	}
	for _, uri := range []string{sdp.SDESMidURI, sdp.AudioLevelURI} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// newUpAPI builds the API for publishing connections: NACKs for lost
// packets, receiver reports (telling audio publishers their subscribers'
// loss, lossreport.go), and transport-wide feedback so the publisher's
// own estimator sees its uplink.
//
// With rx (fastrecv.go), one connection's: the chain has rx's ends
// around it (recvSource innermost, recvTap outermost), so packets the
// fast path decrypts are read through the same interceptors, and the
// feedback is twccFeedback, whose recorder takes a packet without a
// goroutine switch. Without it (Config.PionReceive, relays), pion's
// chain as before the fast path.
func newUpAPI(se webrtc.SettingEngine, audio *audioReports, rx *upReceiver) (*webrtc.API, error) {
	m, err := newMediaEngine()
	if err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if rx != nil {
		ir.Add(recvSourceFactory{}) // innermost: registered first
	}
	ir.Add(lossReportFactory{audio}) // before the reports: it wraps their writer
	gen, err := nack.NewGeneratorInterceptor()
	if err != nil {
		return nil, err
	}
	ir.Add(gen)
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, err
	}
	if rx != nil {
		if err := configureTWCCFeedback(m, ir); err != nil {
			return nil, err
		}
		ir.Add(recvTapFactory{rx}) // outermost
	} else if err := webrtc.ConfigureTWCCSender(m, ir); err != nil {
		return nil, err
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// newDownAPI builds a subscriber connection's API with its own send-side
// bandwidth estimator (Google congestion control over transport-wide
// feedback: pion's, with a send-side history that costs nothing per packet,
// internal/gcc). NACKs from the subscriber are answered by the SFU from the
// publisher's packet cache, not by pion's per-stream responder, so there
// is no second copy of every packet per subscriber. No pacer: packets
// leave as they come, the allocator keeps the rate under the estimate.
//
// With fast set (fastsend.go) the chain is GCC over fast's tail: the down
// tracks write the transport-wide sequence number themselves and the SFU
// sends the sender reports (senderreport.go). Without it (Config.PionWrites)
// pion's interceptors do both, as before the fast path, and send through
// pion's SRTP session.
func newDownAPI(se webrtc.SettingEngine, initial, max int, fast *fastSender) (*webrtc.API, func() cc.BandwidthEstimator, error) {
	m, err := newMediaEngine()
	if err != nil {
		return nil, nil, err
	}
	ir := &interceptor.Registry{}
	if fast != nil {
		ir.Add(fastTailFactory{fast}) // innermost: registered first
		for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
			if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, k); err != nil {
				return nil, nil, err
			}
		}
	} else if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, nil, err
	}
	var est cc.BandwidthEstimator
	ccI, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		return gcc.NewSendSideBWE(gcc.SendSideBWEInitialBitrate(initial), gcc.SendSideBWEMaxBitrate(max),
			gcc.SendSideBWEMinBitrate(50_000), gcc.SendSideBWEPacer(newSendPacer()))
	})
	if err != nil {
		return nil, nil, err
	}
	// Called while NewPeerConnection builds the interceptors, before it returns.
	ccI.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) { est = e })
	ir.Add(ccI)
	if fast == nil {
		if err := webrtc.ConfigureTWCCHeaderExtensionSender(m, ir); err != nil {
			return nil, nil, err
		}
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	return api, func() cc.BandwidthEstimator { return est }, nil
}
