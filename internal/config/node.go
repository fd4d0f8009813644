package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Roles a `cau serve` node plays (CAU_ROLES).
const (
	RoleAPI    = "api"    // the web client, the API, the meeting service
	RoleSFU    = "sfu"    // media: /rtc, WHIP/WHEP, a node of the directory
	RoleWorker = "worker" // the asynq job worker
)

// Node is the configuration of this process as one node of a cluster
// (internal/cluster): which roles it plays, how other nodes and clients
// reach it, and which units' halls it serves.
type Node struct {
	// Roles is CAU_ROLES, comma-separated api, sfu, worker. Default all
	// three: one process is the whole system. An SFU-only node serves
	// /rtc, WHIP/WHEP, /healthz, /readyz and /metrics, nothing else.
	Roles []string
	// ID is CAU_NODE_ID, this node's name in the directory (letters,
	// digits, '-', '.', '_'). Empty (the default): the process runs alone,
	// outside any directory; a node without both api and sfu needs one.
	ID string
	// PublicURL is CAU_NODE_PUBLIC_URL, how clients and other nodes reach
	// this node's /rtc and WHIP/WHEP (http(s)://host:port). Default
	// CAU_PUBLIC_URL.
	PublicURL string
	// Units is CAU_NODE_UNITS, comma-separated unit IDs whose halls and
	// people this node serves, with every unit below them (a district
	// node lists its district: its communes come with it). Empty: none
	// in particular.
	Units []int64
	// Parent is CAU_NODE_PARENT, the ID of the node this one relays
	// through (a commune node's district node): a room homed elsewhere is
	// relayed to the parent while it lives, which relays it on (chains,
	// cluster.RelayTarget). Empty: relays go straight to the room's home.
	Parent string
	// KeyFile is CAU_NODE_KEY_FILE, the Ed25519 private key (PKCS#8 PEM)
	// that every node of the cluster shares: node records and relay
	// grants are signed with it. Default "$CAU_DATA_DIR/keys/node.pem",
	// generated outside production.
	KeyFile string
	// Heartbeat is CAU_NODE_HEARTBEAT, how often a node renews its record
	// and its rooms' leases. Default 2s.
	Heartbeat time.Duration
	// TTL is CAU_NODE_TTL: a node (and a room's home) not renewed for this
	// long is gone. Default 6s: an edge node's halls are back on another
	// node well within the 10 s of issue 14.
	TTL time.Duration
}

// Clustered reports whether the node joins the directory (CAU_NODE_ID set).
func (n Node) Clustered() bool { return n.ID != "" }

// Has reports whether the node plays role.
func (n Node) Has(role string) bool { return slices.Contains(n.Roles, role) }

func defaultNode() Node {
	return Node{Roles: []string{RoleAPI, RoleSFU, RoleWorker}, Heartbeat: 2 * time.Second, TTL: 6 * time.Second}
}

// loadNode reads the CAU_NODE_* variables and CAU_ROLES over n.
func loadNode(getenv func(string) string, n *Node, c *Config) []error {
	var errs []error
	if v := strings.TrimSpace(getenv("CAU_ROLES")); v != "" {
		n.Roles = nil
		for _, r := range strings.Split(v, ",") {
			if r = strings.TrimSpace(r); r != "" && !slices.Contains(n.Roles, r) {
				n.Roles = append(n.Roles, r)
			}
		}
	}
	if v := strings.TrimSpace(getenv("CAU_NODE_ID")); v != "" {
		n.ID = v
	}
	n.PublicURL = strings.TrimSpace(getenv("CAU_NODE_PUBLIC_URL"))
	if n.PublicURL == "" {
		n.PublicURL = c.HTTP.PublicURL
	}
	if v := strings.TrimSpace(getenv("CAU_NODE_UNITS")); v != "" {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				errs = append(errs, fmt.Errorf("CAU_NODE_UNITS: %q is not a unit ID", s))
				continue
			}
			n.Units = append(n.Units, id)
		}
	}
	n.Parent = strings.TrimSpace(getenv("CAU_NODE_PARENT"))
	n.KeyFile = strings.TrimSpace(getenv("CAU_NODE_KEY_FILE"))
	if n.KeyFile == "" {
		n.KeyFile = filepath.Join(c.DataDir, "keys", "node.pem")
	}
	for name, dst := range map[string]*time.Duration{"CAU_NODE_HEARTBEAT": &n.Heartbeat, "CAU_NODE_TTL": &n.TTL} {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a duration like 2s", name, v))
				continue
			}
			*dst = d
		}
	}
	return errs
}

// validate checks the node settings, naming each bad variable.
func (n Node) validate() []error {
	var errs []error
	if len(n.Roles) == 0 {
		errs = append(errs, fmt.Errorf("CAU_ROLES: name at least one of api, sfu, worker"))
	}
	for _, r := range n.Roles {
		if r != RoleAPI && r != RoleSFU && r != RoleWorker {
			errs = append(errs, fmt.Errorf("CAU_ROLES: %q must be api, sfu or worker", r))
		}
	}
	if n.ID == "" && (!n.Has(RoleAPI) || !n.Has(RoleSFU)) && (n.Has(RoleAPI) || n.Has(RoleSFU)) {
		errs = append(errs, fmt.Errorf("CAU_NODE_ID: required when CAU_ROLES splits api and sfu across nodes"))
	}
	if n.ID != "" && !nodeName(n.ID) {
		errs = append(errs, fmt.Errorf("CAU_NODE_ID: %q must be 1–63 letters, digits, '-', '.' or '_'", n.ID))
	}
	switch {
	case n.Parent == "":
	case n.ID == "" || !n.Has(RoleSFU):
		errs = append(errs, fmt.Errorf("CAU_NODE_PARENT: only an SFU node of a cluster (CAU_NODE_ID, CAU_ROLES with sfu) relays through a parent"))
	case !nodeName(n.Parent):
		errs = append(errs, fmt.Errorf("CAU_NODE_PARENT: %q must be 1–63 letters, digits, '-', '.' or '_'", n.Parent))
	case n.Parent == n.ID:
		errs = append(errs, fmt.Errorf("CAU_NODE_PARENT: a node cannot be its own parent (%q)", n.Parent))
	}
	if u, err := url.Parse(n.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("CAU_NODE_PUBLIC_URL: %q is not an http(s) URL", n.PublicURL))
	}
	if n.Heartbeat < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("CAU_NODE_HEARTBEAT: %s is below 100ms", n.Heartbeat))
	}
	if n.TTL < 2*n.Heartbeat {
		errs = append(errs, fmt.Errorf("CAU_NODE_TTL: %s must be at least twice CAU_NODE_HEARTBEAT (%s)", n.TTL, n.Heartbeat))
	}
	return errs
}

// nodeName reports whether s is a valid node ID.
func nodeName(s string) bool {
	return len(s) > 0 && len(s) <= 63 && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_')
	}) < 0
}
