package loadtest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// PionFanout is the fan-out scenario's baseline: the plainest SFU pion
// makes, serving WHIP and WHEP on loopback. The publisher's video and
// audio are read on one goroutine each and written to a
// TrackLocalStaticRTP per kind, which writes to every player in turn
// through pion's default interceptors (NACK, reports, stats), SRTP and
// one shared UDP socket (an ICE UDP mux, as Cầu's SFU uses). No simulcast,
// no bandwidth estimation, no isolation of a slow player: what pion does
// out of the box, to compare Cầu's forwarding against in the same run.
type PionFanout struct {
	api   *webrtc.API
	mux   ice.UDPMux
	log   *slog.Logger
	video *webrtc.TrackLocalStaticRTP
	audio *webrtc.TrackLocalStaticRTP

	mu       sync.Mutex
	sessions map[string]*webrtc.PeerConnection
}

// NewPionFanout listens for media on udpAddr (a loopback address).
func NewPionFanout(udpAddr string, log *slog.Logger) (*PionFanout, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	addr, err := net.ResolveUDPAddr("udp4", udpAddr)
	if err != nil {
		return nil, fmt.Errorf("pion fan-out: %w", err)
	}
	if !addr.IP.IsLoopback() {
		return nil, fmt.Errorf("pion fan-out: %s is not a loopback address", udpAddr)
	}
	conn, err := net.ListenUDP("udp4", addr)
	if err != nil {
		return nil, fmt.Errorf("pion fan-out: %w", err)
	}
	// The same buffers as the SFU asks for (sfu.Config.SocketBuffer).
	_ = conn.SetReadBuffer(8 << 20)
	_ = conn.SetWriteBuffer(8 << 20)
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	mux := webrtc.NewICEUDPMux(nil, conn)
	se.SetICEUDPMux(mux)
	video, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "pion")
	if err != nil {
		return nil, err
	}
	audio, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "pion")
	if err != nil {
		return nil, err
	}
	return &PionFanout{api: webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)),
		mux: mux, log: log, video: video, audio: audio, sessions: map[string]*webrtc.PeerConnection{}}, nil
}

// Close ends every session and the socket.
func (f *PionFanout) Close() error {
	f.mu.Lock()
	for id, pc := range f.sessions {
		_ = pc.Close()
		delete(f.sessions, id)
	}
	f.mu.Unlock()
	return f.mux.Close()
}

// ServeHTTP answers POST /whip and /whep (any token) and DELETE on a
// session's Location.
func (f *PionFanout) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/whip"):
		f.post(w, r, true)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/whep"):
		f.post(w, r, false)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/sessions/"):
		id := strings.TrimPrefix(r.URL.Path, "/sessions/")
		f.mu.Lock()
		pc := f.sessions[id]
		delete(f.sessions, id)
		f.mu.Unlock()
		if pc == nil {
			http.NotFound(w, r)
			return
		}
		_ = pc.Close()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

func (f *PionFanout) post(w http.ResponseWriter, r *http.Request, publish bool) {
	offer, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	pc, err := f.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	answer, err := f.negotiate(pc, string(offer), publish)
	if err != nil {
		_ = pc.Close()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	f.mu.Lock()
	f.sessions[id] = pc
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Location", "/sessions/"+id)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

func (f *PionFanout) negotiate(pc *webrtc.PeerConnection, offer string, publish bool) (string, error) {
	if publish {
		pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
			out := f.audio
			if t.Kind() == webrtc.RTPCodecTypeVideo {
				out = f.video
			}
			go forward(t, out)
		})
	} else {
		for _, t := range []*webrtc.TrackLocalStaticRTP{f.video, f.audio} {
			s, err := pc.AddTrack(t)
			if err != nil {
				return "", err
			}
			go drainRTCP(s)
		}
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", err
	}
	<-gathered
	return pc.LocalDescription().SDP, nil
}

// forward is the whole of pion's fan-out: read a packet, write it to the
// shared local track (every player, in turn, on this goroutine).
func forward(t *webrtc.TrackRemote, out *webrtc.TrackLocalStaticRTP) {
	for {
		p, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		// The publisher's extension IDs mean nothing to the players.
		p.Header.Extension, p.Header.Extensions = false, nil
		if err := out.WriteRTP(p); err != nil && !errors.Is(err, io.ErrClosedPipe) {
			return
		}
	}
}

// drainRTCP reads a player's RTCP so pion's interceptors see it.
func drainRTCP(s *webrtc.RTPSender) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := s.Read(buf); err != nil {
			return
		}
	}
}
