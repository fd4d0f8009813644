package sfu_test

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// rollCall is an sfu.Observer that records what the meeting service
// would.
type rollCall struct {
	mu      sync.Mutex
	joined  map[sfu.ParticipantID]int
	left    map[sfu.ParticipantID]int
	floors  []sfu.ParticipantID
	changed chan struct{} // closed and replaced at each join or leave
}

func newRollCall() *rollCall {
	return &rollCall{joined: map[sfu.ParticipantID]int{}, left: map[sfu.ParticipantID]int{}, changed: make(chan struct{})}
}

func (r *rollCall) ParticipantJoined(_ sfu.RoomID, id sfu.ParticipantID, _ sfu.Kind, _ time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.joined[id]++
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *rollCall) ParticipantLeft(_ sfu.RoomID, id sfu.ParticipantID, _ sfu.Kind, _ time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.left[id]++
	close(r.changed)
	r.changed = make(chan struct{})
}

// waitCounts waits until id has joined and left as often as given: the
// SFU calls its observer from a goroutine of its own, after the room
// told its participants, so a participant_left a client got does not
// mean the observer was told yet.
func (r *rollCall) waitCounts(t *testing.T, id sfu.ParticipantID, joined, left int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		j, l, ch := r.joined[id], r.left[id], r.changed
		r.mu.Unlock()
		if j == joined && l == left {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("observer: %s joined %d left %d, want %d and %d", id, j, l, joined, left)
		}
	}
}

func (r *rollCall) FloorChanged(_ sfu.RoomID, id sfu.ParticipantID, _ time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.floors = append(r.floors, id)
}

func (r *rollCall) counts(id sfu.ParticipantID) (int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.joined[id], r.left[id]
}

func TestResumeAfterDroppedSocket(t *testing.T) {
	b := setup(t, sfu.Config{})
	rc := newRollCall()
	b.s.SetObserver(rc)
	pub := b.dial(t, "meeting-4", "hall-a", sfuclient.Options{})
	publishHall(t, pub, nil, sfuclient.VideoSpec{Bitrates: []int{300_000}})
	rec := newRecorder()
	sub := b.dial(t, "meeting-4", "hall-b", sfuclient.Options{OnTrack: rec.onTrack})
	publishHall(t, sub, nil, sfuclient.VideoSpec{Bitrates: []int{300_000}})
	waitTrack(t, sub, "hall-a/camera")
	if err := sub.Subscribe("hall-a/camera", sfu.QualityHigh); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 10*time.Second, "video", func(r *recorder) bool { return r.packets["hall-a/camera"] > 10 })
	token := sub.Joined().ResumeToken

	sub.DropSocket()
	waitDetached(t, b, "meeting-4", "hall-b")
	// Media keeps flowing while the socket is down.
	n := packets(rec, "hall-a/camera")
	rec.waitFor(t, 5*time.Second, "video without a socket", func(r *recorder) bool { return r.packets["hall-a/camera"] > n+30 })

	if err := sub.Resume(ctxT(t, 10*time.Second)); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if j := sub.Joined(); !j.Resumed || j.ResumeToken != token {
		t.Fatalf("joined after resume = resumed %v token %q, want resumed with %q", j.Resumed, j.ResumeToken, token)
	}
	// The new socket works: a subscribe change takes effect.
	if err := sub.Subscribe("hall-a/camera", sfu.QualityOff); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.WaitFor(ctxT(t, 5*time.Second), sfuclient.IsType("layer", func(e sfu.LayerEvent) bool {
		return e.TrackID == "hall-a/camera" && e.Quality == "off"
	})); err != nil {
		t.Fatalf("no layer off after resume: %v", err)
	}
	for _, e := range pub.Events() {
		if e.Type == "participant_left" {
			t.Errorf("the other hall saw %s %s", e.Type, e.Data)
		}
	}
	if j, l := rc.counts("hall-b"); j != 1 || l != 0 {
		t.Errorf("observer saw hall-b join %d and leave %d times, want 1 and 0", j, l)
	}

	// A wrong resume token is refused, and changes nothing.
	_, err := sfuclient.Dial(ctxT(t, 5*time.Second), sfuclient.Options{URL: b.url, Token: b.token(t, "meeting-4", "hall-b", hallPerms...), Resume: "forged"})
	if err == nil || !strings.Contains(err.Error(), "bad_resume") {
		t.Errorf("resume with a forged token: err = %v, want bad_resume", err)
	}
	if p, ok := b.s.Participant("meeting-4", "hall-b"); !ok || !p.Connected() {
		t.Errorf("the forged resume disturbed hall-b")
	}
}

func waitDetached(t *testing.T, b bundle, room sfu.RoomID, id sfu.ParticipantID) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if p, ok := b.s.Participant(room, id); ok && !p.Connected() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never detached", id)
}

func packets(r *recorder, id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.packets[id]
}

var ufragRE = regexp.MustCompile(`a=ice-ufrag:(\S+)`)

func ufrag(sdp string) string {
	m := ufragRE.FindStringSubmatch(sdp)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestICERestart(t *testing.T) {
	b := setup(t, sfu.Config{})
	pub := b.dial(t, "meeting-5", "hall-a", sfuclient.Options{})
	publishHall(t, pub, nil, sfuclient.VideoSpec{Bitrates: []int{300_000}})
	rec := newRecorder()
	sub := b.dial(t, "meeting-5", "hall-b", sfuclient.Options{OnTrack: rec.onTrack})
	publishHall(t, sub, nil, sfuclient.VideoSpec{Bitrates: []int{300_000}})
	waitTrack(t, sub, "hall-a/camera")
	if err := sub.Subscribe("hall-a/camera", sfu.QualityHigh); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 10*time.Second, "video", func(r *recorder) bool { return r.packets["hall-a/camera"] > 10 })
	upBefore := ufrag(sub.UpConnection().RemoteDescription().SDP)
	downBefore := ufrag(sub.DownConnection().RemoteDescription().SDP)

	mark := sub.Mark()
	if err := sub.RestartICE(ctxT(t, 10*time.Second)); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if _, err := sub.WaitFrom(ctxT(t, 10*time.Second), mark, sfuclient.IsType("offer", func(sd sfu.SessionDescription) bool {
		return ufrag(sd.SDP) != downBefore
	})); err != nil {
		t.Fatalf("no down offer with new credentials: %v", err)
	}
	if got := ufrag(sub.UpConnection().RemoteDescription().SDP); got == upBefore {
		t.Errorf("up connection kept ufrag %q", got)
	}
	n := packets(rec, "hall-a/camera")
	rec.waitFor(t, 10*time.Second, "video after the restart", func(r *recorder) bool { return r.packets["hall-a/camera"] > n+30 })
}
