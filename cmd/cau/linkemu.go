package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"

	"github.com/cau-gov/cau/internal/linkemu"
)

// runLinkemu is the hidden `cau linkemu`: a weak line into a new network
// namespace for browser tests (web/e2e/tests/communeline.test.js). It
// prints one JSON line when the line is up, runs until interrupted, then
// removes the namespace and prints what each direction did.
func runLinkemu(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("linkemu", "Create a network namespace joined to this one by a shaped line (both directions alike)\n"+
		"and run until interrupted. Needs root. Run a program behind the line with\n"+
		"`ip netns exec NAMESPACE program`; reach this side at the printed host address.", stderr)
	ns := fs.String("ns", fmt.Sprintf("cau-line-%d", os.Getpid()), "network namespace to create")
	prefix := fs.String("prefix", "", "IPv4 /30 for the line (default: a free one in 10.213.0.0/16)")
	var s linkemu.Shape
	fs.Int64Var(&s.Rate, "rate", 400_000, "rate in bit/s, 0 unlimited")
	fs.DurationVar(&s.Queue, "queue", 250e6, "drop-tail queue, as time at the rate")
	fs.Float64Var(&s.Loss, "loss", 0.03, "random loss share (0–1)")
	fs.DurationVar(&s.Delay, "delay", 40e6, "one-way delay")
	seed := fs.Uint64("seed", 1, "seed of the random losses")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c := linkemu.Config{Namespace: *ns, Down: s, Up: s, Seed: *seed}
	var err error
	if *prefix == "" {
		c.Prefix, err = linkemu.FreePrefix()
	} else if c.Prefix, err = netip.ParsePrefix(*prefix); err != nil {
		return usageError{fmt.Sprintf("linkemu: --prefix: %v", err)}
	}
	if err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return usageError{err.Error()}
	}
	l, err := linkemu.Start(ctx, c)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	_ = enc.Encode(map[string]string{"namespace": l.Namespace, "host": l.Host().String(), "peer": l.Peer().String(), "host_dev": l.HostDev, "peer_dev": l.PeerDev})
	<-ctx.Done()
	down, up := l.Stats()
	err = l.Close()
	_ = enc.Encode(map[string]linkemu.Counters{"down": down, "up": up})
	return err
}
