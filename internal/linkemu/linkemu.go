// Package linkemu emulates a weak network line in user space: a network
// namespace joined to the host by two TUN devices, with a process moving
// the packets between them through a rate limit, a drop-tail queue,
// random loss and a fixed delay per direction. The kernels here have no
// netem (tc qdisc netem is missing), and pion's vnet shapes only pion's
// own peers; a browser in the namespace goes through the same line as a
// commune hall on a 400 kbit/s, 3 % loss link would (web/e2e
// communeline.test.js, run by `cau linkemu`).
//
// It needs root (network namespaces, /dev/net/tun) and the ip command.
package linkemu

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Config is one line.
type Config struct {
	// Namespace is the network namespace to create (ip netns add); it must
	// not exist yet.
	Namespace string
	// Prefix is an IPv4 /30: its first address is the host's side, the
	// second the namespace's.
	Prefix netip.Prefix
	// Down shapes what goes from the host into the namespace, Up the way back.
	Down, Up Shape
	// Seed makes the random losses repeatable.
	Seed uint64
}

// Errors of Start.
var (
	ErrConfig = errors.New("linkemu: bad configuration")
)

var nsName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,48}$`)

// Validate lists what is wrong with c.
func (c Config) Validate() error {
	var bad []string
	if !nsName.MatchString(c.Namespace) {
		bad = append(bad, fmt.Sprintf("namespace %q: 1–48 of A-Z a-z 0-9 _ . -", c.Namespace))
	}
	if !c.Prefix.IsValid() || !c.Prefix.Addr().Is4() || c.Prefix.Bits() != 30 || c.Prefix.Masked() != c.Prefix {
		bad = append(bad, fmt.Sprintf("prefix %q: an IPv4 /30 such as 10.213.0.0/30", c.Prefix))
	}
	for _, d := range []struct {
		name string
		s    Shape
	}{{"down", c.Down}, {"up", c.Up}} {
		for _, p := range d.s.Problems() {
			bad = append(bad, d.name+" "+p)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrConfig, strings.Join(bad, "; "))
	}
	return nil
}

// Host is the host side's address, Peer the namespace's.
func (c Config) Host() netip.Addr { return c.Prefix.Addr().Next() }

// Peer is the namespace side's address.
func (c Config) Peer() netip.Addr { return c.Host().Next() }

// Link is a running line. Close it to remove the namespace and devices.
type Link struct {
	Config
	// HostDev and PeerDev are the TUN devices' names (host side, namespace side).
	HostDev, PeerDev string

	down, up *pipe
	cancel   context.CancelFunc
	done     chan struct{}
}

// Stats is what each direction did so far.
func (l *Link) Stats() (down, up Counters) { return l.down.counters(), l.up.counters() }
