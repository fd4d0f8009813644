package sfu

import (
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/pion/ice/v4"
	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/webrtc/v4"
)

// listen opens the one UDP port (and the ICE-TCP port) on each listen IP
// and builds the setting engine every peer connection shares: all media
// goes through these sockets, so a firewall needs two ports opened.
func (s *SFU) listen() error {
	n := s.cfg.Net
	if n == nil {
		sn, err := stdnet.NewNet()
		if err != nil {
			return fmt.Errorf("network: %w", err)
		}
		n = sn
	}
	se := webrtc.SettingEngine{LoggerFactory: pionLogs{s.log}}
	se.SetNet(n)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	// The SFU controls ICE on the down connections, and a browser that has
	// no camera permission (yet) offers only mDNS names, which a server
	// cannot resolve: its address is learnt from its own checks
	// (peer-reflexive), as it is for every client behind NAT. pion waits
	// 1 s (srflx 0.5 s) before nominating such a pair, in case a better one
	// comes: the SFU has one address per IP family and nothing better will
	// come, so a joining delegate's first picture waited for it (the down
	// connection came up ~450 ms after the answer; the up one, where the
	// browser nominates, in ~40 ms). Relayed pairs keep pion's 2 s, so a
	// direct path found meanwhile still wins over TURN.
	se.SetPrflxAcceptanceMinWait(0)
	se.SetSrflxAcceptanceMinWait(0)

	allowed := map[string]bool{}
	var types []webrtc.NetworkType
	var udp []ice.UDPMux
	var tcp []ice.TCPMux
	for _, ipStr := range s.cfg.ListenIPs {
		ip := net.ParseIP(ipStr)
		allowed[ip.String()] = true
		v4 := ip.To4() != nil
		udpNet, udpType, tcpType := "udp6", webrtc.NetworkTypeUDP6, webrtc.NetworkTypeTCP6
		if v4 {
			udpNet, udpType, tcpType = "udp4", webrtc.NetworkTypeUDP4, webrtc.NetworkTypeTCP4
		}
		conn, err := n.ListenUDP(udpNet, &net.UDPAddr{IP: ip, Port: s.cfg.UDPPort})
		if err != nil {
			return fmt.Errorf("listen UDP %s port %d: %w", ip, s.cfg.UDPPort, err)
		}
		s.udpAddrs = append(s.udpAddrs, conn.LocalAddr().String())
		s.sizeBuffers(conn)
		var media net.PacketConn = conn
		if uc, ok := conn.(*net.UDPConn); ok && !s.cfg.NoBatchIO {
			bc := newBatchConn(uc, !v4)
			// The fan-out's batches leave through a socket the poller
			// does not watch (sendsock_linux.go).
			if ss, err := newSendSocket(uc, s.cfg.SocketBuffer); err == nil {
				bc.out.w, bc.out.direct = ss, true
				s.closers = append(s.closers, ss)
			} else {
				s.log.Info("fan-out sends on the media socket", "error", err)
			}
			s.media = append(s.media, bc)
			media = bc
		}
		// The mux owns the socket and closes it.
		mux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: media, Logger: pionLogs{s.log}.NewLogger("udpmux"), Net: n})
		s.closers = append(s.closers, mux)
		udp = append(udp, mux)
		types = appendOnce(types, udpType)
		if s.cfg.TCPPort >= 0 && s.cfg.Net == nil {
			l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: ip, Port: s.cfg.TCPPort})
			if err != nil {
				return fmt.Errorf("listen TCP %s port %d: %w", ip, s.cfg.TCPPort, err)
			}
			s.tcpAddrs = append(s.tcpAddrs, l.Addr().String())
			tm := ice.NewTCPMuxDefault(ice.TCPMuxParams{Listener: l, Logger: pionLogs{s.log}.NewLogger("tcpmux"),
				ReadBufferSize: 64, WriteBufferSize: 4 << 20})
			s.closers = append(s.closers, tm)
			tcp = append(tcp, tm)
			types = appendOnce(types, tcpType)
		}
	}
	se.SetICEUDPMux(ice.NewMultiUDPMuxDefault(udp...))
	if len(tcp) > 0 {
		se.SetICETCPMux(ice.NewMultiTCPMuxDefault(tcp...))
	}
	se.SetNetworkTypes(types)
	se.SetIPFilter(func(ip net.IP) bool { return allowed[ip.String()] })
	if len(s.cfg.NAT1To1IPs) > 0 {
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{External: s.cfg.NAT1To1IPs,
			AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteReplace}); err != nil {
			return fmt.Errorf("NAT 1:1 addresses: %w", err)
		}
	}
	s.se = se
	return nil
}

func appendOnce(ts []webrtc.NetworkType, t webrtc.NetworkType) []webrtc.NetworkType {
	for _, x := range ts {
		if x == t {
			return ts
		}
	}
	return append(ts, t)
}

// UDPAddrs are the media UDP addresses, one per listen IP (for logs and tests).
func (s *SFU) UDPAddrs() []string { return s.udpAddrs }

// TCPAddrs are the ICE-TCP addresses, one per listen IP; none if disabled.
func (s *SFU) TCPAddrs() []string { return s.tcpAddrs }

var _ io.Closer = (*SFU)(nil)

// sizeBuffers asks for Config.SocketBuffer on the media socket and warns
// when the kernel grants less (its rmem_max/wmem_max caps it silently).
func (s *SFU) sizeBuffers(conn transport.UDPConn) {
	want := s.cfg.SocketBuffer
	if err := conn.SetReadBuffer(want); err != nil {
		s.log.Warn("media socket receive buffer", "want", want, "error", err)
	}
	if err := conn.SetWriteBuffer(want); err != nil {
		s.log.Warn("media socket send buffer", "want", want, "error", err)
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return // vnet in tests
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	var rcv, snd int
	_ = raw.Control(func(fd uintptr) {
		rcv, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		snd, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
	})
	// Linux reports twice what it granted (bookkeeping overhead included).
	if rcv/2 < want || snd/2 < want {
		s.log.Warn("media socket buffers capped by the kernel; raise net.core.rmem_max and net.core.wmem_max",
			"want", want, "receive", rcv/2, "send", snd/2)
	}
}
