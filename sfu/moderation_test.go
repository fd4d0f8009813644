package sfu_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// tokenFor stores a grant as the bundle's opaque token.
func (b bundle) tokenFor(t *testing.T, g sfu.Grant) string {
	t.Helper()
	var b16 [16]byte
	if _, err := rand.Read(b16[:]); err != nil {
		t.Fatal(err)
	}
	tok := hex.EncodeToString(b16[:])
	b.tokens.Store(tok, g)
	return tok
}

func (b bundle) dialGrant(t *testing.T, g sfu.Grant, o sfuclient.Options) (*sfuclient.Client, error) {
	t.Helper()
	o.URL, o.Token, o.Logger = b.url, b.tokenFor(t, g), b.log.With("client", g.Identity)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := sfuclient.Dial(ctx, o)
	if err == nil {
		t.Cleanup(func() { _ = c.Close() })
	}
	return c, err
}

// silentFor reports how many packets of track the recorder got during d
// (after a moment for packets in flight), next to a control track that
// must keep flowing meanwhile.
func silentFor(t *testing.T, r *recorder, track, control string, d time.Duration) int {
	t.Helper()
	settle := time.NewTimer(300 * time.Millisecond)
	<-settle.C
	n, c := packets(r, track), packets(r, control)
	window := time.NewTimer(d)
	<-window.C
	if packets(r, control) <= c+10 {
		t.Fatalf("the control track %s stopped too: the window proves nothing", control)
	}
	return packets(r, track) - n
}

// TestMutePersistsAndRevocation mutes a hall before it connects: its
// audio never reaches the others, nor after it reconnects with a new
// grant, until it is unmuted. A removed hall is closed with "removed" and
// its grants issued up to the removal are refused; a later grant joins.
// A locked room admits halls, moderators and who was in, nobody new.
func TestMutePersistsAndRevocation(t *testing.T) {
	b := setup(t, sfu.Config{})
	const room = "meeting-9"
	spec := sfuclient.VideoSpec{Bitrates: []int{150_000}}
	if err := b.s.SetMuted(room, "hall-a", true); err != nil {
		t.Fatal(err)
	}
	viewer := newRecorder()
	b.dial(t, room, "hall-c", sfuclient.Options{OnTrack: viewer.onTrack})
	bh := b.dial(t, room, "hall-b", sfuclient.Options{})
	publishHallLevel(t, bh, nil, spec, 40)
	a := b.dial(t, room, "hall-a", sfuclient.Options{})
	if !a.Joined().Self.Muted {
		t.Fatal("hall-a muted before joining joined unmuted")
	}
	publishHallLevel(t, a, nil, spec, 30)
	viewer.waitFor(t, 5*time.Second, "hall-b audio", func(r *recorder) bool { return r.packets["hall-b/microphone"] > 10 })
	if n := silentFor(t, viewer, "hall-a/microphone", "hall-b/microphone", time.Second); n != 0 {
		t.Fatalf("%d packets of hall-a's audio forwarded while muted before it joined", n)
	}

	// A reload: a new connection of hall-a replaces the old and stays muted.
	_ = a.Close()
	a = b.dial(t, room, "hall-a", sfuclient.Options{})
	if !a.Joined().Self.Muted {
		t.Fatal("hall-a reconnected unmuted")
	}
	publishHallLevel(t, a, nil, spec, 30)
	if n := silentFor(t, viewer, "hall-a/microphone", "hall-b/microphone", time.Second); n != 0 {
		t.Fatalf("%d packets of hall-a's audio forwarded after it reconnected muted", n)
	}
	if err := b.s.SetMuted(room, "hall-a", false); err != nil {
		t.Fatal(err)
	}
	n := packets(viewer, "hall-a/microphone")
	viewer.waitFor(t, 5*time.Second, "hall-a audio after unmute", func(r *recorder) bool { return r.packets["hall-a/microphone"] > n+10 })

	// Removal: hall-b is closed and its grant from before is refused.
	issued := time.Now()
	old := sfu.Grant{Room: room, Identity: "hall-b", Kind: sfu.KindHall, Hall: true, Publish: true, Subscribe: true, IssuedAt: issued}
	removed := issued.Add(time.Millisecond)
	if err := b.s.Remove(room, "hall-b", removed, removed.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := bh.WaitFor(ctxT(t, 5*time.Second), sfuclient.IsType("closed", func(e sfu.Closed) bool { return e.Reason == sfu.ReasonRemoved })); err != nil {
		t.Fatalf("removed hall not told: %v", err)
	}
	if err := b.s.Admit(old); !errors.Is(err, sfu.ErrRevoked) {
		t.Fatalf("a grant from before the removal: %v, want ErrRevoked", err)
	}
	if _, err := b.dialGrant(t, old, sfuclient.Options{}); err == nil {
		t.Fatal("/rtc admitted a grant from before the removal")
	}
	whep := old
	whep.Identity, whep.Holder = "hall-b~1234", "hall-b"
	if err := b.s.Admit(whep); !errors.Is(err, sfu.ErrRevoked) {
		t.Fatalf("a WHEP player of the removed hall: %v, want ErrRevoked", err)
	}
	fresh := old
	fresh.IssuedAt = removed.Add(time.Millisecond)
	if _, err := b.dialGrant(t, fresh, sfuclient.Options{}); err != nil {
		t.Fatalf("a grant issued after the removal: %v", err)
	}

	// Lock: halls, moderators and who was in; nobody new.
	if err := b.s.SetLocked(room, true); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, c := range []struct {
		g    sfu.Grant
		want error
	}{
		{sfu.Grant{Room: room, Identity: "user-7", Kind: sfu.KindUser, Subscribe: true, IssuedAt: now}, sfu.ErrLocked},
		{sfu.Grant{Room: room, Identity: "hall-d", Kind: sfu.KindHall, Hall: true, Subscribe: true, IssuedAt: now}, nil},
		{sfu.Grant{Room: room, Identity: "user-1", Kind: sfu.KindUser, Moderate: true, IssuedAt: now}, nil},
		{sfu.Grant{Room: room, Identity: "hall-c", Kind: sfu.KindUser, Subscribe: true, IssuedAt: now}, nil}, // was in
	} {
		if err := b.s.Admit(c.g); !errors.Is(err, c.want) {
			t.Errorf("locked room admits %s: %v, want %v", c.g.Identity, err, c.want)
		}
	}
	if err := b.s.SetLocked(room, false); err != nil {
		t.Fatal(err)
	}
	if err := b.s.Admit(sfu.Grant{Room: room, Identity: "user-7", Kind: sfu.KindUser, Subscribe: true, IssuedAt: now}); err != nil {
		t.Errorf("unlocked room refuses a newcomer: %v", err)
	}

	// The end of the call: everyone out, grants from before refused. fresh
	// was stamped 2 ms after the removal, which a fast run reaches before
	// now: the end must come after it.
	end := time.Now()
	if after := fresh.IssuedAt.Add(time.Millisecond); end.Before(after) {
		end = after
	}
	if err := b.s.EndCall(room, end, end.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WaitFor(ctxT(t, 5*time.Second), sfuclient.IsType("closed", func(e sfu.Closed) bool { return e.Reason == sfu.ReasonCallEnded })); err != nil {
		t.Fatalf("hall-a not told the call ended: %v", err)
	}
	if err := b.s.Admit(fresh); !errors.Is(err, sfu.ErrRevoked) {
		t.Errorf("a grant from before the end: %v, want ErrRevoked", err)
	}
}
