package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// sfuCounters are the SFU's own counters, read from /metrics: what it
// received and sent, not what the generator believes it sent.
type sfuCounters struct {
	packetsIn, packetsOut float64
	bytesOut              float64
	dropped               float64
	switches              float64
	nacks, nacksAnswered  float64
	relay                 relayCounters
	forwardDelay          promHist // cau_sfu_forward_delay_seconds
}

func scrapeSFU(ctx context.Context, base string) (sfuCounters, error) {
	c := sfuCounters{relay: relayCounters{streams: map[relayKey]float64{}, packets: map[relayKey]float64{}, bytes: map[relayKey]float64{}}, forwardDelay: promHist{}}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(base, "/")+"/metrics", nil)
	if err != nil {
		return c, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		if c.forwardDelay.add("cau_sfu_forward_delay_seconds", name, v) {
			continue
		}
		if strings.HasPrefix(name, "cau_sfu_relay_") {
			c.relay.parse(name, v)
			continue
		}
		switch name {
		case "cau_sfu_packets_received_total":
			c.packetsIn = v
		case "cau_sfu_packets_forwarded_total":
			c.packetsOut = v
		case "cau_sfu_bytes_forwarded_total":
			c.bytesOut = v
		case "cau_sfu_packets_dropped_total":
			c.dropped = v
		case `cau_sfu_layer_switches_total`:
			c.switches = v
		case "cau_sfu_nacks_received_total":
			c.nacks = v
		case "cau_sfu_nacks_answered_total":
			c.nacksAnswered = v
		}
	}
	return c, sc.Err()
}
