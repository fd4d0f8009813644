package sfu

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// srtpSealer encrypts the fast write path's packets with AEAD_AES_128_GCM
// or AEAD_AES_256_GCM (RFC 7714), what browsers and pion peers
// negotiate, without pion's srtp.Context: that context unmarshals the
// header the down track has just marshalled, finds the stream's rollover
// counter in a map per packet and goes through two more layers before the
// AEAD's Seal; beside Seal itself that was half of the encryption's CPU
// in the fan-out's profile (docs/performance.md, "Fan-out CPU, session
// 9"). Here the header's SSRC and sequence number come from the down
// track, the rollover counter from a short slice, and Seal writes in
// place behind the header. The output is pion's byte for byte
// (TestSRTPSealerMatchesPion); other profiles keep pion's context.
type srtpSealer struct {
	aead cipher.AEAD
	salt [12]byte
	iv   [12]byte // seal's: on its stack it escapes through the AEAD interface, 16 B a packet
	// first holds the first streams' rollover counters in the sealer
	// itself, more (a connection with many down tracks) in more: in a
	// slice of their own, the counters were a cache line of their own
	// per subscriber and packet, cold by the next packet's pass at 160
	// subscribers (3.4 % of the server's samples, "Fan-out CPU, session
	// 10"). nfirst of first are in use.
	first  [sealerStreams]rollover
	nfirst int
	more   []rollover
}

// sealerStreams is how many streams' counters the sealer holds inline:
// a camera and a microphone, and a screen or a second hall's audio.
const sealerStreams = 4

// rollover is one SSRC's packet index (RFC 3711 3.3.1), kept as pion's
// srtpSSRCState keeps it for what it sends.
type rollover struct {
	index   uint64 // rollover counter << 16 | the highest sequence number sent
	ssrc    uint32
	started bool
}

var errSealProfile = errors.New("SRTP sealer: not an AEAD-AES-GCM profile")

// newSRTPSealer derives the session key and salt from the master key and
// salt (RFC 3711 4.3.1's AES-CM key derivation, as pion's).
func newSRTPSealer(profile srtp.ProtectionProfile, masterKey, masterSalt []byte) (*srtpSealer, error) {
	if profile != srtp.ProtectionProfileAeadAes128Gcm && profile != srtp.ProtectionProfileAeadAes256Gcm {
		return nil, errSealProfile
	}
	if len(masterSalt) != 12 {
		return nil, errSealProfile
	}
	key, err := srtpDeriveKey(0x00, masterKey, masterSalt, len(masterKey)) // label: SRTP encryption
	if err != nil {
		return nil, err
	}
	salt, err := srtpDeriveKey(0x02, masterKey, masterSalt, 12) // label: SRTP salt
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	s := &srtpSealer{aead: aead}
	copy(s.salt[:], salt)
	return s, nil
}

// srtpDeriveKey is RFC 3711's AES-CM PRF with a key derivation rate of 0:
// the master salt with the label at its eighth octet, a block counter in
// the last two, encrypted with the master key.
func srtpDeriveKey(label byte, masterKey, masterSalt []byte, n int) ([]byte, error) {
	block, err := aes.NewCipher(masterKey)
	if err != nil {
		return nil, err
	}
	var in [16]byte
	copy(in[:], masterSalt)
	in[7] ^= label
	out := make([]byte, (n+15)/16*16)
	for i := 0; i*16 < n; i++ {
		binary.BigEndian.PutUint16(in[14:], uint16(i))
		block.Encrypt(out[i*16:], in[:])
	}
	return out[:n], nil
}

// seal encrypts the RTP packet buf[:n] whose header h was marshalled into
// buf[:hlen], in place; buf must hold n+16 (the tag). It returns the
// datagram. One caller at a time (fastSender.mu).
func (s *srtpSealer) seal(buf []byte, hlen, n int, h *rtp.Header) []byte {
	roc := s.rollover(h.SSRC, h.SequenceNumber)
	iv := &s.iv
	iv[0], iv[1] = 0, 0
	binary.BigEndian.PutUint32(iv[2:], h.SSRC)
	binary.BigEndian.PutUint32(iv[6:], roc)
	binary.BigEndian.PutUint16(iv[10:], h.SequenceNumber)
	for i := range iv {
		iv[i] ^= s.salt[i]
	}
	s.aead.Seal(buf[hlen:hlen], iv[:], buf[hlen:n], buf[:hlen])
	return buf[:n+s.aead.Overhead()]
}

// rollover is the rollover counter of the packet ssrc/seq and notes it
// sent: pion's srtpSSRCState.nextRolloverCount and updateRolloverCount
// for a sender (a sequence number up to half the space behind the highest
// sent is a resend of the previous cycle's, one further ahead than that
// belongs to the next cycle).
func (s *srtpSealer) rollover(ssrc uint32, seq uint16) uint32 {
	st := s.stream(ssrc)
	if !st.started {
		st.index |= uint64(seq)
		st.started = true
		return uint32(st.index >> 16)
	}
	const median, max = 1 << 15, 1 << 16
	localROC := uint32(st.index >> 16)
	localSeq := int32(st.index & (max - 1))
	q := int32(seq)
	roc, diff := localROC, q-localSeq
	if st.index > median {
		if localSeq < median {
			if q-localSeq > median {
				roc, diff = localROC-1, q-localSeq-max
			}
		} else if localSeq-median > q {
			roc, diff = localROC+1, q-localSeq+max
		}
	}
	if diff > 0 {
		st.index += uint64(diff)
	}
	return roc
}

// stream is ssrc's counter, added if new.
func (s *srtpSealer) stream(ssrc uint32) *rollover {
	for i := range s.nfirst {
		if s.first[i].ssrc == ssrc {
			return &s.first[i]
		}
	}
	for i := range s.more {
		if s.more[i].ssrc == ssrc {
			return &s.more[i]
		}
	}
	if s.nfirst < len(s.first) {
		s.first[s.nfirst] = rollover{ssrc: ssrc}
		s.nfirst++
		return &s.first[s.nfirst-1]
	}
	s.more = append(s.more, rollover{ssrc: ssrc})
	return &s.more[len(s.more)-1]
}
