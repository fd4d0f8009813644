// Package icestart tells when a pion peer connection's ICE transport has
// started, so that a renegotiation is not applied before it.
//
// Pion starts the ICE transport of a connection's first offer/answer
// exchange on its operations goroutine, after SetRemoteDescription has
// returned; the agent learns the remote ufrag only then. A renegotiation
// offer set before that finds the agent's remote credentials empty, takes
// them for changed and restarts ICE: the answerer gathers again under a new
// ufrag (pion v4.2.26, PeerConnection.SetRemoteDescription,
// haveRemoteCredentialsChange). If the offerer's own transport has not
// started either, it starts later with the first answer's ufrag and
// overwrites the second's; the two ends then discard each other's
// connectivity checks ("username mismatch") and the connection never
// comes up. Under CPU load (a 2-core machine at load 10–17, go test of
// the sfu package) a subscriber's down connection was lost this way about
// once in a thousand joins: TestFloorChangeOneKeyframeRequest's 16 halls
// subscribe to the floor right after joining, and the second down offer
// reached a hall within that window.
package icestart

import (
	"context"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// Signal is closed once a connection's ICE transport has started. Feed it
// every state from the connection's OnConnectionStateChange: pion reports
// connecting once the agent checks, which it does with the remote
// credentials already set.
type Signal struct {
	once sync.Once
	ch   chan struct{}
}

// New returns a Signal not yet started.
func New() *Signal { return &Signal{ch: make(chan struct{})} }

// Note takes a connection state; any but new means started (closed,
// failed: nothing left to wait for).
func (s *Signal) Note(st webrtc.PeerConnectionState) {
	if st != webrtc.PeerConnectionStateNew {
		s.once.Do(func() { close(s.ch) })
	}
}

// Started is closed once the transport started.
func (s *Signal) Started() <-chan struct{} { return s.ch }

// MaxWait bounds BeforeRenegotiation's wait: pion starts the transport
// within milliseconds of the first exchange, tens of them on a loaded
// machine, and one that never starts (pion failed to) is not waited for
// forever.
const MaxWait = 5 * time.Second

// BeforeRenegotiation waits, when pc has completed an offer/answer
// exchange (so the next description set is a renegotiation), until its
// transport started, at most MaxWait. It returns ctx's error if ctx ends
// first.
func (s *Signal) BeforeRenegotiation(ctx context.Context, pc *webrtc.PeerConnection) error {
	if pc.CurrentRemoteDescription() == nil {
		return nil // the first exchange: pion starts the transport after it
	}
	select {
	case <-s.ch:
		return nil
	default:
	}
	t := time.NewTimer(MaxWait)
	defer t.Stop()
	select {
	case <-s.ch:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}
