package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cau-gov/cau/internal/recording"
	"github.com/cau-gov/cau/sfu"
)

// sfuRecorder is this node's SFU as the recordings' Recorder. In a
// cluster a room records on its home node only (the recorder follows the
// home's floor and hears every hall there); on any other node Start
// answers recording.Elsewhere, and the service forwards the start to the
// home (recforward.go).
type sfuRecorder struct{ a *App }

func (r sfuRecorder) Start(room, dir string) (recording.Capture, error) {
	if n := r.a.node; n != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		home, err := n.leases.Home(ctx, room)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("home of %s: %w", room, err)
		}
		if home != "" && home != r.a.Config.Node.ID {
			return nil, &recording.Elsewhere{Node: home}
		}
	}
	c := &sfuCapture{ended: make(chan string, 1)}
	rec, err := r.a.SFU.StartRecording(sfu.RoomID(room), dir, sfu.RecordOptions{OnStop: func(res sfu.RecordingResult, _ error) {
		c.ended <- stopReason(res.Reason)
	}})
	switch {
	case errors.Is(err, sfu.ErrNoRoom):
		return nil, fmt.Errorf("%w (%v)", recording.ErrNoRoom, err)
	case errors.Is(err, sfu.ErrAlreadyRecording):
		return nil, fmt.Errorf("%w (%v)", recording.ErrAlreadyRecording, err)
	case err != nil:
		return nil, err
	}
	c.rec = rec
	return c, nil
}

// stopReason maps the SFU's reasons onto the recordings'.
func stopReason(r string) string {
	switch r {
	case "room ended":
		return recording.StopRoomEnded
	case "server shutting down":
		return recording.StopShutdown
	}
	return recording.StopRoomEnded
}

type sfuCapture struct {
	rec   *sfu.Recording
	ended chan string
}

func (c *sfuCapture) StartedAt() time.Time { return c.rec.StartedAt() }
func (c *sfuCapture) Ended() <-chan string { return c.ended }

func (c *sfuCapture) Stop() (recording.Result, error) {
	res, err := c.rec.Stop()
	out := recording.Result{Main: res.Main, Codec: res.Codec, Duration: res.Duration}
	start := c.rec.StartedAt()
	// A codec switch of the floor began a new file: each becomes a part.
	for i, p := range res.Parts {
		if i > 0 {
			out.Next = append(out.Next, recording.Segment{Path: p.Path, Codec: p.Codec, Start: start.Add(p.Start)})
		}
	}
	for _, s := range res.Speakers {
		first, last := start.Add(s.First), start.Add(s.Last)
		out.Speakers = append(out.Speakers, recording.Track{Identity: string(s.Identity), Name: s.Name, Path: s.Path, FirstAt: &first, LastAt: &last})
	}
	return out, err
}
