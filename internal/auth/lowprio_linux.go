package auth

import "syscall"

// lowerThreadPriority sets the calling thread's nice value: on Linux
// setpriority with a thread ID applies to that thread alone. A failure
// (a seccomp profile that forbids it) leaves the thread as it was, which
// is what the server did before.
func lowerThreadPriority(nice int) {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), nice)
}
