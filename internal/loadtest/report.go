package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the result of a run. The JSON keys are a contract (issue 8):
// benchmark history under bench/ and scripts compare runs by them.
type Report struct {
	Started     time.Time `json:"started"`
	DurationSec float64   `json:"duration_s"`
	Command     string    `json:"command"`
	Machine     string    `json:"machine"`

	Halls           int     `json:"halls"`
	HallsConnected  int     `json:"halls_connected"`
	JoinMsP50       float64 `json:"join_ms_p50"`
	JoinMsP99       float64 `json:"join_ms_p99"`
	FirstFrameMsP50 float64 `json:"first_frame_ms_p50"`
	FirstFrameMsP99 float64 `json:"first_frame_ms_p99"`
	// JoinStepsMs split the joins into their steps (join.go: dial, joined,
	// offer, answer, set_remote, audio), p50 and p99 of each over the
	// halls; JoinMsByRampSecond are the p50, p99 and max of each second's
	// joins in join order (the ramp's first second first), JoinSlowest the
	// slowest joins with their steps: whether the tail is the server's or
	// the generator's, and early or late in the ramp.
	JoinStepsMs        map[string][2]float64 `json:"join_steps_ms,omitempty"`
	JoinMsByRampSecond [][3]float64          `json:"join_ms_by_ramp_second,omitempty"`
	JoinSlowest        []JoinRecord          `json:"join_slowest,omitempty"`
	// Ramp* are the ramp's (first join to the last join's end): its length,
	// the server's and the generator's cores and waits for a core, and the
	// machine's idle cores (/proc/stat).
	RampSeconds                     float64 `json:"ramp_s,omitempty"`
	RampServerCPUCores              float64 `json:"ramp_server_cpu_cores,omitempty"`
	RampServerRunQueueWaitMsPerS    float64 `json:"ramp_server_runqueue_wait_ms_per_s,omitempty"`
	RampGeneratorCPUCores           float64 `json:"ramp_generator_cpu_cores,omitempty"`
	RampGeneratorRunQueueWaitMsPerS float64 `json:"ramp_generator_runqueue_wait_ms_per_s,omitempty"`
	RampMachineIdleCores            float64 `json:"ramp_machine_idle_cores,omitempty"`
	RampServerFaultsPerS            float64 `json:"ramp_server_page_faults_per_s,omitempty"`
	RampGeneratorFaultsPerS         float64 `json:"ramp_generator_page_faults_per_s,omitempty"`

	// Packet rates at the SFU, as seen by the generator: what the halls
	// sent (in) and what the subscribers received (out).
	PPSIn  float64 `json:"pps_in"`
	PPSOut float64 `json:"pps_out"`
	BpsIn  float64 `json:"bps_in"`
	BpsOut float64 `json:"bps_out"`

	// DelayMs* run from a publisher's stamp (taken by the generator before
	// its pion sends the packet) to the subscriber's read, over the
	// measured window (before session 10: from the first packet, the join
	// ramp included), as do WireDelayMs* and OutsideDelayMs*.
	DelayMsP50 float64 `json:"delay_ms_p50"`
	DelayMsP99 float64 `json:"delay_ms_p99"`
	DelayMsMax float64 `json:"delay_ms_max"`
	// SFUDelayMs* is the SFU's own part of the forward delay, from reading
	// a publisher's packet to writing a subscriber's copy (its
	// cau_sfu_forward_delay_seconds histogram, one write in 16, over the
	// window; interpolated within the histogram's buckets, so read a p99
	// of 4.2 as "under the 5 ms bucket"). delay_ms_* above also hold the
	// generator's own time, which on a shared machine is most of it.
	// WireDelayMs* run from the publisher's stamp to the datagram's
	// arrival at the subscribing hall's socket (the kernel's receive
	// time; normal halls, wiretime.go): the SFU's part, its socket queues
	// included, and loopback's, and the publisher's own pion and waits.
	WireDelayMsP50 float64 `json:"wire_delay_ms_p50"`
	WireDelayMsP99 float64 `json:"wire_delay_ms_p99"`
	// OutsideDelayMs* run from the publisher's socket (the call of the
	// write that handed the datagram to the kernel) to its arrival at the
	// subscribing hall's socket (the kernel's receive time; normal halls,
	// sendtime.go): the SFU and the kernel's loopback, none of the
	// generator's pion. Over OutsideDelaySamples packets (audio packets
	// and video frames' first, from the normal halls: a weak hall's
	// sockets are the shaper's and time nothing sent), of
	// WireDelaySamples at the halls' sockets; OutsideDelayMissed were
	// from timed publishers but their send no longer held (its slot
	// overwritten: sendtime.go), left out.
	OutsideDelayMsP50 float64 `json:"outside_delay_ms_p50"`
	OutsideDelayMsP99 float64 `json:"outside_delay_ms_p99"`
	OutsideDelayMsMax float64 `json:"outside_delay_ms_max"`
	// OutsideDelayLowMs* run from the write's return instead: the kernel
	// took the packet between the write's call and its return, so the
	// true delay lies between these and OutsideDelayMs*.
	OutsideDelayLowMsP50 float64 `json:"outside_delay_low_ms_p50"`
	OutsideDelayLowMsP99 float64 `json:"outside_delay_low_ms_p99"`
	OutsideDelaySamples  uint64  `json:"outside_delay_samples"`
	OutsideDelayMissed   int64   `json:"outside_delay_missed"`
	WireDelaySamples     uint64  `json:"wire_delay_samples"`
	// OutsideDelay*MsP99 split the delay from outside by kind (audio
	// packets; video frames' first packets, mostly the floor's), and
	// OutsideDelayByHallMs gives each hall's p50 and p99 in join order
	// (halls without samples: zeros), to see whether a tail follows a
	// kind or a place in the SFU's fan-out.
	OutsideDelayAudioMsP99 float64      `json:"outside_delay_audio_ms_p99"`
	OutsideDelayVideoMsP99 float64      `json:"outside_delay_video_ms_p99"`
	OutsideDelayByHallMs   [][2]float64 `json:"outside_delay_by_hall_ms,omitempty"`
	// PublisherWriteUs* are how long the publishers' socket writes took
	// (every RTP datagram, the window's): the send stamp is the write's
	// call, and the datagram reached the kernel at most this after it.
	PublisherWriteUsP99 float64 `json:"publisher_write_us_p99"`
	PublisherWriteUsMax float64 `json:"publisher_write_us_max"`
	SFUDelayMsP50       float64 `json:"sfu_delay_ms_p50"`
	SFUDelayMsP99       float64 `json:"sfu_delay_ms_p99"`

	// LossRatio is packets expected but not received over all subscriptions.
	LossRatio      float64 `json:"loss_ratio"`
	LossRatioWorst float64 `json:"loss_ratio_worst_subscriber"`
	LayerSwitches  int64   `json:"layer_switches"`
	// DroppedAtSFU counts packets the SFU dropped for slow subscribers.
	DroppedAtSFU int64 `json:"dropped_at_sfu"`

	// Subscriptions is how many received tracks (video and audio of every
	// hall; the console's are not counted) carried packets in the window:
	// the loss figures are over these, the delay figures over their packets.
	Subscriptions int `json:"subscriptions"`
	// SubscribersPerHall is --subscribers: each hall also watches that many
	// other halls' cameras in the low layer, so each camera has that many
	// extra subscribers.
	SubscribersPerHall int `json:"subscribers_per_hall"`

	// Weak and normal halls (--weak-share), each group's own figures in
	// the window: halls, loss over all its subscriptions and over its
	// audio alone, forward delay (audio and video packets, as the
	// overall delay_ms_*), the share of the window its
	// floor track spent on each layer ("off", "low", "medium", "high",
	// from the layer events the SFU sent it) and how many of its halls
	// had the floor on each layer at the window's end. With no weak halls
	// the weak_ figures are zero and normal_ covers every hall.
	WeakHalls             int                `json:"weak_halls"`
	WeakLossRatio         float64            `json:"weak_loss_ratio"`
	WeakAudioLossRatio    float64            `json:"weak_audio_loss_ratio"`
	WeakDelayMsP50        float64            `json:"weak_delay_ms_p50"`
	WeakDelayMsP99        float64            `json:"weak_delay_ms_p99"`
	WeakFloorLayers       map[string]float64 `json:"weak_floor_layers"`
	WeakFloorLayerAtEnd   map[string]int     `json:"weak_floor_layer_at_end"`
	NormalHalls           int                `json:"normal_halls"`
	NormalLossRatio       float64            `json:"normal_loss_ratio"`
	NormalAudioLossRatio  float64            `json:"normal_audio_loss_ratio"`
	NormalDelayMsP50      float64            `json:"normal_delay_ms_p50"`
	NormalDelayMsP99      float64            `json:"normal_delay_ms_p99"`
	NormalFloorLayers     map[string]float64 `json:"normal_floor_layers"`
	NormalFloorLayerAtEnd map[string]int     `json:"normal_floor_layer_at_end"`
	// WeakEstimateKbps and NormalEstimateKbps are the SFU's mean estimate
	// of each group's downlink (kbit/s) in its last stats to the console,
	// for telling a low estimate from an allocation that does not use it.
	WeakEstimateKbps   float64 `json:"weak_estimate_kbps"`
	NormalEstimateKbps float64 `json:"normal_estimate_kbps"`
	// WeakLink is the weak halls' line and what it did in the window.
	WeakLink *WeakLinkReport `json:"weak_link,omitempty"`

	ServerPID         int     `json:"server_pid,omitempty"`
	ServerCPUCores    float64 `json:"server_cpu_cores"`
	ServerRSSBytes    int64   `json:"server_rss_bytes"`
	GeneratorCPUCores float64 `json:"generator_cpu_cores"`
	// *RunQueueWait* are how long the server's and the generator's threads
	// waited for a core in the window (ProcSample.Waited): ms per second,
	// summed over threads, and µs per time slice on average.
	ServerRunQueueWaitMsPerS     float64 `json:"server_runqueue_wait_ms_per_s"`
	ServerRunQueueWaitUsPerSlice float64 `json:"server_runqueue_wait_us_per_slice"`
	GeneratorRunQueueWaitMsPerS  float64 `json:"generator_runqueue_wait_ms_per_s"`
	// GeneratorRSSBytes is the generator's resident memory at the window's
	// end, GeneratorFaultsPerS its page faults a second in the window.
	GeneratorRSSBytes   int64   `json:"generator_rss_bytes"`
	GeneratorFaultsPerS float64 `json:"generator_page_faults_per_s"`

	CPUMicrosPerForwardedPacket float64 `json:"cpu_us_per_forwarded_packet"`
	BytesPerParticipant         float64 `json:"bytes_per_participant"`

	// Baselines measured in the same run, so ratios survive machine drift.
	BaselineUDPLoopbackPPS float64 `json:"baseline_udp_loopback_pps"`

	// A run over several nodes (--nodes): the room's home, each node, each
	// direction of each inter-node link as its end counts it, the streams
	// sent between nodes, and the audio delay by relays on the path.
	HomeNode         string       `json:"home_node,omitempty"`
	Nodes            []NodeReport `json:"nodes,omitempty"`
	Links            []LinkReport `json:"links,omitempty"`
	InterNodeStreams int          `json:"inter_node_streams,omitempty"`
	DelayByHops      []HopReport  `json:"delay_by_hops,omitempty"`

	Errors []string `json:"errors,omitempty"`
}

