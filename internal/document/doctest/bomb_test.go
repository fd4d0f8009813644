package doctest

import (
	"bytes"
	"compress/flate"
	"io"
	"testing"
)

func TestZeroDeflateInflatesToZeros(t *testing.T) {
	for _, n := range []int64{1, 2, 3, 4, 258, 259, 260, 261, 262, 1000, 1 << 20} {
		got, err := io.ReadAll(flate.NewReader(bytes.NewReader(zeroDeflate(n))))
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if int64(len(got)) != n || !bytes.Equal(got, make([]byte, n)) {
			t.Fatalf("n=%d: inflated %d bytes", n, len(got))
		}
	}
}
