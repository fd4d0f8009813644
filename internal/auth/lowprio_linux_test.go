package auth

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHashRunsAtLowestPriority reads, from inside a hash run by the pool,
// the nice value the kernel holds for that thread, and checks that the
// caller's thread keeps its own: the priority must belong to the hash and
// to nothing that runs after it.
func TestHashRunsAtLowestPriority(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadNice(t)

	p := NewHashPool(1, time.Second)
	var inside int
	var tid, caller int
	caller = syscall.Gettid()
	if err := p.Do(context.Background(), func() {
		tid = syscall.Gettid()
		inside = threadNice(t)
		_, _ = HashPassword("mật khẩu", Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
	}); err != nil {
		t.Fatal(err)
	}
	if inside != hashNice {
		t.Fatalf("the hash ran at nice %d, want %d", inside, hashNice)
	}
	if tid == caller {
		t.Fatalf("the hash ran on the caller's thread %d", tid)
	}
	if after := threadNice(t); after != before {
		t.Fatalf("the caller's thread went from nice %d to %d", before, after)
	}
}

// TestHashPanicReachesCaller: a panic in the hashing function comes back
// to the caller's goroutine (where net/http recovers it), not a crash of
// the process from the hashing thread.
func TestHashPanicReachesCaller(t *testing.T) {
	p := NewHashPool(1, time.Second)
	defer func() {
		if r := recover(); r != "boom" {
			t.Fatalf("recovered %v, want boom", r)
		}
		if st := p.Stats(); st.Running != 0 {
			t.Fatalf("a slot is still held after the panic: %+v", st)
		}
	}()
	_ = p.Do(context.Background(), func() { panic("boom") })
}

// threadNice is the nice value of the calling thread, from
// /proc/self/task/TID/stat (field 19).
func threadNice(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", syscall.Gettid()))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	n, err := strconv.Atoi(fields[19-3])
	if err != nil {
		t.Fatalf("stat %q: %v", s, err)
	}
	return n
}
