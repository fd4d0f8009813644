package sfu

import (
	"slices"
	"testing"
)

// The reference hall's layer rates on the wire, as plan sees them.
var hall = [3]int{150_000, 500_000, 1_500_000}

func video(id TrackID, prio int, want Quality, cur int) demand {
	return demand{id: id, priority: prio, want: want, cur: cur, layers: hall}
}

// audio is the floor's audio (always sent), other another hall's.
func audio(id TrackID, rate int) demand {
	return demand{id: id, audio: true, must: true, rate: rate, cur: 0}
}

func other(id TrackID, rate, cur int) demand {
	return demand{id: id, audio: true, rate: rate, cur: cur}
}

func TestPlan(t *testing.T) {
	floor := func(cur int) demand { return video(FloorTrack, 100, QualityHigh, cur) }
	cases := []struct {
		name    string
		est     estimate
		demands []demand
		want    []int // layer per demand, -1 paused (audio: -1)
		limited int   // index of the demand the prober should lift, -1 none
	}{
		{"plenty: the floor on high",
			estimate{bps: 3_000_000}, []demand{floor(-1)}, []int{2}, -1},
		{"audio first: what is left is below high with its margin",
			estimate{bps: 1_800_000}, []demand{audio("a/mic", 150_000), floor(-1)}, []int{0, 1}, 1},
		{"going up takes the margin",
			estimate{bps: 1_600_000}, []demand{floor(1)}, []int{1}, 0},
		{"a layer above the lowest stays within the ceiling",
			estimate{bps: 3_000_000, ceiling: 700_000}, []demand{floor(0)}, []int{1}, 0},
		{"the lowest layer goes by the estimate alone",
			estimate{bps: 300_000, ceiling: 50_000}, []demand{floor(-1)}, []int{0}, 0},
		{"the ceiling keeps room for the later tracks' lowest layers",
			estimate{bps: 3_000_000, ceiling: 700_000}, []demand{
				video("s/camera", int(QualityLow), QualityLow, 0), floor(0),
			}, []int{0, 0}, 1},
		{"staying needs no margin",
			estimate{bps: 1_510_000}, []demand{floor(2)}, []int{2}, -1},
		{"resuming the low layer takes all of it",
			estimate{bps: 140_000}, []demand{floor(-1)}, []int{-1}, 0},
		{"the low layer is kept down to keepMargin of its rate",
			estimate{bps: 130_000}, []demand{floor(0)}, []int{0}, 0},
		{"and dropped below it",
			estimate{bps: 120_000}, []demand{floor(0)}, []int{-1}, 0},
		{"the floor before a screen share before thumbnails",
			estimate{bps: 750_000}, []demand{
				video("c/camera", int(QualityLow), QualityLow, -1),
				video("b/screen", 50, QualityHigh, -1),
				floor(-1),
			}, []int{-1, 0, 1}, 2},
		{"ties by track ID, whatever the order gathered",
			estimate{bps: 350_000}, []demand{
				video("z/camera", 1, QualityLow, -1),
				video("b/camera", 1, QualityLow, -1),
				video("m/camera", 1, QualityLow, -1),
			}, []int{-1, 0, 0}, 0},
		{"off and sourceless tracks get nothing and are not limited",
			estimate{bps: 100_000}, []demand{
				video("a/camera", 3, QualityOff, 2),
				{id: "b/camera", priority: 3, want: QualityOff, cur: -1},
			}, []int{-1, -1}, -1},
		{"wanting less than high",
			estimate{bps: 5_000_000}, []demand{video("a/camera", 2, QualityMedium, -1)}, []int{1}, -1},
		{"a track without simulcast goes while anything is left",
			estimate{bps: 50_000}, []demand{{id: "w/camera", priority: 3, want: QualityHigh, cur: -1, layers: [3]int{0, 0, 2_000_000}}},
			[]int{2}, -1},
		{"and pauses when nothing is",
			estimate{bps: 50_000}, []demand{audio("a/mic", 60_000), {id: "w/camera", priority: 3, want: QualityHigh, cur: -1, layers: [3]int{0, 0, 2_000_000}}},
			[]int{0, -1}, 1},
		{"a missing layer is skipped",
			estimate{bps: 700_000}, []demand{{id: FloorTrack, priority: 100, want: QualityHigh, cur: -1, layers: [3]int{150_000, 0, 1_500_000}}},
			[]int{0}, 0},
		// A commune line (GCC says about 290 kbit/s for 400 kbit/s with
		// 3% loss): the floor's voice and picture before other voices.
		{"a thin link: the floor's audio and low layer before other halls' audio",
			estimate{bps: 220_000}, []demand{
				audio("f/mic", 60_000), other("x/mic", 60_000, 0), other("y/mic", 60_000, 0), floor(-1),
			}, []int{0, -1, -1, 0}, 3},
		{"other audio that fits beside the floor's low layer goes, by track ID",
			estimate{bps: 290_000}, []demand{
				audio("f/mic", 60_000), other("y/mic", 60_000, -1), other("x/mic", 60_000, -1), floor(0),
			}, []int{0, -1, 0, 0}, 3},
		{"other audio is kept down to keepMargin of its rate",
			estimate{bps: 265_000}, []demand{
				audio("f/mic", 60_000), other("x/mic", 60_000, 0), floor(0),
			}, []int{0, 0, 0}, 2},
		{"a good link: every voice and the floor on high",
			estimate{bps: 3_000_000}, []demand{
				audio("f/mic", 60_000), other("x/mic", 60_000, -1), other("y/mic", 60_000, -1), floor(2),
			}, []int{0, 0, 0, 2}, -1},
		{"an estimate feedback has not tested yet: the lowest layer only",
			estimate{bps: 5_000_000, unconfirmed: true}, []demand{floor(-1), {id: "w/camera", priority: 3, want: QualityHigh, cur: -1, layers: [3]int{0, 0, 2_000_000}}},
			[]int{0, 2}, 0},
		{"a paused floor keeps the strip from what it needs to resume",
			estimate{bps: 160_000}, []demand{
				audio("f/mic", 40_000), {id: FloorTrack, priority: floorPriority, want: QualityHigh, cur: -1, layers: [3]int{130_000, 500_000, 0}},
				{id: "s/camera", priority: int(QualityLow), want: QualityLow, cur: -1, layers: [3]int{100_000, 0, 0}},
			}, []int{0, -1, -1}, 1},
		{"a floor that fits leaves the rest to the strip",
			estimate{bps: 300_000}, []demand{
				audio("f/mic", 40_000), {id: FloorTrack, priority: floorPriority, want: QualityHigh, cur: -1, layers: [3]int{110_000, 500_000, 0}},
				{id: "s/camera", priority: int(QualityLow), want: QualityLow, cur: -1, layers: [3]int{100_000, 0, 0}},
			}, []int{0, 0, 0}, 1},
		{"no floor: other audio needs no room for it",
			estimate{bps: 130_000}, []demand{other("x/mic", 60_000, -1), other("y/mic", 60_000, -1)}, []int{0, 0}, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := plan(c.est, c.demands)
			if !slices.Equal(a.layers, c.want) {
				t.Errorf("layers = %v, want %v", a.layers, c.want)
			}
			if a.limited != c.limited {
				t.Errorf("limited = %d, want %d", a.limited, c.limited)
			}
		})
	}
}

