package cluster

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis keys of the directory.
const (
	nodesKey      = "cau:nodes"       // set of node IDs that registered
	nodeKeyPrefix = "cau:node:"       // + id: the signed record, with the TTL
	clusterKeyKey = "cau:cluster:key" // SHA-256 of the node public key the first node registered with
)

// Node is one SFU node as the directory knows it.
type Node struct {
	ID string `json:"id"`
	// URL is the node's public base URL (CAU_NODE_PUBLIC_URL): its /rtc
	// and WHIP/WHEP are under it.
	URL string `json:"url"`
	// Media are the node's media addresses (UDP and ICE-TCP), for
	// operators and firewall checks.
	Media []string `json:"media,omitempty"`
	// Units are the units whose halls and people the node serves, each
	// with everything below it.
	Units []int64 `json:"units,omitempty"`
	// Parent is the node this one relays through (CAU_NODE_PARENT).
	Parent string `json:"parent,omitempty"`
	// Load is the participants on the node now; Rooms its rooms.
	Load  int `json:"load"`
	Rooms int `json:"rooms"`
	// Draining: the node takes no new rooms or participants and asks its
	// calls to move.
	Draining bool `json:"draining,omitempty"`
	// Seen is when the record was last renewed, and TTLMillis how long it
	// lives without renewal (the writer's CAU_NODE_TTL): a reader judges a
	// heartbeat stale by the writer's TTL, not its own.
	Seen      time.Time `json:"seen"`
	TTLMillis int64     `json:"ttl_ms,omitempty"`
}

// stale reports whether n's last heartbeat is older than its writer's TTL
// (d's when the record does not say).
func (n Node) stale(d *Directory) bool {
	ttl := d.ttl
	if n.TTLMillis > 0 {
		ttl = time.Duration(n.TTLMillis) * time.Millisecond
	}
	return d.now().Sub(n.Seen) > ttl
}

// SignalingURL is the node's /rtc as a WebSocket URL.
func (n Node) SignalingURL() string { return SignalingURL(n.URL) }

// record is a node as stored: the record's JSON and its signature by the
// node key, so a reader checks exactly the bytes that were signed.
type record struct {
	Node json.RawMessage `json:"node"`
	Sig  []byte          `json:"sig"`
}

// Directory reads and writes node records. Safe for concurrent use.
type Directory struct {
	rdb *redis.Client
	key ed25519.PrivateKey
	pub ed25519.PublicKey
	ttl time.Duration
	now func() time.Time
}

// NewDirectory returns the directory in rdb; key is the cluster's node
// key (records are signed with it and verified with its public half);
// ttl is how long a record lives without renewal.
func NewDirectory(rdb *redis.Client, key ed25519.PrivateKey, ttl time.Duration) *Directory {
	return &Directory{rdb: rdb, key: key, pub: key.Public().(ed25519.PublicKey), ttl: ttl, now: time.Now}
}

// fingerprint identifies the node public key without revealing anything.
func fingerprint(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:])
}

// Register puts n in the directory for the TTL. The first registration of
// a cluster records the fingerprint of its node key; a node with another
// key gets ErrForeignKey and is not listed.
func (d *Directory) Register(ctx context.Context, n Node) error {
	fp := fingerprint(d.pub)
	if err := d.rdb.SetNX(ctx, clusterKeyKey, fp, 0).Err(); err != nil {
		return fmt.Errorf("register node %s: %w", n.ID, err)
	}
	got, err := d.rdb.Get(ctx, clusterKeyKey).Result()
	if err != nil {
		return fmt.Errorf("register node %s: %w", n.ID, err)
	}
	if got != fp {
		return fmt.Errorf("register node %s: %w (key %s…, cluster %s…)", n.ID, ErrForeignKey, fp[:12], got[:min(12, len(got))])
	}
	return d.Put(ctx, n)
}

// Put writes n's record, signed, for the TTL (the heartbeat).
func (d *Directory) Put(ctx context.Context, n Node) error {
	if n.ID == "" || n.URL == "" {
		return fmt.Errorf("%w: node without ID or URL", ErrInvalid)
	}
	n.Seen, n.TTLMillis = d.now().UTC(), d.ttl.Milliseconds()
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode node %s: %w", n.ID, err)
	}
	rec, err := json.Marshal(record{Node: body, Sig: ed25519.Sign(d.key, body)})
	if err != nil {
		return fmt.Errorf("encode node %s: %w", n.ID, err)
	}
	_, err = d.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, nodeKeyPrefix+n.ID, rec, d.ttl)
		p.SAdd(ctx, nodesKey, n.ID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("put node %s: %w", n.ID, err)
	}
	return nil
}

// Remove takes a node out of the directory at once (a clean shutdown).
func (d *Directory) Remove(ctx context.Context, id string) error {
	_, err := d.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, nodeKeyPrefix+id)
		p.SRem(ctx, nodesKey, id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove node %s: %w", id, err)
	}
	return nil
}

// Get returns one node: ErrNotFound when it is gone, ErrForged when its
// record is not signed with the cluster key.
func (d *Directory) Get(ctx context.Context, id string) (Node, error) {
	b, err := d.rdb.Get(ctx, nodeKeyPrefix+id).Bytes()
	if errors.Is(err, redis.Nil) {
		return Node{}, fmt.Errorf("node %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Node{}, fmt.Errorf("get node %s: %w", id, err)
	}
	return d.open(id, b)
}

// open verifies a stored record and decodes it.
func (d *Directory) open(id string, b []byte) (Node, error) {
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil || !ed25519.Verify(d.pub, rec.Node, rec.Sig) {
		return Node{}, fmt.Errorf("node %s: %w", id, ErrForged)
	}
	var n Node
	if err := json.Unmarshal(rec.Node, &n); err != nil || n.ID != id {
		return Node{}, fmt.Errorf("node %s: %w", id, ErrForged)
	}
	return n, nil
}

// Nodes returns the live nodes, sorted by ID, and the IDs whose record
// was refused (forged). Nodes whose record expired leave the set here; a
// record whose last heartbeat is older than the TTL is not listed.
func (d *Directory) Nodes(ctx context.Context) (nodes []Node, forged []string, err error) {
	ids, err := d.rdb.SMembers(ctx, nodesKey).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("list nodes: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil, nil
	}
	slices.Sort(ids)
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = nodeKeyPrefix + id
	}
	vals, err := d.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("list nodes: %w", err)
	}
	var gone []any
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			gone = append(gone, ids[i])
			continue
		}
		n, err := d.open(ids[i], []byte(s))
		if err != nil {
			forged = append(forged, ids[i])
			continue
		}
		if n.stale(d) {
			// Its heartbeat is stale though Redis still has the record (a
			// clock jump, a write that outlived its node): never hand it out.
			continue
		}
		nodes = append(nodes, n)
	}
	if len(gone) > 0 {
		// A record that expired: its node died without leaving.
		_ = d.rdb.SRem(ctx, nodesKey, gone...).Err()
	}
	return nodes, forged, nil
}
