package sfu

// LayerPackets is, for the tests, the packets the SFU has received on
// each simulcast layer of a track (low first; 0 for a layer it has not
// seen).
func LayerPackets(s *SFU, room RoomID, id TrackID) [3]uint64 {
	var out [3]uint64
	r, err := s.room(room, false)
	if err != nil {
		return out
	}
	t := r.track(id)
	if t == nil {
		return out
	}
	for i := range out {
		if l := t.layerAt(i); l != nil {
			out[i] = l.stats.packets.Load()
		}
	}
	return out
}