// TestPlanHysteresis walks an estimate down and up: the floor leaves a
// layer only below its rate and comes back only above its rate with the
// margin, so an estimate wobbling around a layer's rate does not flap.
func TestPlanHysteresis(t *testing.T) {
	steps := []struct {
		bps  int
		want int
	}{
		{2_000_000, 2},
		{1_500_000, 2}, // just covers high: stays
		{1_400_000, 1}, // below: down to medium
		{1_600_000, 1}, // above high's rate, below its margin: stays
		{1_750_000, 2}, // 1.5 M × 1.15 = 1.725 M: up
		{160_000, 0},
		{130_000, 0}, // keeps low down to 85 %
		{120_000, -1},
		{140_000, -1}, // resuming takes all of low
		{150_000, 0},
	}
	cur := -1
	for i, s := range steps {
		a := plan(estimate{bps: s.bps}, []demand{video(FloorTrack, 100, QualityHigh, cur)})
		if a.layers[0] != s.want {
			t.Errorf("step %d (%d bit/s, on %d): layer %d, want %d", i, s.bps, cur, a.layers[0], s.want)
		}
		cur = a.layers[0]
	}
}

// TestPlanNeedCountsLaterTracks: the prober aims at what the limited
// track's better layer takes beside the lowest layers of the tracks after
// it, the rate the ceiling then has to allow.
func TestPlanNeedCountsLaterTracks(t *testing.T) {
	ds := []demand{video("s/camera", int(QualityLow), QualityLow, 0), video(FloorTrack, 100, QualityHigh, 0)}
	a := plan(estimate{bps: 3_000_000, ceiling: 700_000}, ds)
	want := int(float64(hall[2])*upgradeMargin) + hall[0]
	if a.limited != 1 || a.limitedNeed != want {
		t.Fatalf("limited %d need %d, want 1 and %d", a.limited, a.limitedNeed, want)
	}
	// A probe proving it lets the floor up to high, the strip still on low.
	a = plan(estimate{bps: 3_000_000, ceiling: want}, ds)
	if !slices.Equal(a.layers, []int{0, 2}) {
		t.Errorf("layers with the need proven = %v, want [0 2]", a.layers)
	}
}

