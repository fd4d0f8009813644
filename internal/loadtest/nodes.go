package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Node is one SFU node of a cluster the halls are spread over
// (Options.Nodes): its base URL and, to read its CPU and memory, its
// process ID.
type Node struct {
	URL string
	PID int
}

// Spreads of halls over nodes.
const (
	// SpreadUnits keeps a unit's halls together, as the join API places
	// them: the province hall (the first) on the first node, the rest in
	// contiguous blocks, one per node (a district's communes on its node).
	SpreadUnits = "units"
	// SpreadRoundRobin puts hall i on node i mod n.
	SpreadRoundRobin = "round-robin"
)

// nodeOf is the node of hall i of n halls over k nodes.
func nodeOf(spread string, i, n, k int) int {
	if k <= 1 {
		return 0
	}
	if spread == SpreadRoundRobin {
		return i % k
	}
	block := (n + k - 1) / k
	return min(i/block, k-1)
}

// hops is how many relays a packet from a publisher on node a crosses to
// a subscriber on node b: none on one node, one between the home and an
// edge, two between edges (edge → home → edge).
func hops(a, b, home int) int {
	switch {
	case a == b:
		return 0
	case a == home || b == home:
		return 1
	default:
		return 2
	}
}

// NodeReport is one node in a run over several nodes: its halls, its CPU
// and memory, and what it received and sent (its own /metrics) in the
// window.
type NodeReport struct {
	URL      string  `json:"url"`
	Home     bool    `json:"home"`
	Halls    int     `json:"halls"`
	CPUCores float64 `json:"cpu_cores"`
	RSSBytes int64   `json:"rss_bytes"`
	PPSIn    float64 `json:"pps_in"`
	PPSOut   float64 `json:"pps_out"`
}

// LinkReport is one direction of an inter-node link as one end counts it
// (cau_sfu_relay_*): the streams crossing it at the window's end, and
// its packets and bytes per second over the window.
type LinkReport struct {
	Node      string  `json:"node"` // the counting node's URL
	Link      string  `json:"link"` // the other node's ID
	Direction string  `json:"direction"`
	Streams   float64 `json:"streams"`
	PPS       float64 `json:"pps"`
	Bps       float64 `json:"bps"`
}

// HopReport is the audio delay (publisher to subscriber) of pairs of
// halls that many relays apart, and its excess over pairs on one node.
type HopReport struct {
	Hops          int     `json:"hops"`
	Packets       uint64  `json:"packets"`
	DelayMsP50    float64 `json:"delay_ms_p50"`
	DelayMsP99    float64 `json:"delay_ms_p99"`
	ExtraMsP50    float64 `json:"extra_ms_p50_per_hop"`
	ExtraMsP99    float64 `json:"extra_ms_p99_per_hop"`
	SubscriberSet int     `json:"subscriptions"`
}

// wsURL is a node's signaling URL.
func wsURL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("loadtest: %q is not an http(s) URL", base)
	}
	ws := *u
	ws.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	ws.Path = "/rtc"
	return ws.String(), nil
}

// relayKey names a series of the relay counters.
type relayKey struct{ link, direction string }

// relayCounters are a node's cau_sfu_relay_* series.
type relayCounters struct {
	streams, packets, bytes map[relayKey]float64
}

// parseRelay reads one /metrics line of the relay counters into c.
func (c *relayCounters) parse(name string, v float64) {
	base, labels, ok := strings.Cut(name, "{")
	if !ok {
		return
	}
	var m map[relayKey]float64
	switch base {
	case "cau_sfu_relay_streams":
		m = c.streams
	case "cau_sfu_relay_packets_total":
		m = c.packets
	case "cau_sfu_relay_bytes_total":
		m = c.bytes
	default:
		return
	}
	var k relayKey
	for _, kv := range strings.Split(strings.TrimSuffix(labels, "}"), ",") {
		key, val, _ := strings.Cut(kv, "=")
		val, _ = strconv.Unquote(val)
		switch key {
		case "link":
			k.link = val
		case "direction":
			k.direction = val
		}
	}
	m[k] = v
}

// homeOf is the index of the room's home among the nodes, from their
// relay counters: the node others relay to sends out on the most links.
func homeOf(ends []relayCounters) int {
	home, most := 0, 0
	for i, c := range ends {
		n := 0
		for k, v := range c.streams {
			if k.direction == "out" && v > 0 {
				n++
			}
		}
		if n > most {
			home, most = i, n
		}
	}
	return home
}

