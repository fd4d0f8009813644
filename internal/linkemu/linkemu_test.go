package linkemu

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	good := Config{Namespace: "cau-line-1", Prefix: netip.MustParsePrefix("10.213.4.8/30"),
		Down: Shape{Rate: 400_000, Queue: 250 * time.Millisecond, Loss: 0.03, Delay: 40 * time.Millisecond}}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	if good.Host() != netip.MustParseAddr("10.213.4.9") || good.Peer() != netip.MustParseAddr("10.213.4.10") {
		t.Fatalf("host %s, peer %s: want 10.213.4.9 and 10.213.4.10", good.Host(), good.Peer())
	}
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"namespace with a slash", func(c *Config) { c.Namespace = "a/b" }},
		{"empty namespace", func(c *Config) { c.Namespace = "" }},
		{"prefix /24", func(c *Config) { c.Prefix = netip.MustParsePrefix("10.213.4.0/24") }},
		{"prefix not masked", func(c *Config) { c.Prefix = netip.MustParsePrefix("10.213.4.9/30") }},
		{"IPv6 prefix", func(c *Config) { c.Prefix = netip.MustParsePrefix("fd00::/126") }},
		{"loss 1", func(c *Config) { c.Up.Loss = 1 }},
		{"negative rate", func(c *Config) { c.Up.Rate = -1 }},
		{"rate without a queue", func(c *Config) { c.Up.Rate = 1000 }},
		{"negative delay", func(c *Config) { c.Down.Delay = -time.Millisecond }},
	} {
		c := good
		tc.edit(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", tc.name, err)
		}
	}
}

// line starts a line shaped down (host → namespace) as given and a UDP
// socket listening in the namespace.
func line(t *testing.T, down Shape) (*Link, *net.UDPConn, *net.UDPConn) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces, TUN devices)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs the ip command")
	}
	p, err := FreePrefix()
	if err != nil {
		t.Fatal(err)
	}
	l, err := Start(context.Background(), Config{Namespace: fmt.Sprintf("cau-linkemu-test-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6), Prefix: p, Down: down, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	var in *net.UDPConn
	if err := l.Do(func() (err error) {
		in, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(l.Peer(), 0)))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_ = in.SetReadBuffer(4 << 20)
	t.Cleanup(func() { in.Close() })
	out, err := net.DialUDP("udp4", nil, in.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	return l, in, out
}

// arrival is one datagram received: its index and when it was sent and came.
type arrival struct {
	n        int
	sent, at time.Time
}

// receive reads datagrams (index and send time in the first 12 bytes)
// until none comes for quiet.
func receive(t *testing.T, in *net.UDPConn, quiet time.Duration) []arrival {
	t.Helper()
	var got []arrival
	buf := make([]byte, 2048)
	for {
		_ = in.SetReadDeadline(time.Now().Add(quiet))
		n, err := in.Read(buf)
		if err != nil {
			return got
		}
		if n >= 12 {
			got = append(got, arrival{n: int(binary.BigEndian.Uint32(buf)), sent: time.Unix(0, int64(binary.BigEndian.Uint64(buf[4:]))), at: time.Now()})
		}
	}
}

// send writes one datagram of size bytes on the wire (IPv4 and UDP headers included).
func send(t *testing.T, out *net.UDPConn, n, size int) {
	t.Helper()
	b := make([]byte, size-28)
	binary.BigEndian.PutUint32(b, uint32(n))
	binary.BigEndian.PutUint64(b[4:], uint64(time.Now().UnixNano()))
	if _, err := out.Write(b); err != nil {
		t.Error(err) // from the sending goroutines too
	}
}

func TestDelay(t *testing.T) {
	_, in, out := line(t, Shape{Delay: 40 * time.Millisecond})
	go func() {
		for i := range 20 {
			send(t, out, i, 200)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	got := receive(t, in, time.Second)
	if len(got) != 20 {
		t.Fatalf("received %d of 20 datagrams on a line without loss", len(got))
	}
	var d []time.Duration
	for _, a := range got {
		d = append(d, a.at.Sub(a.sent))
	}
	slices.Sort(d)
	t.Logf("one-way delay min %v, median %v, max %v", d[0], d[10], d[19])
	if d[0] < 40*time.Millisecond || d[10] > 55*time.Millisecond {
		t.Errorf("one-way delay min %v, median %v: want at least 40 ms, median under 55 ms", d[0], d[10])
	}
}

func TestRate(t *testing.T) {
	l, in, out := line(t, Shape{Rate: 400_000, Queue: 5 * time.Second})
	for i := range 60 {
		send(t, out, i, 1000)
	}
	got := receive(t, in, time.Second)
	if len(got) != 60 {
		t.Fatalf("received %d of 60 datagrams through a 5 s queue", len(got))
	}
	// 59 packets of 8,000 bits follow the first: 1.18 s at 400 kbit/s.
	took := got[59].at.Sub(got[0].at)
	rate := 59 * 8000 / took.Seconds()
	t.Logf("60 datagrams of 1000 bytes: %v from first to last, %.0f bit/s; %+v", took, rate, l.down.counters())
	if rate < 360_000 || rate > 440_000 {
		t.Errorf("rate %.0f bit/s, want 400,000 ± 10 %%", rate)
	}
}

func TestQueueDropsTail(t *testing.T) {
	l, in, out := line(t, Shape{Rate: 400_000, Queue: 250 * time.Millisecond})
	for i := range 50 {
		send(t, out, i, 1000)
	}
	got := receive(t, in, time.Second)
	// The line holds 250 ms (12,500 bytes) waiting: the first packet on
	// the line and twelve behind it; later ones find it full.
	down, _ := l.Stats()
	t.Logf("50 datagrams at once: %d delivered; %+v", len(got), down)
	if len(got) < 12 || len(got) > 15 {
		t.Errorf("%d delivered, want 13 (±2) through a 250 ms queue at 400 kbit/s", len(got))
	}
	if got[len(got)-1].n != len(got)-1 {
		t.Errorf("the last delivered is datagram %d of %d delivered: the queue must drop its tail", got[len(got)-1].n, len(got))
	}
	if down.QueueDrop != int64(50-len(got)) {
		t.Errorf("queue drops counted %d, want %d", down.QueueDrop, 50-len(got))
	}
}

func TestLossShare(t *testing.T) {
	const sent = 3000
	l, in, out := line(t, Shape{Loss: 0.03})
	go func() {
		for i := range sent {
			send(t, out, i, 100)
			if i%50 == 49 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	got := receive(t, in, time.Second)
	down, _ := l.Stats()
	lost := sent - len(got)
	t.Logf("%d of %d lost (%.2f %%); %+v", lost, sent, 100*float64(lost)/sent, down)
	// 3 % of 3,000 is 90, its standard deviation ~9.3.
	if lost < 60 || lost > 120 {
		t.Errorf("%d of %d lost, want 90 ± 30 (3 %%)", lost, sent)
	}
	if down.Lost != int64(lost) {
		t.Errorf("the line counted %d lost, the receiver missed %d", down.Lost, lost)
	}
}
