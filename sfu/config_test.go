package sfu

import (
	"strings"
	"testing"
)

// A bad SFU configuration is refused before any socket opens, naming the
// field.
func TestConfigRefusesBadValues(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{UDPPort: 70000}, "UDPPort"},
		{Config{TCPPort: -2}, "TCPPort"},
		{Config{ListenIPs: []string{"0.0.0.0"}}, "ListenIPs"},
		{Config{NAT1To1IPs: []string{"cau.example"}}, "NAT1To1IPs"},
		{Config{SocketBuffer: -1}, "SocketBuffer"},
		{Config{MaxProbes: -1}, "MaxProbes"},
		{Config{ICEServers: []ICEServer{{}}}, "ICEServers"},
	} {
		s, err := New(c.cfg, nil, nil)
		if err == nil {
			_ = s.Close()
			t.Errorf("%+v accepted", c.cfg)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want it to name %s", c.cfg, err, c.want)
		}
	}
}
