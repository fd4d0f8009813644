package auth

import "runtime"

// hashNice is the scheduling priority (nice) of the threads that hash
// passwords: the lowest there is. At 8:00 two hundred sign-ins arrive while
// the halls of the province are already in a call; with hashing at the
// media's priority the SFU's forward delay p99 rose ×3.8 (one slot) to ×17
// (two) on the 2-core reference server (issue 17). At nice 19 the kernel
// gives a waking media thread the core at once and the hashes the time the
// calls leave over; a sign-in waits longer, a call does not stutter.
const hashNice = 19

// runLowPriority runs f on an OS thread of its own at hashNice and waits
// for it. The thread is never unlocked, so it ends with the goroutine and
// its lowered priority never passes to other goroutines (an unprivileged
// process cannot raise it back). A new thread per hash costs tens of
// microseconds against a hash's tens of milliseconds.
func runLowPriority(f func()) {
	done := make(chan any, 1)
	go func() {
		runtime.LockOSThread()
		defer func() { done <- recover() }()
		lowerThreadPriority(hashNice)
		f()
	}()
	if p := <-done; p != nil {
		panic(p)
	}
}
