package sfu

// What a node of a cluster (internal/cluster) needs of its SFU: the load
// it reports to the directory, and draining when it leaves.

// ReasonMoved is the Closed reason of participants of a draining node:
// their client joins again through the join API, which places them on
// another node.
const ReasonMoved = "moved"

// RoomLoads returns each room with participants connected here and
// their number (ghosts of other nodes' participants do not count: a room
// that has only ghosts left is no longer this node's to home or relay).
func (s *SFU) RoomLoads() map[RoomID]int {
	s.mu.Lock()
	rooms := make([]*room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.mu.Unlock()
	out := make(map[RoomID]int, len(rooms))
	for _, r := range rooms {
		r.mu.Lock()
		n := 0
		for _, p := range r.participants {
			if p.via == nil {
				n++
			}
		}
		if !r.closed && n > 0 {
			out[r.id] = n
		}
		r.mu.Unlock()
	}
	return out
}

// Drain refuses new rooms from now on (ErrDraining), and asks every
// participant to move: each leaves with ReasonMoved. It returns how many
// were asked.
func (s *SFU) Drain() int {
	s.mu.Lock()
	s.draining = true
	rooms := make([]*room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.mu.Unlock()
	n := 0
	for _, r := range rooms {
		for _, p := range r.others(nil) {
			p.Leave(ReasonMoved)
			n++
		}
	}
	return n
}

// Draining reports whether Drain was called.
func (s *SFU) Draining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}
