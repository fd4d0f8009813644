package loadtest

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// TestRunQueueWait: a process's threads' run-queue waits and time slices
// grow as it runs, and the rates come out non-negative and bounded by
// the threads that could wait.
func TestRunQueueWait(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("schedstat is Linux's")
	}
	a, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if a.Slices == 0 {
		t.Skip("the kernel keeps no schedstat")
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) { // run, and be preempted or yield
		runtime.Gosched()
	}
	time.Sleep(5 * time.Millisecond)
	b, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if b.Slices <= a.Slices || b.Waited < a.Waited {
		t.Fatalf("slices %d → %d, waited %v → %v: want more slices, no less waiting", a.Slices, b.Slices, a.Waited, b.Waited)
	}
	perS, perSlice := RunQueueWait(a, b)
	threads, _ := os.ReadDir("/proc/self/task")
	if perS < 0 || perS > float64(len(threads))*1000 || perSlice < 0 {
		t.Errorf("waited %.1f ms/s (%.1f µs a slice) over %d threads", perS, perSlice, len(threads))
	}
	if w, _ := RunQueueWait(b, a); w != 0 {
		t.Errorf("samples in the wrong order gave %.1f ms/s", w)
	}
}
