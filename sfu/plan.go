package sfu

import (
	"slices"
	"strings"
)

// estimate is a subscriber's downlink as the allocator sees it.
type estimate struct {
	bps int // bit/s
	// unconfirmed: no transport feedback has tested the estimate yet (it
	// is the configured initial one): video gets its lowest layer only.
	unconfirmed bool
	// ceiling (bit/s, 0 none): layers above a track's lowest are taken
	// only while all that is sent stays within it: what the link has
	// carried, or a probe proved (bandwidth.go).
	ceiling int
	// recent (bit/s, 0 none) is the highest estimate of the last
	// keepWindow: the floor's lowest layer, once sent, is kept within it.
	recent int
	// loss is the line's own loss (a fraction) on a troubled line (a
	// ceiling) that still loses packets, 0 otherwise: a switch up there
	// leaves room for the key frame and the NACK answers (keyframeSpare).
	loss float64
}

// demand is what one down track asks of the downlink, as gathered. All
// rates are wire rates in bit/s.
type demand struct {
	id    TrackID
	audio bool
	rate  int // audio: its rate, 0 when nothing is forwarded
	// must: audio sent whatever the estimate (the floor's, a viewer's
	// slots); other audio is sent when it fits beside the floor's lowest
	// layer.
	must bool

	priority int     // video: higher first (see priority)
	want     Quality // video: QualityOff pauses it (also: no source, or muted)
	cur      int     // the layer targeted now, -1 none
	layers   [3]int  // each published layer's rate, 0: not published
	keys     [3]int  // each layer's last key frame in bytes, 0 unknown
}

// allocation is a plan: what each demand gets.
type allocation struct {
	// layers is the layer index each demand gets, -1 paused; aligned
	// with the demands (audio: 0 sent, -1 not).
	layers []int
	// limited is the first video demand (in priority order) held below
	// what it wants, -1 none; limitedNeed is what the plan would take in
	// all to give it the best layer it wants, with the upgrade margin:
	// what the prober aims at.
	limited     int
	limitedNeed int
	used        int // bit/s the plan sends
}

