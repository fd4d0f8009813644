package sfu

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// TestSRTPSealerMatchesPion: for both GCM profiles the sealer's datagrams
// are pion's srtp.Context's byte for byte, over two streams whose
// sequence numbers wrap, a resend from before the wrap after it, a jump
// past half the space, and the next cycle, then four more streams
// wrapping (past the sealer's inline counters); and pion's receiving context
// decrypts them. AES-CM is left to pion (no sealer).
func TestSRTPSealerMatchesPion(t *testing.T) {
	if _, err := newSRTPSealer(srtp.ProtectionProfileAes128CmHmacSha1_80, make([]byte, 16), make([]byte, 14)); err == nil {
		t.Fatal("a sealer for AES-CM; want pion's context to do it")
	}
	for _, profile := range []srtp.ProtectionProfile{srtp.ProtectionProfileAeadAes128Gcm, srtp.ProtectionProfileAeadAes256Gcm} {
		keyLen, _ := profile.KeyLen()
		saltLen, _ := profile.SaltLen()
		key, salt := make([]byte, keyLen), make([]byte, saltLen)
		_, _ = rand.Read(key)
		_, _ = rand.Read(salt)
		pion, err := srtp.CreateContext(key, salt, profile)
		if err != nil {
			t.Fatal(err)
		}
		recv, err := srtp.CreateContext(key, salt, profile)
		if err != nil {
			t.Fatal(err)
		}
		s, err := newSRTPSealer(profile, key, salt)
		if err != nil {
			t.Fatal(err)
		}
		type pkt struct {
			ssrc uint32
			seq  uint16
		}
		var pkts []pkt
		for q := 65530; q < 65536+6; q++ { // the wrap, both streams interleaved
			pkts = append(pkts, pkt{1, uint16(q)}, pkt{2, uint16(q + 100)})
		}
		pkts = append(pkts, pkt{1, 65533}, // a resend from before the wrap
			pkt{1, 40000}, pkt{1, 7}, pkt{1, 65000}, pkt{1, 3}, // half the space ahead, back, and the next wrap
			pkt{3, 100}, pkt{3, 99}, pkt{3, 40000}) // a stream starting low, a resend, a jump
		for q := 65533; q < 65536+3; q++ { // four more streams wrapping, three beyond the inline counters
			for ssrc := uint32(4); ssrc <= 7; ssrc++ {
				pkts = append(pkts, pkt{ssrc, uint16(q + int(ssrc))})
			}
		}
		pkts = append(pkts, pkt{7, 65535}, pkt{1, 4}, pkt{6, 1}) // a resend past the inline ones, the first streams again
		var buf, pbuf [maxDgram]byte
		for i, p := range pkts {
			h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: p.seq, Timestamp: uint32(i * 3000), SSRC: p.ssrc,
				Marker: i%3 == 0}
			if i%2 == 0 {
				if err := h.SetExtension(3, []byte{byte(i), 1}); err != nil { // transport-wide sequence number
					t.Fatal(err)
				}
			}
			payload := bytes.Repeat([]byte{byte(i)}, 100+i)
			hlen, err := h.MarshalTo(buf[:])
			if err != nil {
				t.Fatal(err)
			}
			n := hlen + copy(buf[hlen:], payload)
			copy(pbuf[:], buf[:n])
			want, err := pion.EncryptRTP(nil, pbuf[:n], nil)
			if err != nil {
				t.Fatal(err)
			}
			got := s.seal(buf[:], hlen, n, &h)
			if !bytes.Equal(got, want) {
				t.Fatalf("%v, packet %d (SSRC %d, sequence number %d): sealed differently from pion's context", profile, i, p.ssrc, p.seq)
			}
			plain, err := recv.DecryptRTP(nil, got, nil)
			if err != nil || !bytes.Equal(plain[hlen:], payload) {
				t.Fatalf("%v, packet %d (SSRC %d, sequence number %d): pion's receiver read % x (%v)", profile, i, p.ssrc, p.seq, plain, err)
			}
		}
	}
}

// TestSRTPSealerAllocatesNothing: sealing a packet allocates nothing
// (the forwarding path's zero allocations per packet).
func TestSRTPSealerAllocatesNothing(t *testing.T) {
	key, salt := make([]byte, 16), make([]byte, 12)
	s, err := newSRTPSealer(srtp.ProtectionProfileAeadAes128Gcm, key, salt)
	if err != nil {
		t.Fatal(err)
	}
	var buf [maxDgram]byte
	h := rtp.Header{Version: 2, PayloadType: 96, SSRC: 5}
	allocs := testing.AllocsPerRun(100, func() {
		h.SequenceNumber++
		n, _ := h.MarshalTo(buf[:])
		s.seal(buf[:], n, n+200, &h)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per packet sealed, want 0", allocs)
	}
}
