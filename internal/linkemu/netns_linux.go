package linkemu

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// Start creates the namespace and the two TUN devices, gives them the
// prefix's addresses and starts moving packets. Anything it created is
// removed again when it fails.
func Start(ctx context.Context, c Config) (_ *Link, err error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		return nil, fmt.Errorf("linkemu: no TUN devices here: %w", err)
	}
	if err := ip("netns", "add", c.Namespace); err != nil {
		return nil, err
	}
	var files []*os.File
	defer func() {
		if err != nil {
			for _, f := range files {
				f.Close()
			}
			_ = ip("netns", "del", c.Namespace)
		}
	}()
	id := make([]byte, 3)
	_, _ = rand.Read(id)
	l := &Link{Config: c, HostDev: "cl" + hex.EncodeToString(id) + "h", PeerDev: "cl" + hex.EncodeToString(id) + "n", done: make(chan struct{})}
	hostTun, err := openTun(l.HostDev)
	if err != nil {
		return nil, err
	}
	files = append(files, hostTun)
	var peerTun *os.File
	err = l.Do(func() error {
		f, err := openTun(l.PeerDev)
		if err != nil {
			return err
		}
		files = append(files, f)
		peerTun = f
		// No IPv6 on the line: router solicitations and MLD would spend its
		// rate and draw on its losses.
		return noIPv6(l.PeerDev)
	})
	if err != nil {
		return nil, err
	}
	_ = noIPv6(l.HostDev)
	host := netip.PrefixFrom(c.Host(), 30).String()
	peer := netip.PrefixFrom(c.Peer(), 30).String()
	for _, args := range [][]string{
		{"addr", "add", host, "dev", l.HostDev},
		{"link", "set", l.HostDev, "up"},
		{"-n", c.Namespace, "link", "set", "lo", "up"},
		{"-n", c.Namespace, "addr", "add", peer, "dev", l.PeerDev},
		{"-n", c.Namespace, "link", "set", l.PeerDev, "up"},
		{"-n", c.Namespace, "route", "add", "default", "dev", l.PeerDev},
	} {
		if err := ip(args...); err != nil {
			return nil, err
		}
	}
	ctx, l.cancel = context.WithCancel(ctx)
	l.down = newPipe(hostTun, peerTun, c.Down, c.Seed)
	l.up = newPipe(peerTun, hostTun, c.Up, c.Seed+1)
	go func() {
		defer close(l.done)
		done := make(chan struct{})
		go func() { l.up.run(ctx); close(done) }()
		go func() { <-ctx.Done(); hostTun.Close(); peerTun.Close() }()
		l.down.run(ctx)
		<-done
	}()
	return l, nil
}

// Close stops the line and removes the devices and the namespace.
func (l *Link) Close() error {
	l.cancel()
	<-l.done
	return ip("netns", "del", l.Namespace)
}

// Do runs f on a thread inside the namespace: sockets f opens stay in it
// (tests listen there). The thread goes back to the host's namespace
// afterwards, or is discarded when it cannot.
func (l *Link) Do(f func() error) error {
	ns, err := os.Open("/run/netns/" + l.Namespace)
	if err != nil {
		return fmt.Errorf("linkemu: namespace %s: %w", l.Namespace, err)
	}
	defer ns.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("linkemu: own namespace: %w", err)
			return
		}
		defer self.Close()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("linkemu: entering %s: %w", l.Namespace, err)
			return
		}
		ferr := f()
		if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("linkemu: leaving %s: %w", l.Namespace, err))
			return // still locked: the thread ends with this goroutine
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// openTun creates a TUN device (IP packets, no extra header) in the
// calling thread's namespace; it disappears when the file is closed.
func openTun(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("linkemu: open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err == nil {
		ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
		err = unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr)
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("linkemu: creating TUN %s: %w", name, err)
	}
	// Non-blocking, so the runtime's poller serves Read and Close ends it.
	return os.NewFile(uintptr(fd), "tun:"+name), nil
}

// noIPv6 turns IPv6 off on a device of the calling thread's namespace
// (/proc/sys/net follows the thread's namespace). A missing device or
// IPv6 support is no error.
func noIPv6(dev string) error {
	err := os.WriteFile("/proc/sys/net/ipv6/conf/"+dev+"/disable_ipv6", []byte("1"), 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("linkemu: ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// FreePrefix picks a random /30 in 10.213.0.0/16 that no address of the
// host's interfaces falls in, so parallel runs rarely collide (and Start
// fails cleanly when they do).
func FreePrefix() (netip.Prefix, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("linkemu: listing addresses: %w", err)
	}
	b := make([]byte, 2)
	for range 64 {
		_, _ = rand.Read(b)
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 213, b[0], b[1] &^ 3}), 30)
		used := false
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if x, ok := netip.AddrFromSlice(n.IP.To4()); ok && p.Contains(x) {
					used = true
				}
			}
		}
		if !used {
			return p, nil
		}
	}
	return netip.Prefix{}, errors.New("linkemu: no free /30 in 10.213.0.0/16")
}
