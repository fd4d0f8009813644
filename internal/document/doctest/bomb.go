package doctest

import (
	"archive/zip"
	"bytes"
	"hash/crc32"
)

// DOCXBomb returns a Word document whose word/document.xml inflates to
// inflated zero bytes. Its local header states declared as the inflated
// size (how `zip` and most tools write sizes), or, with descriptor, the
// sizes come only in a data descriptor after the data (how streaming
// writers do it). The deflate stream is written by hand (see zeroDeflate),
// so a 1.5 GiB bomb costs milliseconds and about 10 MB to build.
func DOCXBomb(inflated, declared int64, descriptor bool) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	add := func(name string, method uint16, flags uint16, crc uint32, data []byte, usize int64) {
		fh := &zip.FileHeader{Name: name, Method: method, Flags: flags, CRC32: crc,
			CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(usize)}
		f, err := w.CreateRaw(fh)
		if err != nil {
			panic(err)
		}
		if _, err := f.Write(data); err != nil {
			panic(err)
		}
	}
	ct := []byte(contentTypes("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"))
	add("[Content_Types].xml", zip.Store, 0, crc32.ChecksumIEEE(ct), ct, int64(len(ct)))
	var flags uint16
	if descriptor {
		flags = 0x8
	}
	// The CRC is not that of the content: nothing reads that far.
	add("word/document.xml", zip.Deflate, flags, 0, zeroDeflate(inflated), declared)
	if err := w.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// zeroDeflate is a raw deflate stream of n (≥ 1) zero bytes in one block
// with the fixed Huffman codes: a literal 0, then back-references of
// length 258 at distance 1 (13 bits each), then a shorter one for the rest.
func zeroDeflate(n int64) []byte {
	var bw bitWriter
	bw.bits(1, 1) // BFINAL
	bw.bits(1, 2) // BTYPE = fixed Huffman
	bw.code(0x30, 8)
	n--
	for n >= 3 {
		l := min(n, 258)
		if n-l > 0 && n-l < 3 {
			l = n - 3 // leave at least 3 for the last match
		}
		bw.length(int(l))
		bw.code(0, 5) // distance code 0: distance 1
		n -= l
	}
	for ; n > 0; n-- {
		bw.code(0x30, 8)
	}
	bw.code(0, 7) // end of block (256)
	return bw.flush()
}

type bitWriter struct {
	out  []byte
	acc  uint64
	nacc uint
}

// bits writes v's low n bits, least significant first (header, extra bits).
func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nacc
	w.nacc += n
	for w.nacc >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
}

// code writes a Huffman code, most significant bit first.
func (w *bitWriter) code(c uint64, n uint) {
	var r uint64
	for i := uint(0); i < n; i++ {
		r = r<<1 | (c>>i)&1
	}
	w.bits(r, n)
}

// length writes the fixed-Huffman length code for l (3–258) and its extra bits.
func (w *bitWriter) length(l int) {
	if l == 258 {
		w.code(0xc5, 8) // code 285: 11000101
		return
	}
	base := []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227}
	extra := []uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5}
	i := len(base) - 1
	for base[i] > l {
		i--
	}
	sym := 257 + i
	if sym <= 279 {
		w.code(uint64(sym-256), 7)
	} else {
		w.code(uint64(0xc0+sym-280), 8)
	}
	w.bits(uint64(l-base[i]), extra[i])
}

func (w *bitWriter) flush() []byte {
	if w.nacc > 0 {
		w.out = append(w.out, byte(w.acc))
		w.acc, w.nacc = 0, 0
	}
	return w.out
}
