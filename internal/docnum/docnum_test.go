package docnum_test

import (
	"errors"
	"testing"

	"github.com/cau-gov/cau/internal/docnum"
)

func TestSymbol(t *testing.T) {
	for _, c := range []struct {
		seq    int
		kind   docnum.Kind
		issuer string
		want   string
		err    bool
	}{
		{12, docnum.Minutes, "UBND", "12/BB-UBND", false},
		{3, docnum.Notice, "VP-UBND", "3/TB-VP-UBND", false},
		{1, docnum.Notice, "SKHĐT", "1/TB-SKHĐT", false},
		{0, docnum.Minutes, "UBND", "", true},
		{1, "bb", "UBND", "", true},
		{1, docnum.Minutes, "ubnd", "", true},
		{1, docnum.Minutes, "", "", true},
		{1, docnum.Minutes, "UBND/X", "", true},
	} {
		got, err := docnum.Symbol(c.seq, c.kind, c.issuer)
		if c.err {
			if !errors.Is(err, docnum.ErrInvalid) {
				t.Errorf("Symbol(%d, %q, %q) = %q, %v; want ErrInvalid", c.seq, c.kind, c.issuer, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Symbol(%d, %q, %q) = %q, %v; want %q", c.seq, c.kind, c.issuer, got, err, c.want)
		}
	}
}