// TestPlanUsedAndNeed: what the prober is told.
func TestPlanUsedAndNeed(t *testing.T) {
	a := plan(estimate{bps: 1_000_000}, []demand{audio("a/mic", 100_000), video(FloorTrack, 100, QualityHigh, 1)})
	if a.used != 600_000 {
		t.Errorf("used = %d, want 600000 (audio and medium)", a.used)
	}
	// Audio plus high with the margin.
	if want := 100_000 + int(float64(hall[2])*upgradeMargin); a.limitedNeed != want {
		t.Errorf("limitedNeed = %d, want %d", a.limitedNeed, want)
	}
}

// TestPlanFloorOutlastsADip: the floor's lowest layer, once sent, stays
// through a dip of the estimate while a recent one covered it; a strip
// camera does not, and a paused floor resumes on the estimate alone.
func TestPlanFloorOutlastsADip(t *testing.T) {
	for _, tc := range []struct {
		name   string
		d      demand
		recent int
		want   int
	}{
		{"floor kept through the dip", video(FloorTrack, floorPriority, QualityHigh, 0), 200_000, 0},
		{"floor paused when the dip lasts", video(FloorTrack, floorPriority, QualityHigh, 0), 80_000, -1},
		{"a paused floor resumes only on the estimate", video(FloorTrack, floorPriority, QualityHigh, -1), 200_000, -1},
		{"a strip camera paused in the dip", video("hall-2/camera", 10, QualityLow, 0), 200_000, -1},
	} {
		a := plan(estimate{bps: 80_000, recent: tc.recent}, []demand{tc.d})
		if a.layers[0] != tc.want {
			t.Errorf("%s: layer %d, want %d", tc.name, a.layers[0], tc.want)
		}
	}
}

