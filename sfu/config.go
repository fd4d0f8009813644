package sfu

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/pion/transport/v5"
)

// ICEServer is a STUN or TURN server handed to clients. A TURN server
// with a Secret gets per-participant credentials (turn.go) instead of the
// static Username and Credential.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
	// Secret is the TURN REST shared secret (coturn's static-auth-secret).
	Secret string `json:"-"`
}

// Config tunes the SFU. Zero values take the documented defaults.
type Config struct {
	// UDPPort is the one UDP port all WebRTC media uses (ICE UDP mux) on
	// each of ListenIPs; 0 picks a free port per IP (tests).
	UDPPort int
	// SocketBuffer is the kernel receive and send buffer of the media UDP
	// socket (bytes). Every hall's packets arrive on this one socket; the
	// kernel's default (about 200 KiB, 10 ms of a 160-hall session) drops
	// packets whenever its reader is descheduled that long. The kernel caps
	// it at net.core.rmem_max / wmem_max (a warning says so). Default 8 MiB.
	SocketBuffer int
	// NoBatchIO reads one datagram per system call instead of batches
	// (recvmmsg, see batchconn.go): for comparing the two.
	NoBatchIO bool
	// QueuedWrites queues each packet to every subscriber's writer
	// goroutine instead of the default fan-out pass, in which a
	// publisher's reader writes it to every subscriber on UDP whose writer
	// is idle itself, in one pass whose datagrams leave in a few sendmmsg
	// calls (writer.go, batchsend.go). The pass wakes no goroutine per
	// subscriber: at 160 players on loopback it costs 20–30 % less CPU
	// per forwarded packet since the media socket's system calls stopped
	// waking sysmon (docs/performance.md, "Fan-out CPU, session 9"). Its
	// limit: one reader goroutine per media socket does every fan-out, so
	// forwarding from that socket uses one core at most. For comparing.
	QueuedWrites bool
	// PionWrites sends every packet through pion's interceptors (TWCC
	// header extension, sender reports) and SRTP session, as before the
	// fast write path (fastsend.go): for comparing the two.
	PionWrites bool
	// PionRTCP reads subscribers' RTCP through pion's SRTCP session and
	// interceptors, as before the fast read path (fastrtcp.go), which
	// reads it on the media socket's read loop: for comparing the two.
	// (The fast read path was opt-in while a weak hall's estimate ran
	// away with it; that was GCC's history, too short for feedback behind
	// a 250 ms queue, on either path: docs/performance.md.)
	PionRTCP bool
	// PionReceive reads publishers' RTP through pion's SRTP session, the
	// layers' reader goroutines and pion's transport-wide feedback
	// interceptor, as before the fast receive path (fastrecv.go), which
	// reads it on the media socket's read loop: for comparing the two.
	PionReceive bool
	// TCPPort is the ICE-TCP port for halls behind firewalls that drop UDP;
	// 0 picks a free port per IP, -1 disables ICE-TCP.
	TCPPort int
	// ListenIPs are the addresses media binds to and advertises, IPv4 and
	// IPv6. Default 127.0.0.1. Unspecified addresses (0.0.0.0, ::) are
	// refused: a candidate must name a reachable address.
	ListenIPs []string
	// NAT1To1IPs are public addresses advertised instead of ListenIPs (a
	// server behind 1:1 NAT).
	NAT1To1IPs []string
	// ICEServers are handed to clients in the joined message and WHIP/WHEP
	// Link headers; none by default.
	ICEServers []ICEServer
	// TURNCredentialTTL is how long minted TURN credentials stay valid
	// (servers with a Secret). They must outlast a call: TURN refreshes its
	// allocations with them. Default 8h.
	TURNCredentialTTL time.Duration
	// ReconnectGrace is how long a participant whose WebSocket dropped is
	// kept, so that it resumes without the others seeing it leave. Default 20s.
	ReconnectGrace time.Duration
	// MaxParticipants bounds one room. Default 500.
	MaxParticipants int
	// StatsInterval is how often link stats go to moderators. Default 2s.
	StatsInterval time.Duration
	// PLIInterval is the least time between two key frame requests sent to
	// one publisher layer: a burst of subscribers costs one key frame. Default 300ms.
	PLIInterval time.Duration
	// AllocInterval is how often each subscriber's bandwidth is shared out. Default 250ms.
	AllocInterval time.Duration
	// PauseAfter is how long a simulcast layer above the lowest that no
	// subscriber, recorder or relay wants keeps flowing before its
	// publisher is told to stop sending it (pause.go); a floor that moves
	// back and forth within it does not pause and resume. Default 3s;
	// negative turns pausing off: no "layers" message, every layer flows
	// (an off switch should pausing misbehave in the field, and for comparing).
	PauseAfter time.Duration
	// SpeakerInterval is how often the active speaker list is recomputed. Default 300ms.
	SpeakerInterval time.Duration
	// InitialBitrate is the downlink estimate a new subscriber starts from
	// (bit/s). Default 1 Mbit/s: enough for the floor's medium layer.
	InitialBitrate int
	// MaxBitrate caps a subscriber's estimate (bit/s). Default 8 Mbit/s.
	MaxBitrate int
	// AudioLastN is how many participants' audio is forwarded at once: the
	// loudest, by the audio level extension (with 160 halls, everyone's
	// audio to everyone would be 8000 packets a second per hall). Default
	// 8; negative forwards all.
	AudioLastN int
	// MaxProbes is how many subscribers may probe their downlink (send
	// padding to find more bandwidth) at once, server-wide. Default 16.
	MaxProbes int
	// Net replaces the host network (pion vnet in tests); nil uses the OS.
	Net transport.Net
}

