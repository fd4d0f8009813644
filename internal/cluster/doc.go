// Package cluster lets several `cau serve` processes carry one province's
// meetings: a node directory, room placement and commands between nodes,
// all in the Redis the nodes already share.
//
//   - The directory (directory.go): every SFU node keeps a record under
//     cau:node:<id> (its signaling URL, media addresses, the units it
//     serves, its load, whether it drains) renewed every heartbeat and
//     gone after the TTL. Records are signed with the node key every node
//     of the cluster holds (CAU_NODE_KEY_FILE); a record signed with
//     another key is refused by every reader, and a node whose key is not
//     the cluster's is refused at its first registration.
//   - Placement (lease.go, place.go): a room's home is the node holding its
//     lease cau:room:<room>:home, renewed while the room lives there and
//     taken by another node of the room when it lapses. The join API sends
//     a hall to the node serving its unit, else to the room's home, else
//     to the least loaded node (Pick, a pure function).
//   - Commands (commands.go): mute, remove, pin, lock and end are published
//     on one Redis channel; every SFU node applies them to the
//     participants it hosts, so an api node needs no media of its own.
//
// The package knows Redis and the node key; it does not know the SFU or
// the meeting domain: the agent (agent.go) reads the SFU's rooms through
// a small interface, and internal/app wires the rest.
package cluster
