package cluster

import (
	"errors"
	"testing"
)

func TestPick(t *testing.T) {
	province := Node{ID: "a-province", Units: []int64{1}, Load: 50}
	district := Node{ID: "b-district", Units: []int64{10}, Load: 30}
	spare := Node{ID: "c-spare", Load: 5}
	spare2 := Node{ID: "d-spare", Load: 5}
	drainingDistrict := Node{ID: "e-district", Units: []int64{10}, Draining: true}
	tests := []struct {
		name     string
		nodes    []Node
		ancestry []int64
		home     string
		want     string
		err      error
	}{
		{"a commune goes to its district's node", []Node{province, district, spare}, []int64{100, 10, 1}, "a-province", "b-district", nil},
		{"the district hall itself too", []Node{province, district, spare}, []int64{10, 1}, "a-province", "b-district", nil},
		{"a department goes to the province's node", []Node{province, district, spare}, []int64{20, 1}, "c-spare", "a-province", nil},
		{"an unserved unit goes home", []Node{district, spare}, []int64{30}, "b-district", "b-district", nil},
		{"no home: the least loaded, ties to the lower ID", []Node{province, spare2, spare}, nil, "", "c-spare", nil},
		{"a home that is gone counts as none", []Node{province, spare}, nil, "x-dead", "c-spare", nil},
		{"a draining node is never picked", []Node{drainingDistrict, province}, []int64{100, 10, 1}, "e-district", "a-province", nil},
		{"nothing left", []Node{drainingDistrict}, nil, "", "", ErrNoNode},
		{"no nodes", nil, nil, "", "", ErrNoNode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Pick(tt.nodes, tt.ancestry, tt.home)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if got.ID != tt.want {
				t.Fatalf("picked %q, want %q", got.ID, tt.want)
			}
		})
	}
}

func TestRelayTarget(t *testing.T) {
	province := Node{ID: "province"}
	district := Node{ID: "district", Parent: "province"}
	commune := Node{ID: "commune", Parent: "district"}
	drainingDistrict := Node{ID: "district", Parent: "province", Draining: true}
	loopA, loopB := Node{ID: "a", Parent: "b"}, Node{ID: "b", Parent: "a"}
	tests := []struct {
		name       string
		nodes      []Node
		self, home string
		want       string
	}{
		{"the home relays nowhere", []Node{province, district, commune}, "province", "province", ""},
		{"no home, no relay", []Node{province, district, commune}, "commune", "", ""},
		{"a commune node relays to its district node", []Node{province, district, commune}, "commune", "province", "district"},
		{"the district node to the home", []Node{province, district, commune}, "district", "province", "province"},
		{"the parent is the home", []Node{province, district}, "district", "province", "province"},
		{"a parent gone: straight to the home", []Node{province, commune}, "commune", "province", "province"},
		{"a draining parent: its own parent", []Node{province, drainingDistrict, commune}, "commune", "province", "province"},
		{"a draining parent: its parent, not the home", []Node{province, drainingDistrict, commune, {ID: "spare"}}, "commune", "spare", "province"},
		{"no parent: the home", []Node{province, {ID: "spare"}}, "spare", "province", "province"},
		{"the home below: up the chain, the top relays down to it", []Node{province, district, commune}, "district", "commune", "province"},
		{"the top of the chain to a home below it", []Node{province, district, commune}, "province", "commune", "commune"},
		{"parents that loop: straight to the home", []Node{loopA, loopB, province}, "a", "province", "province"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RelayTarget(tt.nodes, tt.self, tt.home); got != tt.want {
				t.Fatalf("%s relays to %q, want %q", tt.self, got, tt.want)
			}
		})
	}
}

func TestSignalingURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://d1.lamdong.gov.vn": "wss://d1.lamdong.gov.vn/rtc",
		"http://127.0.0.1:8081/":    "ws://127.0.0.1:8081/rtc",
		"https://hop.example/cau":   "wss://hop.example/cau/rtc",
	} {
		if got := SignalingURL(in); got != want {
			t.Errorf("SignalingURL(%q) = %q, want %q", in, got, want)
		}
	}
}
