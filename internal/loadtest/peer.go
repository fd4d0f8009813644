package loadtest

import (
	"fmt"
	"net"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// NewLoopbackAPI returns a pion API whose ICE gathers only loopback host
// candidates over UDP4 and contacts no STUN server: the load tool sends
// traffic only to this machine.
func NewLoopbackAPI() (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, fmt.Errorf("register codecs: %w", err)
	}
	// Simulcast needs MID and RID header extensions on video; the SFU's
	// active-speaker detection reads the audio level extension.
	for _, uri := range []string{sdp.SDESMidURI, sdp.SDESRTPStreamIDURI, sdp.SDESRepairRTPStreamIDURI} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, fmt.Errorf("register %s: %w", uri, err)
		}
	}
	for _, uri := range []string{sdp.SDESMidURI, sdp.AudioLevelURI} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, fmt.Errorf("register %s: %w", uri, err)
		}
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, fmt.Errorf("register interceptors: %w", err)
	}
	s := webrtc.SettingEngine{}
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled) // no mDNS queries on the LAN
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(s)), nil
}

// HallTracks are a synthetic hall's outgoing tracks.
type HallTracks struct {
	Video   []*webrtc.TrackLocalStaticRTP // one per layer, in ReferenceLayers order
	Audio   *webrtc.TrackLocalStaticRTP
	VSender *webrtc.RTPSender
	ASender *webrtc.RTPSender
}

// AddHallTracks adds a simulcast VP8 track (one encoding per layer, by
// RID) and an Opus track to pc, as a browser publishing a camera and a
// microphone does.
func AddHallTracks(pc *webrtc.PeerConnection, streamID string, layers []Layer) (*HallTracks, error) {
	h := &HallTracks{}
	vp8 := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	for _, l := range layers {
		t, err := webrtc.NewTrackLocalStaticRTP(vp8, "camera", streamID, webrtc.WithRTPStreamID(l.RID))
		if err != nil {
			return nil, fmt.Errorf("video track %s: %w", l.RID, err)
		}
		h.Video = append(h.Video, t)
	}
	var err error
	if h.VSender, err = pc.AddTrack(h.Video[0]); err != nil {
		return nil, fmt.Errorf("add video: %w", err)
	}
	for _, t := range h.Video[1:] {
		if err := h.VSender.AddEncoding(t); err != nil {
			return nil, fmt.Errorf("add encoding %s: %w", t.RID(), err)
		}
	}
	opus := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
	if h.Audio, err = webrtc.NewTrackLocalStaticRTP(opus, "microphone", streamID); err != nil {
		return nil, fmt.Errorf("audio track: %w", err)
	}
	if h.ASender, err = pc.AddTrack(h.Audio); err != nil {
		return nil, fmt.Errorf("add audio: %w", err)
	}
	return h, nil
}
