package sfuclient

import (
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// ReadPackets reads track until it ends and calls each with every packet
// that parses as RTP, in order, on the calling goroutine; run it with go
// from an OnTrack callback. It reuses one buffer and one rtp.Packet: p
// and its Payload are valid only during the call (copy what you keep).
//
// It returns when a read fails without a packet: io.EOF or a closed
// buffer at the end of the track or its connection. A read that returns
// bytes and an error (pion's for a payload type the receiver did not
// negotiate) still hands over the packet. Padding probes come through
// too, with an empty Payload. A nil each only drains the track, which a
// subscriber must do for pion to send its feedback (NACKs, reports).
func ReadPackets(track *webrtc.TrackRemote, each func(p *rtp.Packet)) {
	buf := make([]byte, 1500) // the SFU's packets fit a loopback or Ethernet MTU
	var p rtp.Packet
	for {
		n, _, err := track.Read(buf)
		if n == 0 && err != nil {
			return
		}
		if each == nil || p.Unmarshal(buf[:n]) != nil {
			continue
		}
		each(&p)
	}
}
