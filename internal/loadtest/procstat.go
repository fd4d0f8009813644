package loadtest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/PID/stat. It is
// 100 on every Linux architecture Go supports in practice.
const clockTicks = 100

// ProcSample is one reading of a process's CPU time and resident memory.
type ProcSample struct {
	At       time.Time
	CPU      time.Duration // user + system time since the process started
	RSSBytes int64
	// Waited is how long the process's threads (those alive now, summed)
	// waited on a run queue, ready to run but not running, over Slices
	// times they ran (/proc/PID/task/*/schedstat): when a server's
	// threads wait for a core, what they forward waits with them.
	Waited time.Duration
	Slices int64
	// Faults are the page faults the process took (minor and major): a
	// heap that grows into fresh pages pays one each, in the kernel.
	Faults int64
}

// ReadProc reads /proc/PID/stat and /proc/PID/status.
func ReadProc(pid int) (ProcSample, error) {
	s := ProcSample{At: time.Now()}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, fmt.Errorf("read /proc/%d/stat: %w", pid, err)
	}
	// The command name (field 2) may hold spaces; fields after it start at the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, fmt.Errorf("parse /proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	// After ')' : state(3) ppid(4) … utime is field 14, stime 15 → indexes 11, 12.
	if len(f) < 13 {
		return s, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return s, fmt.Errorf("parse /proc/%d/stat: utime %q stime %q", pid, f[11], f[12])
	}
	s.CPU = time.Duration(utime+stime) * time.Second / clockTicks
	minflt, err1 := strconv.ParseInt(f[7], 10, 64)
	majflt, err2 := strconv.ParseInt(f[9], 10, 64)
	if err1 == nil && err2 == nil {
		s.Faults = minflt + majflt
	}

	s.Waited, s.Slices = readWaits(pid)

	st, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, fmt.Errorf("read /proc/%d/status: %w", pid, err)
	}
	defer st.Close()
	sc := bufio.NewScanner(st)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return s, fmt.Errorf("parse VmRSS %q: %w", v, err)
			}
			s.RSSBytes = kb * 1024
			break
		}
	}
	return s, sc.Err()
}

// CPUCores is the average number of cores used between two samples.
func CPUCores(a, b ProcSample) float64 {
	wall := b.At.Sub(a.At)
	if wall <= 0 {
		return 0
	}
	return float64(b.CPU-a.CPU) / float64(wall)
}

// readWaits sums the run-queue waits and time slices of pid's threads
// (zeros where the kernel keeps no schedstat).
func readWaits(pid int) (time.Duration, int64) {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var wait, slices int64
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue
		}
		// run time (ns), run-queue wait (ns), time slices
		f := strings.Fields(string(b))
		if len(f) < 3 {
			continue
		}
		w, err1 := strconv.ParseInt(f[1], 10, 64)
		n, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 == nil && err2 == nil {
			wait, slices = wait+w, slices+n
		}
	}
	return time.Duration(wait), slices
}

// RunQueueWait is how many milliseconds per second the process's threads
// waited for a core between two samples, and how long on average each
// time they were woken or preempted (µs).
func RunQueueWait(a, b ProcSample) (msPerSecond, usPerSlice float64) {
	wall := b.At.Sub(a.At)
	if wall <= 0 || b.Slices <= a.Slices {
		return 0, 0
	}
	w := b.Waited - a.Waited
	return float64(w) / float64(time.Millisecond) / wall.Seconds(), float64(w) / float64(time.Microsecond) / float64(b.Slices-a.Slices)
}
