package relay

import (
	"encoding/binary"
	"testing"
)

func rtpPacket(seq uint16, ts uint32) []byte {
	b := make([]byte, 20)
	b[0] = 0x80
	binary.BigEndian.PutUint16(b[2:4], seq)
	binary.BigEndian.PutUint32(b[4:8], ts)
	return b
}

// TestSplicer: one continuous stream of the wanted layer, switched at key
// frames, the wanted layer falling back to what the publisher sends.
func TestSplicer(t *testing.T) {
	s := newSplicer(90000, 0)
	var out []uint16
	feed := func(layer int, key bool, seq uint16, ts uint32) (bool, int) {
		p := rtpPacket(seq, ts)
		send, ask := s.next(layer, key, p)
		if send {
			out = append(out, binary.BigEndian.Uint16(p[2:4]))
		}
		return send, ask
	}
	// Low is wanted: its first packet that is not a key frame waits (and
	// asks for one); high, arriving too, is not sent.
	if send, ask := feed(0, false, 100, 1000); send || ask != 0 {
		t.Fatalf("low delta frame before any key frame: send %v, key frame asked of %d (want 0)", send, ask)
	}
	for i := range 3 {
		if send, _ := feed(0, i == 0, uint16(101+i), 1000); !send {
			t.Fatalf("low packet %d not sent", i)
		}
	}
	if send, _ := feed(2, true, 5000, 90000); send {
		t.Fatal("high sent while low is wanted and sent")
	}
	// The floor: high wanted; sent from its next key frame, numbered on.
	s.setWant(2)
	if send, ask := feed(2, false, 5001, 90000); send || ask != 2 {
		t.Fatalf("high delta frame: send %v, asked %d; want a key frame request of layer 2", send, ask)
	}
	if send, _ := feed(0, false, 104, 1000); !send {
		t.Fatal("low stops before high's key frame")
	}
	feed(2, true, 5002, 93000)
	feed(2, false, 5003, 93000)
	if send, _ := feed(0, false, 105, 1000); send {
		t.Fatal("low still sent after the switch to high")
	}
	want := []uint16{101, 102, 103, 104, 105, 106}
	if len(out) != len(want) {
		t.Fatalf("sent %v, want %v", out, want)
	}
	for i := range want {
		if out[i] != want[i] {
			t.Fatalf("sent %v, want %v: the stream's numbers must run on across the switch", out, want)
		}
	}
	// A publisher that sends only one (non-simulcast) layer: sent whatever
	// is wanted.
	one := newSplicer(90000, 0)
	if send, _ := one.next(2, true, rtpPacket(1, 1)); !send {
		t.Fatal("the only layer is not sent")
	}
}
