// Package loadtest is `cau loadtest`: it starts synthetic halls as real
// pion peers against a running Cầu server (or an embedded one), drives the
// reference scenario of a province-wide session, and reports what the SFU
// carried and what it cost: join times, packet rates, forward delay, loss,
// layer switches, and the server process's CPU and memory read from /proc.
package loadtest
