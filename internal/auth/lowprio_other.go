//go:build !linux

package auth

// lowerThreadPriority does nothing where threads have no nice value of
// their own; hashing is still bounded by the pool's slots.
func lowerThreadPriority(int) {}