// plan shares est among the demands: the floor's audio first, then the
// other audio if it fits beside the floor's lowest layer (a commune line
// keeps the speaker's voice and picture before the other halls' voices),
// then video by priority (ties by track ID), each video track taking the
// best layer at or below what it wants that fits what is left, with
// hysteresis: going up takes upgradeMargin over the layer's rate (a
// probe aims at that), staying or changing source on the same layer takes
// its rate, and the lowest layer (or an audio track) is kept down to
// keepMargin of its rate. Layers above a track's lowest also stay within
// the estimate's ceiling, with the lowest layers of the video after them.
// A track that fits no layer is paused, except a
// track without simulcast, sent if anything is left. plan is a pure
// function of its arguments.
func plan(est estimate, demands []demand) allocation {
	a := allocation{layers: make([]int, len(demands)), limited: -1}
	budget := est.bps
	var video, optional []int
	reserve := 0 // the floor's lowest layer, held while other audio is placed
	for i, d := range demands {
		a.layers[i] = -1
		switch {
		case d.audio && d.must:
			budget -= d.rate
			a.layers[i] = 0
		case d.audio:
			optional = append(optional, i)
		default:
			if d.priority == floorPriority && d.want > QualityOff {
				if k := lowest(d.layers); k >= 0 {
					reserve = d.layers[k]
				}
			}
			video = append(video, i)
		}
	}
	slices.SortFunc(optional, func(x, y int) int { return strings.Compare(string(demands[x].id), string(demands[y].id)) })
	budget -= reserve
	for _, i := range optional {
		need := demands[i].rate
		if demands[i].cur >= 0 {
			need = int(float64(need) * keepMargin)
		}
		if need <= budget {
			budget -= demands[i].rate
			a.layers[i] = 0
		}
	}
	budget += reserve
	// Ties go by track ID: demands come from a map, and a random order
	// gave the budget to a different one of equal tracks at every
	// allocation (strip cameras on a weak link took turns, low and off,
	// many times a second).
	slices.SortFunc(video, func(x, y int) int {
		if d := demands[y].priority - demands[x].priority; d != 0 {
			return d
		}
		return strings.Compare(string(demands[x].id), string(demands[y].id))
	})
	// later[j] is the lowest layers of the video after video[j]: a layer
	// above a track's lowest stays within the ceiling with them (else the
	// floor took medium within it and the strip's low layers, which go by
	// the estimate alone, pushed the total past what the link had shown).
	later := make([]int, len(video))
	for j := len(video) - 2; j >= 0; j-- {
		later[j] = later[j+1]
		if d := demands[video[j+1]]; d.want > QualityOff {
			if k := lowest(d.layers); k >= 0 {
				later[j] += d.layers[k]
			}
		}
	}
	// held is the floor's lowest layer while the floor is paused: the
	// video after it may not take what the floor needs to resume. A
	// floor whose low layer ran above a strip camera's (its key frames,
	// one more at each change of speaker) stayed paused while the strip
	// took the budget between the two, 5–15 % of a weak hall's time
	// without the floor (cau loadtest --weak-share --debug).
	held := 0
	for j, i := range video {
		d := &demands[i]
		if d.want == QualityOff {
			continue
		}
		chosen := -1
		top := min(int(d.want), 3) - 1
		if est.unconfirmed {
			top = min(top, max(lowest(d.layers), 0))
		}
		for k := top; k >= 0; k-- {
			if d.layers[k] == 0 {
				continue
			}
			need := d.layers[k]
			switch {
			case k == 0 && d.cur <= 0:
				// The lowest layer, resumed or kept: a paused picture is
				// the worst outcome, and a lossy line's estimate sits well
				// below what it carries (about 290 kbit/s for a 400 kbit/s
				// line with 3% loss), so the low layer goes while the
				// estimate covers most of it; resuming takes all of it
				// (hysteresis: each resume costs a key frame).
				if d.cur == 0 {
					need = int(float64(need) * keepMargin)
					if d.priority == floorPriority && est.recent > est.bps {
						// The floor's picture outlasts a dip of the
						// estimate (see keepWindow).
						need -= est.recent - est.bps
					}
				}
			case d.cur < k:
				// Going up (or resuming): only with room to spare.
				need = int(float64(need) * upgradeMargin)
			default:
				// Staying, or a new floor source on the same layer: no
				// margin (the rates are alike; with one, a commune hall's
				// floor was paused at every change of speaker).
			}
			if k > lowest(d.layers) && est.ceiling > 0 && est.bps-budget+need+later[j] > est.ceiling {
				continue // more than the link has shown it carries
			}
			if k > lowest(d.layers) && k != d.cur && est.ceiling > 0 && d.keys[k]*8 > int(float64(min(est.bps, est.ceiling))*keyframeDrain.Seconds()) {
				// Its key frame would overflow the line's queue (see
				// keyframeDrain), at what the line has carried: GCC's
				// estimate stays at 450–650 kbit/s on a 388 kbit/s commune
				// line losing 2–10 %, and measured against it the medium
				// layer's key frame passed, overflowed the queue and froze
				// the picture for 3 s (communeline.test.js).
				continue
			}
			if k > lowest(d.layers) && k != d.cur && est.loss > 0 && !lossyRoom(est, est.bps-budget+d.layers[k]+later[j], d.keys[k]) {
				continue // a lossy line's queue would stay full behind it
			}
			if need <= budget-held {
				chosen = k
				break
			}
		}
		if chosen < 0 && d.layers[0] == 0 && d.layers[1] == 0 && d.layers[2] > 0 && budget-held > 0 {
			// One layer only (no simulcast): send it if anything is left.
			chosen = 2
		}
		if a.limited < 0 {
			// est-budget is what the tracks before this one take; the
			// best layer it wants would replace what it has; the tracks
			// after it keep their lowest layers.
			for k := min(int(d.want), 3) - 1; k > chosen; k-- {
				if d.layers[k] > 0 {
					a.limited = i
					a.limitedNeed = est.bps - budget + int(float64(d.layers[k])*upgradeMargin) + later[j]
					break
				}
			}
		}
		if chosen >= 0 {
			budget -= d.layers[chosen]
		} else if k := lowest(d.layers); d.priority == floorPriority && k >= 0 {
			held = d.layers[k]
		}
		a.layers[i] = chosen
	}
	a.used = est.bps - max(budget, 0)
	return a
}

// lossyRoom reports whether a lossy line (the lower of the estimate and
// the ceiling) has room for a switch up after which the plan sends after
// (bit/s) and the copies answering the line's loss: lossyHeadroom of it
// left free, and the new layer's key frame of key bytes draining within
// keyframeSpare through what is left. See keyframeSpare.
func lossyRoom(est estimate, after, key int) bool {
	line := float64(min(est.bps, est.ceiling))
	steady := float64(after) * (1 + min(est.loss, lossyLink))
	return steady <= line*(1-lossyHeadroom) && float64(key*8) <= (line-steady)*keyframeSpare.Seconds()
}

// lowest is the index of the lowest layer published, -1 none.
func lowest(layers [3]int) int {
	for k, r := range layers {
		if r > 0 {
			return k
		}
	}
	return -1
}
