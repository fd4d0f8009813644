package loadtest

import (
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A hall's join (join_ms_*) is signaling only: the WebSocket, the join
// message and its answer, then the up connection's offer and the SFU's
// answer for the video (and for the two unmuted halls the audio's); ICE
// and DTLS finish after it, in the background. On the shared 2-core
// machine each step can wait for a core in the generator or in the
// server, so the report splits the join into its steps, each bounded by
// a socket event one side can see, and by its place in the ramp.

// Join steps, in order; the report's join_steps_ms keys.
const (
	stepDial      = "dial"       // start to the join message written: the WebSocket's dial and upgrade
	stepJoined    = "joined"     // join written to "joined" read: the server's join and the read loop's wake
	stepOffer     = "offer"      // Dial's return to the video offer written: the generator's CreateOffer and SetLocalDescription
	stepAnswer    = "answer"     // offer written to the answer read: the server's answer and the read loop's wake
	stepSetRemote = "set_remote" // answer read to the video published: the generator's SetRemoteDescription
	stepAudio     = "audio"      // the audio's publication, unmuted halls only
)

var joinStepNames = []string{stepDial, stepJoined, stepOffer, stepAnswer, stepSetRemote, stepAudio}

// joinTimes are the instants of one hall's join; zero where not reached.
type joinTimes struct {
	mu        sync.Mutex
	start     time.Time
	joinSent  time.Time
	offerSent time.Time // the first up offer written (the video's)
	dialed    time.Time // Dial returned
	video     time.Time // the video publication returned
	done      time.Time
}

// onSend notes the first join and offer messages' writes (sfuclient.Options.OnSend).
func (j *joinTimes) onSend(typ string, at time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case typ == "join" && j.joinSent.IsZero():
		j.joinSent = at
	case typ == "offer" && j.offerSent.IsZero():
		j.offerSent = at
	}
}

// mark sets *at to t (one of j's times).
func (j *joinTimes) mark(at *time.Time, t time.Time) {
	j.mu.Lock()
	*at = t
	j.mu.Unlock()
}

// steps are the join's steps, from its times and the client's first
// "joined" and "answer" events (read times); a step whose ends are not
// both known is left out.
func (j *joinTimes) steps(joined, answered time.Time, audio bool) map[string]time.Duration {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := map[string]time.Duration{}
	put := func(name string, a, b time.Time) {
		if !a.IsZero() && !b.IsZero() {
			out[name] = b.Sub(a)
		}
	}
	put(stepDial, j.start, j.joinSent)
	put(stepJoined, j.joinSent, joined)
	put(stepOffer, j.dialed, j.offerSent)
	put(stepAnswer, j.offerSent, answered)
	put(stepSetRemote, answered, j.video)
	if audio {
		put(stepAudio, j.video, j.done)
	}
	return out
}

// joinSteps are h's join steps (after start returned).
func (h *hall) joinSteps() map[string]time.Duration {
	var joined, answered time.Time
	for _, ev := range h.client.Events() {
		switch {
		case ev.Type == "joined" && joined.IsZero():
			joined = ev.At
		case ev.Type == "answer" && answered.IsZero():
			answered = ev.At
		}
	}
	return h.times.steps(joined, answered, h.audio != nil)
}

// JoinRecord is one hall's join: its place in join order (from 0), the
// whole and each step (ms).
type JoinRecord struct {
	Index   int                `json:"index"`
	Ms      float64            `json:"ms"`
	StepsMs map[string]float64 `json:"steps_ms"`
}

// joinSlowest is how many of the slowest joins the report lists.
const joinSlowest = 5

// setJoins fills the join figures from the connected halls (any order):
// each step's p50 and p99, each second of the ramp's p50, p99 and max
// (perSecond halls a second in join order), and the slowest joins.
func (r *Report) setJoins(halls []*hall, perSecond int) {
	if len(halls) == 0 {
		return
	}
	hists := map[string]*Histogram{}
	var recs []JoinRecord
	bySecond := map[int]*Histogram{}
	for _, h := range halls {
		rec := JoinRecord{Index: h.index, Ms: ms(h.join), StepsMs: map[string]float64{}}
		for name, d := range h.joinSteps() {
			if hists[name] == nil {
				hists[name] = NewHistogram()
			}
			hists[name].Record(d)
			rec.StepsMs[name] = ms(d)
		}
		recs = append(recs, rec)
		s := h.index / max(perSecond, 1)
		if bySecond[s] == nil {
			bySecond[s] = NewHistogram()
		}
		bySecond[s].Record(h.join)
	}
	r.JoinStepsMs = map[string][2]float64{}
	for _, name := range joinStepNames {
		if hh := hists[name]; hh != nil {
			r.JoinStepsMs[name] = [2]float64{ms(hh.Quantile(0.5)), ms(hh.Quantile(0.99))}
		}
	}
	last := 0
	for s := range bySecond {
		last = max(last, s)
	}
	r.JoinMsByRampSecond = make([][3]float64, last+1)
	for s, hh := range bySecond {
		r.JoinMsByRampSecond[s] = [3]float64{ms(hh.Quantile(0.5)), ms(hh.Quantile(0.99)), ms(hh.Max())}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Ms > recs[j].Ms })
	r.JoinSlowest = recs[:min(joinSlowest, len(recs))]
}

// machineIdle is the machine's idle and I/O-wait time, summed over its
// CPUs (/proc/stat); zero where unreadable.
func machineIdle() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait …
	if len(f) < 6 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for _, s := range f[4:6] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// rampLoad is what the processes and the machine did over the ramp.
type rampLoad struct {
	server, gen ProcSample
	idle        time.Duration
	at          time.Time
}

func readRampLoad(serverPID int) rampLoad {
	l := rampLoad{idle: machineIdle(), at: time.Now()}
	l.server, _ = ReadProc(serverPID)
	l.gen, _ = ReadProc(os.Getpid())
	return l
}

// setRamp fills the ramp's CPU figures between a and b.
func (r *Report) setRamp(a, b rampLoad, serverPID int) {
	wall := b.at.Sub(a.at)
	if wall <= 0 {
		return
	}
	r.RampSeconds = wall.Seconds()
	if serverPID != 0 && b.server.CPU > 0 {
		r.RampServerFaultsPerS = float64(b.server.Faults-a.server.Faults) / wall.Seconds()
		r.RampServerCPUCores = CPUCores(a.server, b.server)
		r.RampServerRunQueueWaitMsPerS, _ = RunQueueWait(a.server, b.server)
	}
	r.RampGeneratorCPUCores = CPUCores(a.gen, b.gen)
	r.RampGeneratorRunQueueWaitMsPerS, _ = RunQueueWait(a.gen, b.gen)
	r.RampMachineIdleCores = float64(b.idle-a.idle) / float64(wall)
	r.RampGeneratorFaultsPerS = float64(b.gen.Faults-a.gen.Faults) / wall.Seconds()
}
