//go:build linux

package loadtest

import (
	"encoding/binary"
	"net"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestArrivalIsTheKernels: a datagram read late is stamped when the
// socket received it, not when it was read.
func TestArrivalIsTheKernels(t *testing.T) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	read := arrivalReader(c)
	out, err := net.DialUDP("udp4", nil, c.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	const late = 80 * time.Millisecond
	buf := make([]byte, 64)
	// The first socket on the machine to ask for stamps turns them on
	// asynchronously (the kernel's netstamp_needed key): until then a
	// datagram is stamped when read. So several tries, each a datagram
	// read late.
	var last time.Duration
	for try := range 10 {
		sent := time.Now()
		if _, err := out.Write([]byte("commune")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(late)
		n, _, at, err := read(buf)
		readAt := time.Now()
		if err != nil || string(buf[:n]) != "commune" {
			t.Fatalf("read %q, %v", buf[:n], err)
		}
		if at.After(readAt) {
			t.Fatalf("try %d: stamped after the read", try)
		}
		if last = at.Sub(sent); last >= 0 && last < late/2 {
			return
		}
	}
	t.Errorf("stamped %v after the send, want within %v of it (the kernel's arrival, not the read %v later)", last, late/2, late)
}

// TestKernelArrivalAllocatesNothing: the receive time is read from the
// control message without an allocation per datagram.
func TestKernelArrivalAllocatesNothing(t *testing.T) {
	now := time.Now()
	oob := make([]byte, unix.CmsgSpace(16))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level, h.Type = syscall.SOL_SOCKET, unix.SCM_TIMESTAMPNS
	h.SetLen(unix.CmsgLen(16))
	at := now.Add(-3 * time.Millisecond)
	binary.NativeEndian.PutUint64(oob[unix.SizeofCmsghdr:], uint64(at.Unix()))
	binary.NativeEndian.PutUint64(oob[unix.SizeofCmsghdr+8:], uint64(at.Nanosecond()))
	if got := kernelArrival(oob, now); now.Sub(got) != 3*time.Millisecond {
		t.Fatalf("arrival %v before now, want 3ms", now.Sub(got))
	}
	if got := kernelArrival(oob[:4], now); !got.Equal(now) {
		t.Errorf("a truncated message gave %v, want now", got)
	}
	if n := testing.AllocsPerRun(100, func() { kernelArrival(oob, now) }); n != 0 {
		t.Errorf("%v allocations per datagram, want 0", n)
	}
}
