package org

import (
	"strings"
	"testing"

	"github.com/cau-gov/cau/internal/auth"
)

func TestTreeOrder(t *testing.T) {
	id := func(n int64) *auth.UnitID { u := auth.UnitID(n); return &u }
	units := []Unit{
		{ID: 9, ParentID: id(2), Level: "commune", Name: "Phường 10"},
		{ID: 2, ParentID: id(1), Level: "district", Name: "Thành phố Đà Lạt"},
		{ID: 7, ParentID: id(2), Level: "commune", Name: "Phường 2"},
		{ID: 1, Level: "province", Name: "UBND tỉnh"},
		{ID: 8, ParentID: id(2), Level: "commune", Name: "Phường 11"},
		{ID: 6, ParentID: id(2), Level: "commune", Name: "Phường 1"},
		{ID: 3, ParentID: id(1), Level: "district", Name: "Huyện Di Linh"},
		{ID: 4, ParentID: id(1), Level: "department", Name: "Sở Y tế"},
		{ID: 5, ParentID: id(1), Level: "department", Name: "Sở Tài chính"},
		{ID: 10, ParentID: id(3), Level: "commune", Name: "Xã Đinh Lạc"},
		{ID: 11, ParentID: id(3), Level: "commune", Name: "Xã Di Linh"},
	}
	rank := map[string]int{"province": 0, "department": 1, "district": 2, "commune": 3}
	var names []string
	for _, u := range TreeOrder(units, rank) {
		names = append(names, u.Name)
	}
	want := "UBND tỉnh|Sở Tài chính|Sở Y tế|Huyện Di Linh|Xã Di Linh|Xã Đinh Lạc|Thành phố Đà Lạt|Phường 1|Phường 2|Phường 10|Phường 11"
	if got := strings.Join(names, "|"); got != want {
		t.Fatalf("tree order\n got %s\nwant %s", got, want)
	}
	// A part of the tree (the units a notice names) keeps the same order.
	var part []Unit
	for _, u := range units {
		if u.ID == 9 || u.ID == 7 || u.ID == 4 || u.ID == 8 {
			part = append(part, u)
		}
	}
	names = nil
	for _, u := range TreeOrder(part, rank) {
		names = append(names, u.Name)
	}
	if got := strings.Join(names, "|"); got != "Sở Y tế|Phường 2|Phường 10|Phường 11" {
		t.Fatalf("partial list: %s", got)
	}
}

// BenchmarkTreeOrder: a province's 180 units (20 departments, 12
// districts of 12–13 communes).
func BenchmarkTreeOrder(b *testing.B) {
	var units []Unit
	id := auth.UnitID(1)
	units = append(units, Unit{ID: id, Level: "province", Name: "UBND tỉnh Lâm Đồng"})
	root := id
	for d := range 20 {
		id++
		units = append(units, Unit{ID: id, ParentID: &root, Level: "department", Name: "Sở số " + strings.Repeat("đ", d%3) + string(rune('A'+d))})
	}
	for d := range 12 {
		id++
		dist := id
		units = append(units, Unit{ID: dist, ParentID: &root, Level: "district", Name: "UBND huyện Đức Trọng " + string(rune('A'+d))})
		for c := range 12 {
			id++
			units = append(units, Unit{ID: id, ParentID: &dist, Level: "commune", Name: "UBND xã Phường " + strings.Repeat("1", c%3+1)})
		}
	}
	rank := map[string]int{"province": 0, "department": 1, "district": 1, "commune": 2}
	b.ReportAllocs()
	for b.Loop() {
		TreeOrder(units, rank)
	}
}
