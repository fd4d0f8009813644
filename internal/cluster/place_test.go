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