// TestPlanKeyframeMustDrain: on a troubled line (a ceiling) a switch up
// takes a layer whose key frame drains within keyframeDrain at the
// estimate or the ceiling, the lower; a clean line and a layer already
// sent do not ask it.
func TestPlanKeyframeMustDrain(t *testing.T) {
	d := func(cur, key int) demand {
		v := demand{id: FloorTrack, priority: floorPriority, want: QualityHigh, cur: cur, layers: [3]int{100_000, 200_000, 0}}
		v.keys[1] = key
		return v
	}
	for _, tc := range []struct {
		name string
		est  estimate
		d    demand
		want int
	}{
		{"a 20 KB key frame at 300 kbit/s: stays low", estimate{bps: 300_000, ceiling: 300_000}, d(0, 20_000), 0},
		{"a 10 KB key frame at 300 kbit/s: medium", estimate{bps: 300_000, ceiling: 300_000}, d(0, 10_000), 1},
		{"a clean line: medium", estimate{bps: 300_000}, d(0, 20_000), 1},
		{"already on medium: stays", estimate{bps: 300_000, ceiling: 300_000}, d(1, 20_000), 1},
		// GCC above what the line has carried (it holds its estimate under
		// 2–10 % loss): the key frame must drain at the ceiling.
		{"a 15 KB key frame, GCC at 600 kbit/s, the line at 300: stays low", estimate{bps: 600_000, ceiling: 300_000}, d(0, 15_000), 0},
		{"a 10 KB key frame, GCC at 600 kbit/s, the line at 300: medium", estimate{bps: 600_000, ceiling: 300_000}, d(0, 10_000), 1},
	} {
		if a := plan(tc.est, []demand{tc.d}); a.layers[0] != tc.want {
			t.Errorf("%s: layer %d, want %d", tc.name, a.layers[0], tc.want)
		}
	}
}

// TestPlanLossyRoom: on a troubled line still losing packets (the
// estimate's loss), a switch up leaves a quarter of the line free beside
// the new plan and its NACK answers, and the key frame drains within
// keyframeSpare through what is free; a line without loss, the lowest
// layer and a layer already sent do not ask it.
func TestPlanLossyRoom(t *testing.T) {
	floor := func(cur, medium, key int) demand {
		v := demand{id: FloorTrack, priority: floorPriority, want: QualityHigh, cur: cur, layers: [3]int{60_000, medium, 0}}
		v.keys[1] = key
		return v
	}
	audio := demand{id: "hall-20/microphone", audio: true, must: true, rate: 90_000}
	line := estimate{bps: 400_000, ceiling: 400_000, loss: 0.03}
	for _, tc := range []struct {
		name  string
		est   estimate
		floor demand
		want  int
	}{
		// 90 + 150 kbit/s with 3 % of copies: 247 of 400, 153 free
		// (9.5 KB in 0.5 s).
		{"medium at 150 kbit/s, a 9 KB key frame: medium", line, floor(0, 150_000, 9_000), 1},
		{"medium at 150 kbit/s, a 10 KB key frame: stays low", line, floor(0, 150_000, 10_000), 0},
		// The commune line: 90 + 210 kbit/s, 309 of 400, under a quarter free.
		{"medium at 210 kbit/s, a 1 KB key frame: stays low", line, floor(0, 210_000, 1_000), 0},
		{"the same on a 420 kbit/s line: medium", estimate{bps: 420_000, ceiling: 420_000, loss: 0.03}, floor(0, 210_000, 1_000), 1},
		{"no loss on the line: medium", estimate{bps: 400_000, ceiling: 400_000}, floor(0, 200_000, 9_000), 1},
		{"already on medium: stays", line, floor(1, 200_000, 9_000), 1},
		{"GCC above the ceiling: the ceiling counts", estimate{bps: 600_000, ceiling: 400_000, loss: 0.03}, floor(0, 210_000, 1_000), 0},
	} {
		if a := plan(tc.est, []demand{audio, tc.floor}); a.layers[1] != tc.want {
			t.Errorf("%s: layer %d, want %d", tc.name, a.layers[1], tc.want)
		}
	}
	if !lossyRoom(line, 240_000, 9_000) || lossyRoom(line, 240_000, 10_000) || lossyRoom(line, 292_000, 0) {
		t.Error("lossyRoom: 9 KB should drain through 152.8 kbit/s in 0.5 s, 10 KB not; 292 kbit/s with 3 % is past three quarters of 400")
	}
}