func (c *Config) setDefaults() {
	if len(c.ListenIPs) == 0 {
		c.ListenIPs = []string{"127.0.0.1"}
	}
	if c.SocketBuffer == 0 {
		c.SocketBuffer = 8 << 20
	}
	if c.TURNCredentialTTL == 0 {
		c.TURNCredentialTTL = 8 * time.Hour
	}
	if c.ReconnectGrace == 0 {
		c.ReconnectGrace = 20 * time.Second
	}
	if c.MaxParticipants == 0 {
		c.MaxParticipants = 500
	}
	if c.StatsInterval == 0 {
		c.StatsInterval = 2 * time.Second
	}
	if c.PLIInterval == 0 {
		c.PLIInterval = 300 * time.Millisecond
	}
	if c.AllocInterval == 0 {
		c.AllocInterval = 250 * time.Millisecond
	}
	if c.PauseAfter == 0 {
		c.PauseAfter = 3 * time.Second
	}
	if c.SpeakerInterval == 0 {
		c.SpeakerInterval = 300 * time.Millisecond
	}
	if c.InitialBitrate == 0 {
		c.InitialBitrate = 1_000_000
	}
	if c.MaxBitrate == 0 {
		c.MaxBitrate = 8_000_000
	}
	if c.MaxProbes == 0 {
		c.MaxProbes = 16
	}
	if c.AudioLastN == 0 {
		c.AudioLastN = 8
	}
}

// Validate reports every bad field.
func (c Config) Validate() error {
	var errs []error
	if c.MaxProbes < 0 {
		errs = append(errs, fmt.Errorf("MaxProbes %d is negative", c.MaxProbes))
	}
	if c.SocketBuffer < 0 {
		errs = append(errs, fmt.Errorf("SocketBuffer %d is negative", c.SocketBuffer))
	}
	if c.UDPPort < 0 || c.UDPPort > 65535 {
		errs = append(errs, fmt.Errorf("UDPPort %d is not a port", c.UDPPort))
	}
	if c.TCPPort < -1 || c.TCPPort > 65535 {
		errs = append(errs, fmt.Errorf("TCPPort %d is not a port (or -1)", c.TCPPort))
	}
	for _, ip := range c.ListenIPs {
		if p := net.ParseIP(ip); p == nil || p.IsUnspecified() {
			errs = append(errs, fmt.Errorf("ListenIPs: %q is not a specific IP address", ip))
		}
	}
	for _, ip := range c.NAT1To1IPs {
		if net.ParseIP(ip) == nil {
			errs = append(errs, fmt.Errorf("NAT1To1IPs: %q is not an IP address", ip))
		}
	}
	for _, s := range c.ICEServers {
		if len(s.URLs) == 0 {
			errs = append(errs, errors.New("ICEServers: a server without URLs"))
		}
		if s.Secret != "" && s.Username != "" {
			errs = append(errs, errors.New("ICEServers: a TURN server has either a shared secret or a static username, not both"))
		}
	}
	if c.ReconnectGrace < 0 || c.TURNCredentialTTL < 0 || c.StatsInterval < 0 || c.PLIInterval < 0 || c.AllocInterval < 0 || c.SpeakerInterval < 0 {
		errs = append(errs, errors.New("durations must not be negative"))
	}
	if c.InitialBitrate < 0 || c.MaxBitrate < 0 || c.MaxParticipants < 0 {
		errs = append(errs, errors.New("bitrates and MaxParticipants must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}