// WeakLinkReport is the shaped downlink of the weak halls: its profile,
// the packets its queue dropped and its line lost in the window (all weak
// halls together), the rate each hall received on average and the
// longest queue wait, all in the window.
type WeakLinkReport struct {
	Kbps        int     `json:"kbps"`
	LossPercent float64 `json:"loss_percent"`
	DelayMs     float64 `json:"delay_ms"`
	QueueDrops  int64   `json:"queue_drops"`
	LineLosses  int64   `json:"line_losses"`
	KbpsUsed    float64 `json:"kbps_used_per_hall"`
	QueueMsMax  float64 `json:"queue_ms_max"`
}

// setDelays fills the delay figures from the window's.
func (r *Report) setDelays(w windowDelays) {
	r.DelayMsP50, r.DelayMsP99, r.DelayMsMax = ms(w.delay.Quantile(0.5)), ms(w.delay.Quantile(0.99)), ms(w.delay.Max())
	r.WireDelayMsP50, r.WireDelayMsP99 = ms(w.wire.Quantile(0.5)), ms(w.wire.Quantile(0.99))
	r.OutsideDelayMsP50, r.OutsideDelayMsP99, r.OutsideDelayMsMax = ms(w.outside.Quantile(0.5)), ms(w.outside.Quantile(0.99)), ms(w.outside.Max())
	r.OutsideDelaySamples, r.OutsideDelayMissed, r.WireDelaySamples = w.outside.Count(), w.missed, w.wire.Count()
	r.OutsideDelayLowMsP50, r.OutsideDelayLowMsP99 = ms(w.low.Quantile(0.5)), ms(w.low.Quantile(0.99))
	r.OutsideDelayAudioMsP99, r.OutsideDelayVideoMsP99 = ms(w.outsideAudio.Quantile(0.99)), ms(w.outsideVideo.Quantile(0.99))
	r.OutsideDelayByHallMs = nil
	for _, h := range w.outsideByHall {
		r.OutsideDelayByHallMs = append(r.OutsideDelayByHallMs, [2]float64{ms(h.Quantile(0.5)), ms(h.Quantile(0.99))})
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	r.PublisherWriteUsP99, r.PublisherWriteUsMax = us(w.writes.Quantile(0.99)), us(w.writes.Max())
}

// setGroups fills the weak_ and normal_ figures.
func (r *Report) setGroups(weak, normal groupFigures) {
	r.WeakHalls, r.WeakLossRatio, r.WeakAudioLossRatio = weak.halls, weak.loss, weak.audioLoss
	r.WeakDelayMsP50, r.WeakDelayMsP99 = weak.delayP50, weak.delayP9
	r.WeakFloorLayers, r.WeakFloorLayerAtEnd = weak.floorLayers, weak.floorAtEnd
	r.NormalHalls, r.NormalLossRatio, r.NormalAudioLossRatio = normal.halls, normal.loss, normal.audioLoss
	r.NormalDelayMsP50, r.NormalDelayMsP99 = normal.delayP50, normal.delayP9
	r.NormalFloorLayers, r.NormalFloorLayerAtEnd = normal.floorLayers, normal.floorAtEnd
}

// WriteJSON writes the report to path ("-" for stdout).
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "-" {
		_, err = os.Stdout.Write(b)
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}

// WriteTable prints the report for a person.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, args...)...) }
	row("halls connected", "%d / %d", r.HallsConnected, r.Halls)
	row("join p50 / p99", "%.0f ms / %.0f ms", r.JoinMsP50, r.JoinMsP99)
	if len(r.JoinStepsMs) > 0 {
		var b strings.Builder
		for _, name := range joinStepNames {
			if v, ok := r.JoinStepsMs[name]; ok {
				fmt.Fprintf(&b, "%s %.0f / %.0f  ", name, v[0], v[1])
			}
		}
		row("  steps p50 / p99 (ms)", "%s", strings.TrimSpace(b.String()))
		b.Reset()
		for _, v := range r.JoinMsByRampSecond {
			fmt.Fprintf(&b, "%.0f ", v[1])
		}
		row("  p99 by second of the ramp (ms)", "%s", strings.TrimSpace(b.String()))
		row("  ramp", "%.1f s: server %.2f cores (waiting %.0f ms/s, %.0f page faults/s), generator %.2f (waiting %.0f ms/s, %.0f page faults/s), machine idle %.2f cores",
			r.RampSeconds, r.RampServerCPUCores, r.RampServerRunQueueWaitMsPerS, r.RampServerFaultsPerS,
			r.RampGeneratorCPUCores, r.RampGeneratorRunQueueWaitMsPerS, r.RampGeneratorFaultsPerS, r.RampMachineIdleCores)
	}
	row("first frame p50 / p99", "%.0f ms / %.0f ms", r.FirstFrameMsP50, r.FirstFrameMsP99)
	row("packets/s in / out", "%.0f / %.0f", r.PPSIn, r.PPSOut)
	row("Mbit/s in / out", "%.1f / %.1f", r.BpsIn/1e6, r.BpsOut/1e6)
	row("forward delay p50 / p99 / max", "%.2f ms / %.2f ms / %.2f ms", r.DelayMsP50, r.DelayMsP99, r.DelayMsMax)
	row("  to the hall's socket p50 / p99", "%.2f ms / %.2f ms (kernel receive time)", r.WireDelayMsP50, r.WireDelayMsP99)
	row("  from outside p50 / p99 / max", "%.2f ms / %.2f ms / %.2f ms (publisher's socket to the hall's; %d packets of %d, %d not matched)",
		r.OutsideDelayMsP50, r.OutsideDelayMsP99, r.OutsideDelayMsMax, r.OutsideDelaySamples, r.WireDelaySamples, r.OutsideDelayMissed)
	row("  from outside, from the write's return", "%.2f ms / %.2f ms (p50 / p99: the true delay lies between)", r.OutsideDelayLowMsP50, r.OutsideDelayLowMsP99)
	row("  from outside p99 audio / video", "%.2f ms / %.2f ms (video: frames' first packets)", r.OutsideDelayAudioMsP99, r.OutsideDelayVideoMsP99)
	row("  publishers' socket writes p99 / max", "%.0f µs / %.0f µs (the send stamp's error bound)", r.PublisherWriteUsP99, r.PublisherWriteUsMax)
	row("  of it in the SFU p50 / p99", "%.2f ms / %.2f ms (its histogram's buckets)", r.SFUDelayMsP50, r.SFUDelayMsP99)
	row("loss (all / worst subscriber)", "%.4f%% / %.4f%%", r.LossRatio*100, r.LossRatioWorst*100)
	row("subscriptions measured", "%d (%d extra low cameras per hall)", r.Subscriptions, r.SubscribersPerHall)
	row("layer switches", "%d", r.LayerSwitches)
	row("dropped at the SFU (slow subscribers)", "%d", r.DroppedAtSFU)
	if r.ServerPID != 0 {
		row("server CPU", "%.2f cores (pid %d)", r.ServerCPUCores, r.ServerPID)
		row("server RSS", "%.0f MiB", float64(r.ServerRSSBytes)/(1<<20))
		row("CPU per forwarded packet", "%.2f µs", r.CPUMicrosPerForwardedPacket)
		row("memory per participant", "%.0f KiB", r.BytesPerParticipant/1024)
		row("server threads waiting for a core", "%.1f ms/s (%.0f µs per time slice)", r.ServerRunQueueWaitMsPerS, r.ServerRunQueueWaitUsPerSlice)
	}
	if r.WeakLink != nil {
		l := r.WeakLink
		row("weak link", "%d kbit/s, %.1f%% loss, +%.0f ms: %.0f kbit/s used per hall, queue ≤ %.0f ms, %d queue drops, %d lost on the line",
			l.Kbps, l.LossPercent, l.DelayMs, l.KbpsUsed, l.QueueMsMax, l.QueueDrops, l.LineLosses)
		row("weak halls", "%d: loss %.2f%% (audio %.2f%%), delay p50 / p99 %.1f / %.1f ms, floor %s, at end %s",
			r.WeakHalls, r.WeakLossRatio*100, r.WeakAudioLossRatio*100, r.WeakDelayMsP50, r.WeakDelayMsP99, shares(r.WeakFloorLayers), counts(r.WeakFloorLayerAtEnd))
		row("downlink estimates", "weak %.0f kbit/s, normal %.0f kbit/s (mean, last stats)", r.WeakEstimateKbps, r.NormalEstimateKbps)
	}
	row("normal halls", "%d: loss %.3f%% (audio %.3f%%), delay p50 / p99 %.1f / %.1f ms, floor %s, at end %s",
		r.NormalHalls, r.NormalLossRatio*100, r.NormalAudioLossRatio*100, r.NormalDelayMsP50, r.NormalDelayMsP99, shares(r.NormalFloorLayers), counts(r.NormalFloorLayerAtEnd))
	row("generator CPU", "%.2f cores (its threads waiting for a core %.1f ms/s), RSS %.0f MiB, %.0f page faults/s",
		r.GeneratorCPUCores, r.GeneratorRunQueueWaitMsPerS, float64(r.GeneratorRSSBytes)/(1<<20), r.GeneratorFaultsPerS)
	if r.BaselineUDPLoopbackPPS > 0 {
		row("baseline: UDP loopback", "%.0f packets/s (out/baseline = %.3f)", r.BaselineUDPLoopbackPPS, r.PPSOut/r.BaselineUDPLoopbackPPS)
	}
	for _, e := range r.Errors {
		row("error", "%s", e)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return r.writeNodes(w)
}

// layerOrder is how layer maps are printed, best first.
var layerOrder = []string{"high", "medium", "low", "off"}

func shares(m map[string]float64) string {
	var b strings.Builder
	for _, q := range layerOrder {
		if v, ok := m[q]; ok && v > 0 {
			fmt.Fprintf(&b, "%s %.0f%% ", q, v*100)
		}
	}
	return strings.TrimSpace(b.String())
}

func counts(m map[string]int) string {
	var b strings.Builder
	for _, q := range layerOrder {
		if v := m[q]; v > 0 {
			fmt.Fprintf(&b, "%s %d ", q, v)
		}
	}
	return strings.TrimSpace(b.String())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
