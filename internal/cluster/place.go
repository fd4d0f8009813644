package cluster

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Pick chooses the node a client of a unit joins a room on, from the live
// nodes: the node serving the nearest unit of the client's ancestry (its
// own unit first, then its parents: a commune's hall goes to its
// district's node), else the room's home, else the least loaded. Draining
// nodes are never picked; ties go to the lower ID. ErrNoNode when none is
// left.
func Pick(nodes []Node, ancestry []int64, home string) (Node, error) {
	live := slices.DeleteFunc(slices.Clone(nodes), func(n Node) bool { return n.Draining })
	if len(live) == 0 {
		return Node{}, ErrNoNode
	}
	slices.SortFunc(live, func(a, b Node) int { return strings.Compare(a.ID, b.ID) })
	for _, u := range ancestry {
		var best *Node
		for i, n := range live {
			if slices.Contains(n.Units, u) && (best == nil || n.Load < best.Load) {
				best = &live[i]
			}
		}
		if best != nil {
			return *best, nil
		}
	}
	if i := slices.IndexFunc(live, func(n Node) bool { return n.ID == home }); i >= 0 {
		return live[i], nil
	}
	best := live[0]
	for _, n := range live[1:] {
		if n.Load < best.Load {
			best = n
		}
	}
	return best, nil
}

// RelayTarget is the node self relays a room homed on home to: its parent
// (Node.Parent) while the parent is live and not draining, else the
// parent's parent, and so on, else the home itself; "" when self is the
// home or the room has none. Each node relays up its chain of parents and
// the top of the chain to the home (which relays nowhere), so a room's
// relays form a tree rooted at its home whatever node homes it: a parent
// relays on what a child brings it, and each stream crosses each link
// once. A chain that loops (parents misconfigured) counts as none:
// straight to the home. A parent gone from the directory ends the chain
// (its own parent is not known any more).
func RelayTarget(nodes []Node, self, home string) string {
	if home == "" || home == self {
		return ""
	}
	byID := make(map[string]Node, len(nodes))
	for _, n := range nodes {
		byID[n.ID] = n
	}
	var chain []string
	seen := map[string]bool{self: true}
	for id := byID[self].Parent; id != ""; id = byID[id].Parent {
		if seen[id] {
			return home
		}
		seen[id] = true
		chain = append(chain, id)
	}
	for _, id := range chain {
		if n, ok := byID[id]; ok && !n.Draining {
			return id
		}
	}
	return home
}

// SignalingURL is the WebSocket URL of /rtc under a public base URL.
func SignalingURL(public string) string {
	u, err := url.Parse(public)
	if err != nil {
		return ""
	}
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/rtc"
	return u.String()
}

// Placer places joining clients on nodes (the api role).
type Placer struct {
	dir    *Directory
	leases *Leases
	probe  func(ctx context.Context, n Node) error

	mu     sync.Mutex
	urls   []string // signaling URLs of the nodes last listed
	urlsAt time.Time
	alive  map[string]time.Time // node → when a probe last answered
	dead   map[string]time.Time // node → when a probe last failed
}

// NewPlacer returns a placer reading dir and leases.
func NewPlacer(dir *Directory, leases *Leases) *Placer {
	return &Placer{dir: dir, leases: leases, probe: ProbeReady, alive: map[string]time.Time{}, dead: map[string]time.Time{}}
}

// ProbeReady asks a node's /readyz, briefly: a node killed a moment ago
// refuses at once, one whose machine vanished times out.
func ProbeReady(ctx context.Context, n Node) error {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(n.URL, "/")+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("node %s: /readyz %s", n.ID, resp.Status)
	}
	return nil
}

// Place picks the node a client of the unit with this ancestry (its unit
// first, the root last; nil when unknown) joins room on. A home that is
// gone from the directory counts as none: the client lands on a live node
// and the room re-homes there when the lease lapses.
//
// A node dies some time before its record lapses (up to the TTL): the
// node picked is asked /readyz first (its answer remembered for 2 s, a
// failure for the TTL), and one that does not answer is passed over, so a
// hall whose node was just killed is not sent back to it. When no node
// answers (the api node cannot reach their public URLs), the directory's
// choice stands.
func (p *Placer) Place(ctx context.Context, room string, ancestry []int64) (Node, error) {
	nodes, _, err := p.dir.Nodes(ctx)
	if err != nil {
		return Node{}, err
	}
	p.remember(nodes)
	home, err := p.leases.Home(ctx, room)
	if err != nil {
		return Node{}, err
	}
	first, err := Pick(nodes, ancestry, home)
	if err != nil {
		return Node{}, err
	}
	for n, left := first, nodes; ; {
		if p.answers(ctx, n) {
			return n, nil
		}
		left = slices.DeleteFunc(slices.Clone(left), func(x Node) bool { return x.ID == n.ID })
		if n, err = Pick(left, ancestry, home); err != nil {
			return first, nil
		}
	}
}

// answers reports whether n answered a probe lately, probing it if not.
func (p *Placer) answers(ctx context.Context, n Node) bool {
	now := time.Now()
	p.mu.Lock()
	okAt, badAt := p.alive[n.ID], p.dead[n.ID]
	p.mu.Unlock()
	if now.Sub(okAt) < 2*time.Second && okAt.After(badAt) {
		return true
	}
	if now.Sub(badAt) < p.dir.ttl && badAt.After(okAt) && badAt.After(n.Seen) {
		return false // not asked again before its next heartbeat (a restart)
	}
	err := p.probe(ctx, n)
	p.mu.Lock()
	if err == nil {
		p.alive[n.ID] = time.Now()
	} else {
		p.dead[n.ID] = time.Now()
	}
	p.mu.Unlock()
	return err == nil
}

// SignalingURLs are the /rtc URLs of the live nodes, read at most every
// 5 s: where a client may be sent (the web client's Content-Security-Policy).
func (p *Placer) SignalingURLs(ctx context.Context) []string {
	p.mu.Lock()
	fresh := time.Since(p.urlsAt) < 5*time.Second
	urls := p.urls
	p.mu.Unlock()
	if fresh {
		return urls
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	nodes, _, err := p.dir.Nodes(ctx)
	if err != nil {
		return urls
	}
	return p.remember(nodes)
}

func (p *Placer) remember(nodes []Node) []string {
	urls := make([]string, 0, len(nodes))
	for _, n := range nodes {
		urls = append(urls, n.SignalingURL())
	}
	p.mu.Lock()
	p.urls, p.urlsAt = urls, time.Now()
	p.mu.Unlock()
	return urls
}
