package loadtest

import (
	"testing"
	"time"
)

func TestVP8FrameRoundTrip(t *testing.T) {
	sent := time.Unix(1795000000, 123456789)
	for _, tc := range []struct {
		name      string
		size, mtu int
		key       bool
		packets   int
	}{
		{"high layer key frame", 6250, 1200, true, 6},
		{"low layer inter frame", 625, 1200, false, 1},
		{"tiny frame is padded to hold the stamp", 3, 1200, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := VP8Frame(tc.size, tc.mtu, tc.key, 1280, 720, sent)
			if len(ps) != tc.packets {
				t.Fatalf("%d packets, want %d", len(ps), tc.packets)
			}
			info, err := ParseVP8(ps[0])
			if err != nil {
				t.Fatal(err)
			}
			if !info.Start || info.Key != tc.key || !info.Stamp.Sent.Equal(sent) {
				t.Fatalf("first packet: %+v, want start, key=%v, sent %v", info, tc.key, sent)
			}
			if tc.key && (info.Width != 1280 || info.Height != 720) {
				t.Fatalf("key frame dimensions %dx%d", info.Width, info.Height)
			}
			for i, p := range ps[1:] {
				if len(p) > tc.mtu {
					t.Fatalf("packet %d is %d bytes, over mtu %d", i+1, len(p), tc.mtu)
				}
				info, err := ParseVP8(p)
				if err != nil || info.Start {
					t.Fatalf("continuation %d: %+v %v", i+1, info, err)
				}
			}
		})
	}
}

func TestParseVP8RejectsGarbage(t *testing.T) {
	for _, p := range [][]byte{nil, {0x80}, {0x10}, {0x10, 0x00, 0x00, 0x00, 0xff, 0xff}} {
		if _, err := ParseVP8(p); err == nil {
			t.Errorf("ParseVP8(%x) accepted garbage", p)
		}
	}
}

func TestOpusPayloadStamp(t *testing.T) {
	sent := time.Unix(1795000000, 42)
	p := OpusPayload(60, sent)
	if len(p) != 60 || !OpusSent(p).Equal(sent) {
		t.Fatalf("len %d, sent %v", len(p), OpusSent(p))
	}
	if !OpusSent([]byte{1, 2}).IsZero() {
		t.Fatal("short payload gave a timestamp")
	}
}

// TestStampFrom: a stamp naming the publisher's packet (SSRC and
// sequence number) comes back whole from a VP8 frame's first payload,
// key or inter, and from an Opus payload; a plain stamp says it names none.
func TestStampFrom(t *testing.T) {
	st := Stamp{Sent: time.Unix(1795000000, 987654321), From: true, SSRC: 0xCAFE0042, Seq: 65534}
	for _, key := range []bool{true, false} {
		ps := VP8FrameStamped(3, 1200, key, 320, 180, st) // padded to hold header and stamp
		info, err := ParseVP8(ps[0])
		if err != nil || !info.Stamp.Sent.Equal(st.Sent) || info.Stamp.From != st.From || info.Stamp.SSRC != st.SSRC || info.Stamp.Seq != st.Seq {
			t.Errorf("key=%v: parsed %+v (%v), want %+v", key, info.Stamp, err, st)
		}
	}
	if got := OpusStamp(OpusPayloadStamped(10, st)); !got.Sent.Equal(st.Sent) || got != (Stamp{Sent: got.Sent, From: true, SSRC: st.SSRC, Seq: st.Seq}) {
		t.Errorf("opus: %+v, want %+v", got, st)
	}
	if got := OpusStamp(OpusPayload(60, st.Sent)); got.From || !got.Sent.Equal(st.Sent) {
		t.Errorf("plain opus stamp: %+v, want the time and no packet named", got)
	}
	// A payload cut inside the packet's name is no stamp.
	if got := OpusStamp(OpusPayloadStamped(60, st)[:1+stampLen+3]); !got.Sent.IsZero() {
		t.Errorf("truncated stamp read as %+v", got)
	}
}

func FuzzParseVP8(f *testing.F) {
	f.Add(VP8Frame(100, 1200, true, 640, 360, time.Unix(0, 1))[0])
	f.Add([]byte{0x90, 0x80, 0x81, 0x02})
	f.Fuzz(func(t *testing.T, p []byte) {
		_, _ = ParseVP8(p) // must never panic
	})
}
