package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
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

	// Packet rates at the SFU, as seen by the generator: what the halls
	// sent (in) and what the subscribers received (out).
	PPSIn  float64 `json:"pps_in"`
	PPSOut float64 `json:"pps_out"`
	BpsIn  float64 `json:"bps_in"`
	BpsOut float64 `json:"bps_out"`

	DelayMsP50 float64 `json:"delay_ms_p50"`
	DelayMsP99 float64 `json:"delay_ms_p99"`
	DelayMsMax float64 `json:"delay_ms_max"`

	// LossRatio is packets expected but not received over all subscriptions.
	LossRatio      float64 `json:"loss_ratio"`
	LossRatioWorst float64 `json:"loss_ratio_worst_subscriber"`
	LayerSwitches  int64   `json:"layer_switches"`
	// DroppedAtSFU counts packets the SFU dropped for slow subscribers.
	DroppedAtSFU int64 `json:"dropped_at_sfu"`

	ServerPID         int     `json:"server_pid,omitempty"`
	ServerCPUCores    float64 `json:"server_cpu_cores"`
	ServerRSSBytes    int64   `json:"server_rss_bytes"`
	GeneratorCPUCores float64 `json:"generator_cpu_cores"`

	CPUMicrosPerForwardedPacket float64 `json:"cpu_us_per_forwarded_packet"`
	BytesPerParticipant         float64 `json:"bytes_per_participant"`

	// Baselines measured in the same run, so ratios survive machine drift.
	BaselineUDPLoopbackPPS float64 `json:"baseline_udp_loopback_pps"`

	Errors []string `json:"errors,omitempty"`
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
	row("first frame p50 / p99", "%.0f ms / %.0f ms", r.FirstFrameMsP50, r.FirstFrameMsP99)
	row("packets/s in / out", "%.0f / %.0f", r.PPSIn, r.PPSOut)
	row("Mbit/s in / out", "%.1f / %.1f", r.BpsIn/1e6, r.BpsOut/1e6)
	row("forward delay p50 / p99 / max", "%.2f ms / %.2f ms / %.2f ms", r.DelayMsP50, r.DelayMsP99, r.DelayMsMax)
	row("loss (all / worst subscriber)", "%.4f%% / %.4f%%", r.LossRatio*100, r.LossRatioWorst*100)
	row("layer switches", "%d", r.LayerSwitches)
	row("dropped at the SFU (slow subscribers)", "%d", r.DroppedAtSFU)
	if r.ServerPID != 0 {
		row("server CPU", "%.2f cores (pid %d)", r.ServerCPUCores, r.ServerPID)
		row("server RSS", "%.0f MiB", float64(r.ServerRSSBytes)/(1<<20))
		row("CPU per forwarded packet", "%.2f µs", r.CPUMicrosPerForwardedPacket)
		row("memory per participant", "%.0f KiB", r.BytesPerParticipant/1024)
	}
	row("generator CPU", "%.2f cores", r.GeneratorCPUCores)
	if r.BaselineUDPLoopbackPPS > 0 {
		row("baseline: UDP loopback", "%.0f packets/s (out/baseline = %.3f)", r.BaselineUDPLoopbackPPS, r.PPSOut/r.BaselineUDPLoopbackPPS)
	}
	for _, e := range r.Errors {
		row("error", "%s", e)
	}
	return tw.Flush()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
