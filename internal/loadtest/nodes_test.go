package loadtest

import "testing"

func TestNodeSpreadAndHops(t *testing.T) {
	// 160 halls over 3 nodes by unit: the province hall and its block on
	// the first, then two blocks; round-robin alternates.
	per := map[int]int{}
	for i := range 160 {
		per[nodeOf(SpreadUnits, i, 160, 3)]++
	}
	if nodeOf(SpreadUnits, 0, 160, 3) != 0 || per[0] != 54 || per[1] != 54 || per[2] != 52 {
		t.Errorf("by unit: %v, want 54/54/52 with the first hall on node 0", per)
	}
	if got := []int{nodeOf(SpreadRoundRobin, 0, 9, 3), nodeOf(SpreadRoundRobin, 4, 9, 3), nodeOf(SpreadRoundRobin, 8, 9, 3)}; got[0] != 0 || got[1] != 1 || got[2] != 2 {
		t.Errorf("round-robin: %v", got)
	}
	if nodeOf(SpreadUnits, 5, 9, 1) != 0 {
		t.Error("one node: every hall on it")
	}
	for _, c := range []struct{ a, b, home, want int }{{0, 0, 0, 0}, {0, 1, 0, 1}, {2, 0, 0, 1}, {1, 2, 0, 2}, {1, 1, 0, 0}} {
		if got := hops(c.a, c.b, c.home); got != c.want {
			t.Errorf("hops(%d, %d, home %d) = %d, want %d", c.a, c.b, c.home, got, c.want)
		}
	}
}

func TestRelayCountersAndHome(t *testing.T) {
	mk := func() relayCounters {
		return relayCounters{streams: map[relayKey]float64{}, packets: map[relayKey]float64{}, bytes: map[relayKey]float64{}}
	}
	home, e1, e2 := mk(), mk(), mk()
	home.parse(`cau_sfu_relay_streams{direction="out",link="sfu-b"}`, 2)
	home.parse(`cau_sfu_relay_streams{direction="out",link="sfu-c"}`, 2)
	home.parse(`cau_sfu_relay_packets_total{direction="in",link="sfu-b"}`, 700)
	e1.parse(`cau_sfu_relay_streams{direction="out",link="sfu-a"}`, 4)
	e2.parse(`cau_sfu_relay_streams{direction="out",link="sfu-a"}`, 4)
	e2.parse(`cau_sfu_relay_bogus{direction="out",link="sfu-a"}`, 9)
	if home.streams[relayKey{"sfu-c", "out"}] != 2 || home.packets[relayKey{"sfu-b", "in"}] != 700 || len(e2.streams) != 1 {
		t.Fatalf("parsed %+v %+v", home, e2)
	}
	if got := homeOf([]relayCounters{e1, home, e2}); got != 1 {
		t.Errorf("home %d, want 1 (the node sending on two links)", got)
	}
}
