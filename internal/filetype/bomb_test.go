package filetype_test

import (
	"bytes"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/document/doctest"
	"github.com/cau-gov/cau/internal/filetype"
)

// Every entry is bounded whichever way its size is written: an honest
// local header, one that understates, or a data descriptor after the data.
func TestDetectRefusesZipBombs(t *testing.T) {
	const gib = 1 << 30
	cases := []struct {
		name               string
		inflated, declared int64
		descriptor         bool
	}{
		{"sizes in the local header", gib + gib/2, gib + gib/2, false},
		{"local header understating the size", 300 << 20, 4096, false},
		{"local header within limits, ratio of a bomb", 200 << 20, 200 << 20, false},
		{"sizes only in a data descriptor", gib + gib/2, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bomb := doctest.DOCXBomb(tc.inflated, tc.declared, tc.descriptor)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			typ, err := filetype.Detect(bytes.NewReader(bomb))
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, filetype.ErrUnsupported) {
				t.Fatalf("a %d-byte archive inflating to %d: got %v, %v; want ErrUnsupported", len(bomb), tc.inflated, typ.Name, err)
			}
			t.Logf("%d-byte archive refused in %v: %v", len(bomb), took, err)
			if took > time.Second {
				t.Errorf("refusal took %v; want under a second", took)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
				t.Errorf("refusal allocated %d MiB; want memory flat", grew>>20)
			}
		})
	}
}

// The bounds leave honest archives alone: inflating proves every deflated
// part, and an honest header passes the check.
func TestDetectAcceptsHonestParts(t *testing.T) {
	docx := doctest.DOCX("Báo cáo tình hình kinh tế – xã hội")
	if typ, err := filetype.Detect(bytes.NewReader(docx)); err != nil || typ != filetype.DOCX {
		t.Fatalf("got %v, %v", typ.Name, err)
	}
	small := doctest.DOCXBomb(1<<20, 1<<20, false) // 1 MiB part, honest header
	if typ, err := filetype.Detect(bytes.NewReader(small)); err != nil || typ != filetype.DOCX {
		t.Fatalf("a 1 MiB part with an honest header: got %v, %v", typ.Name, err)
	}
}
