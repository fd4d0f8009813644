package sfu_test

import (
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

func TestAudioOfTheLoudestOnly(t *testing.T) {
	b := setup(t, sfu.Config{AudioLastN: 1})
	spec := sfuclient.VideoSpec{Bitrates: []int{100_000}}
	loud := b.dial(t, "meeting-14", "hall-loud", sfuclient.Options{})
	publishHallLevel(t, loud, nil, spec, 20)
	quiet := b.dial(t, "meeting-14", "hall-quiet", sfuclient.Options{})
	publishHallLevel(t, quiet, nil, spec, 120)
	rec := newRecorder()
	b.dial(t, "meeting-14", "hall-listener", sfuclient.Options{OnTrack: rec.onTrack})
	rec.waitFor(t, 10*time.Second, "the loud hall", func(r *recorder) bool { return r.packets["hall-loud/microphone"] > 25 })

	// Over a second, the quiet hall's audio does not move, the loud one's does.
	q0, l0 := packets(rec, "hall-quiet/microphone"), packets(rec, "hall-loud/microphone")
	window := time.NewTimer(time.Second)
	<-window.C
	q1, l1 := packets(rec, "hall-quiet/microphone"), packets(rec, "hall-loud/microphone")
	if q1 != q0 {
		t.Errorf("quiet hall forwarded: %d packets in a second", q1-q0)
	}
	if l1-l0 < 30 {
		t.Errorf("loud hall: %d packets in a second, want about 50", l1-l0)
	}
}
