package cluster

import "errors"

// Errors of the cluster.
var (
	// ErrForged: a node record's signature is not the cluster key's.
	ErrForged = errors.New("node record not signed with the cluster's node key")
	// ErrForeignKey: this node's key is not the one the cluster uses.
	ErrForeignKey = errors.New("this node's key (CAU_NODE_KEY_FILE) is not the cluster's")
	// ErrNoNode: no live SFU node can take the client.
	ErrNoNode = errors.New("no SFU node available")
	// ErrNotFound: no such node in the directory (gone, or never there).
	ErrNotFound = errors.New("node not found")
	// ErrHomeGone: the room's home lease names a node that is no longer
	// in the directory (it died; the lease lapses within the TTL and the
	// room re-homes on a live node).
	ErrHomeGone = errors.New("the room's home node is gone")
	// ErrInvalid: a command or record that cannot be right.
	ErrInvalid = errors.New("invalid cluster message")
)