// nodeFigures fills the per-node, per-link and per-hop figures of a run
// over several nodes.
func (r *Report) nodeFigures(o Options, halls []*hall, c0, c1 []sfuCounters, p0, p1 []ProcSample, secs float64) {
	home := homeOf(relays(c1))
	r.HomeNode = o.Nodes[home].URL
	// The run's totals are the cluster's: every node's packets, CPU and
	// memory (relayed packets count on both ends, as they cost both).
	r.PPSIn, r.PPSOut, r.BpsOut, r.ServerCPUCores, r.ServerRSSBytes, r.DroppedAtSFU, r.LayerSwitches = 0, 0, 0, 0, 0, 0, 0
	for i, n := range o.Nodes {
		nr := NodeReport{URL: n.URL, Home: i == home}
		for _, h := range halls {
			if h.node == i {
				nr.Halls++
			}
		}
		if !p0[i].At.IsZero() && !p1[i].At.IsZero() {
			nr.CPUCores, nr.RSSBytes = CPUCores(p0[i], p1[i]), p1[i].RSSBytes
		}
		nr.PPSIn = (c1[i].packetsIn - c0[i].packetsIn) / secs
		nr.PPSOut = (c1[i].packetsOut - c0[i].packetsOut) / secs
		r.PPSIn, r.PPSOut = r.PPSIn+nr.PPSIn, r.PPSOut+nr.PPSOut
		r.BpsOut += (c1[i].bytesOut - c0[i].bytesOut) * 8 / secs
		r.DroppedAtSFU += int64(c1[i].dropped - c0[i].dropped)
		r.LayerSwitches += int64(c1[i].switches - c0[i].switches)
		r.ServerCPUCores, r.ServerRSSBytes = r.ServerCPUCores+nr.CPUCores, r.ServerRSSBytes+nr.RSSBytes
		r.Nodes = append(r.Nodes, nr)
		var keys []relayKey
		for k := range c1[i].relay.streams {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(a, b int) bool {
			return keys[a].link+keys[a].direction < keys[b].link+keys[b].direction
		})
		for _, k := range keys {
			r.Links = append(r.Links, LinkReport{Node: n.URL, Link: k.link, Direction: k.direction, Streams: c1[i].relay.streams[k],
				PPS: (c1[i].relay.packets[k] - c0[i].relay.packets[k]) / secs,
				Bps: (c1[i].relay.bytes[k] - c0[i].relay.bytes[k]) * 8 / secs})
			if k.direction == "out" {
				r.InterNodeStreams += int(c1[i].relay.streams[k])
			}
		}
	}
	// Audio delay by the relays between publisher and subscriber: each
	// microphone track names its hall, whose node is known.
	nodeByID := map[string]int{}
	for _, h := range halls {
		nodeByID[h.id] = h.node
	}
	byHops := map[int]*Histogram{}
	subs := map[int]int{}
	for _, h := range halls {
		for _, s := range h.stats() {
			owner, src, ok := strings.Cut(s.Track, "/")
			pub, known := nodeByID[owner]
			if !ok || src != "microphone" || !known {
				continue
			}
			k := hops(pub, h.node, home)
			if byHops[k] == nil {
				byHops[k] = NewHistogram()
			}
			byHops[k].Merge(s.Delay)
			subs[k]++
		}
	}
	base := byHops[0]
	for k := 0; k <= 2; k++ {
		hg := byHops[k]
		if hg == nil {
			continue
		}
		hr := HopReport{Hops: k, Packets: hg.Count(), DelayMsP50: ms(hg.Quantile(0.5)), DelayMsP99: ms(hg.Quantile(0.99)), SubscriberSet: subs[k]}
		if k > 0 && base != nil {
			hr.ExtraMsP50 = (hr.DelayMsP50 - ms(base.Quantile(0.5))) / float64(k)
			hr.ExtraMsP99 = (hr.DelayMsP99 - ms(base.Quantile(0.99))) / float64(k)
		}
		r.DelayByHops = append(r.DelayByHops, hr)
	}
}

func relays(cs []sfuCounters) []relayCounters {
	out := make([]relayCounters, len(cs))
	for i, c := range cs {
		out[i] = c.relay
	}
	return out
}

// scrapeNodes reads every node's counters (a node that does not answer
// counts zeros, and its error is returned).
func scrapeNodes(ctx context.Context, nodes []Node) ([]sfuCounters, error) {
	out := make([]sfuCounters, len(nodes))
	var first error
	for i, n := range nodes {
		c, err := scrapeSFU(ctx, n.URL)
		if err != nil && first == nil {
			first = fmt.Errorf("%s: %w", n.URL, err)
		}
		out[i] = c
	}
	return out, first
}

func readProcs(nodes []Node) []ProcSample {
	out := make([]ProcSample, len(nodes))
	for i, n := range nodes {
		if n.PID != 0 {
			if p, err := ReadProc(n.PID); err == nil {
				out[i] = p
			}
		}
	}
	return out
}

// writeNodes prints the per-node, per-link and per-hop figures.
func (r *Report) writeNodes(w io.Writer) error {
	if len(r.Nodes) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "node\thome\thalls\tCPU cores\tRSS MiB\tin pkt/s\tout pkt/s")
	for _, n := range r.Nodes {
		fmt.Fprintf(tw, "%s\t%v\t%d\t%.2f\t%.0f\t%.0f\t%.0f\n", n.URL, n.Home, n.Halls, n.CPUCores, float64(n.RSSBytes)/(1<<20), n.PPSIn, n.PPSOut)
	}
	fmt.Fprintln(tw, "\nlink (as counted by)\tdirection\tstreams\tpkt/s\tkbit/s")
	for _, l := range r.Links {
		fmt.Fprintf(tw, "%s ↔ %s\t%s\t%.0f\t%.0f\t%.0f\n", l.Node, l.Link, l.Direction, l.Streams, l.PPS, l.Bps/1000)
	}
	fmt.Fprintf(tw, "inter-node streams (out, all nodes)\t\t%d\t\t\n", r.InterNodeStreams)
	fmt.Fprintln(tw, "\nrelays on the path\taudio packets\tdelay p50 ms\tdelay p99 ms\textra per hop p50 ms\textra per hop p99 ms")
	for _, h := range r.DelayByHops {
		fmt.Fprintf(tw, "%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\n", h.Hops, h.Packets, h.DelayMsP50, h.DelayMsP99, h.ExtraMsP50, h.ExtraMsP99)
	}
	return tw.Flush()
}

// homeWait is how long the halls after the first wait, on several nodes,
// for the first hall's node to take the room's home lease (a heartbeat,
// 2 s by default).
const homeWait = 3 * time.Second
