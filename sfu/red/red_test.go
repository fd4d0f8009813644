package red

import (
	"bytes"
	"errors"
	"testing"
)

// chromium is a RED payload as Chromium sends it with two redundant
// frames of 20 ms at 48 kHz (offsets 1920 and 960), Opus on 111.
var chromium = []byte{
	0x80 | 111, 1920 >> 6, (1920 << 2) & 0xff, 3, // 3 bytes (length's high bits 0), 40 ms before
	0x80 | 111, 960 >> 6, (960 << 2) & 0xff, 2, // 2 bytes, 20 ms before
	111,
	0xa1, 0xa2, 0xa3,
	0xb1, 0xb2,
	0xc1, 0xc2, 0xc3, 0xc4,
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload []byte
		want    []Block
		err     error
	}{
		{"chromium, two redundant", chromium, []Block{
			{PT: 111, TSOffset: 1920, Data: []byte{0xa1, 0xa2, 0xa3}},
			{PT: 111, TSOffset: 960, Data: []byte{0xb1, 0xb2}},
			{PT: 111, Data: []byte{0xc1, 0xc2, 0xc3, 0xc4}}}, nil},
		{"primary only", []byte{111, 1, 2}, []Block{{PT: 111, Data: []byte{1, 2}}}, nil},
		{"empty primary", []byte{111}, []Block{{PT: 111, Data: []byte{}}}, nil},
		{"empty redundant block", []byte{0x80 | 111, 0, 15 << 2, 0, 111, 9}, []Block{
			{PT: 111, TSOffset: 15, Data: []byte{}}, {PT: 111, Data: []byte{9}}}, nil},
		{"largest offset and length", append([]byte{0x80 | 5, 0xff, 0xff, 0xff, 111}, make([]byte, 1023+1)...), []Block{
			{PT: 5, TSOffset: MaxTSOffset, Data: make([]byte, 1023)}, {PT: 111, Data: []byte{0}}}, nil},
		{"empty", nil, nil, ErrTruncated},
		{"header cut", []byte{0x80 | 111, 0, 4}, nil, ErrTruncated},
		{"no primary header", []byte{0x80 | 111, 0, 4, 0}, nil, ErrTruncated},
		{"block longer than payload", []byte{0x80 | 111, 0, 4, 5, 111, 1, 2, 3}, nil, ErrTruncated},
		{"too many blocks", append(bytes.Repeat([]byte{0x80 | 111, 0, 0, 0}, MaxBlocks), 111), nil, ErrTooMany},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.payload, nil)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d blocks, want %d: %+v", len(got), len(tc.want), got)
			}
			for i := range got {
				if got[i].PT != tc.want[i].PT || got[i].TSOffset != tc.want[i].TSOffset || !bytes.Equal(got[i].Data, tc.want[i].Data) {
					t.Errorf("block %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
			p, perr := Primary(tc.payload)
			if !errors.Is(perr, tc.err) {
				t.Fatalf("Primary error %v, want %v", perr, tc.err)
			}
			if perr == nil && (p.PT != got[len(got)-1].PT || !bytes.Equal(p.Data, got[len(got)-1].Data)) {
				t.Errorf("Primary = %+v, Parse's last = %+v", p, got[len(got)-1])
			}
		})
	}
}

func TestParseKeepsWhatWasThere(t *testing.T) {
	before := []Block{{PT: 1}}
	got, err := Parse([]byte{0x80}, before)
	if err == nil || len(got) != 1 || got[0].PT != 1 {
		t.Fatalf("Parse of a bad payload = %+v, %v; want the list as it was and an error", got, err)
	}
}

func TestAppendRoundTrip(t *testing.T) {
	red := []Block{{PT: 111, TSOffset: 1920, Data: []byte{0xa1, 0xa2, 0xa3}}, {PT: 111, TSOffset: 960, Data: []byte{0xb1, 0xb2}}}
	got, err := Append(nil, red, Block{PT: 111, Data: []byte{0xc1, 0xc2, 0xc3, 0xc4}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, chromium) {
		t.Fatalf("Append = % x\nwant     % x", got, chromium)
	}
	for _, bad := range [][]Block{
		{{PT: 128}},
		{{PT: 111, TSOffset: MaxTSOffset + 1}},
		{{PT: 111, Data: make([]byte, MaxLength+1)}},
		make([]Block, MaxBlocks),
	} {
		out, err := Append([]byte{7}, bad, Block{PT: 111})
		if err == nil || !bytes.Equal(out, []byte{7}) {
			t.Errorf("Append(%d blocks) = % x, %v; want dst unchanged and an error", len(bad), out, err)
		}
	}
}

func TestSetPT(t *testing.T) {
	p := append([]byte(nil), chromium...)
	SetPT(p, 111, 109)
	bs, err := Parse(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if b.PT != 109 {
			t.Errorf("block %+v kept its payload type", b)
		}
	}
	if !bytes.Equal(bs[2].Data, []byte{0xc1, 0xc2, 0xc3, 0xc4}) {
		t.Errorf("primary data changed: % x", bs[2].Data)
	}
}

func TestParseAllocatesNothing(t *testing.T) {
	var blocks [MaxBlocks]Block
	if n := testing.AllocsPerRun(100, func() {
		if _, err := Parse(chromium, blocks[:0]); err != nil {
			t.Fatal(err)
		}
		if _, err := Primary(chromium); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per parse", n)
	}
}

// FuzzParse: any bytes parse or are refused without a panic, blocks lie
// inside the payload, Primary agrees with Parse, and what parsed is built
// again byte for byte.
func FuzzParse(f *testing.F) {
	f.Add(chromium)
	f.Add([]byte{111})
	f.Add([]byte{0x80, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, payload []byte) {
		bs, err := Parse(payload, nil)
		p, perr := Primary(payload)
		if (err == nil) != (perr == nil) {
			t.Fatalf("Parse %v, Primary %v", err, perr)
		}
		if err != nil {
			return
		}
		last := bs[len(bs)-1]
		if p.PT != last.PT || !bytes.Equal(p.Data, last.Data) {
			t.Fatalf("Primary %+v, Parse's last %+v", p, last)
		}
		out, err := Append(nil, bs[:len(bs)-1], last)
		if err != nil {
			t.Fatalf("Append of what parsed: %v", err)
		}
		if !bytes.Equal(out, payload) {
			t.Fatalf("rebuilt % x\nfrom      % x", out, payload)
		}
	})
}
