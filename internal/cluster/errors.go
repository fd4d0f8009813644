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
	// ErrInvalid: a command or record that cannot be right.
	ErrInvalid = errors.New("invalid cluster message")
)
