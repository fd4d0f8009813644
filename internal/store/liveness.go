package store

import (
	"context"
	"errors"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A pooled connection whose backend was terminated (PostgreSQL restarted,
// a failover, pg_terminate_backend) is dead before anyone uses it: the
// server sent a FATAL message and closed the socket. pgxpool pings only
// connections idle for over a second, so on a busy server the first
// statement on each dead connection used to fail and the request answered
// 500. Two guards:
//
//   - alive, the pool's PrepareConn hook, peeks at the socket without
//     blocking (one recvfrom, about a microsecond): an idle connection must
//     have nothing to read, so EOF or pending bytes mean the backend is gone
//     and the pool dials another connection instead;
//   - InTx retries once when its BEGIN failed on a dead connection, so a
//     connection that died between the peek and the BEGIN costs nothing
//     (nothing was written yet).

// alive reports whether conn's socket is still open with nothing pending.
func alive(_ context.Context, conn *pgx.Conn) (bool, error) {
	sc, ok := conn.PgConn().Conn().(syscall.Conn)
	if !ok {
		return true, nil // TLS or a wrapped conn: leave it to the ping and the retry
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false, nil
	}
	healthy := true
	var buf [1]byte
	// Control, not Read: Read takes the descriptor's read lock, and pgconn's
	// background reader (started for large writes) can sit in a blocking
	// Read on an idle connection holding it, so the pool's Acquire hung
	// forever (tests timed out at 10 min, e2e servers stopped answering).
	// A peek with MSG_DONTWAIT needs no lock and never waits.
	err = raw.Control(func(fd uintptr) {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK):
			// nothing to read: the healthy case
		case err != nil, n == 0, n > 0:
			// an error, EOF, or an unsolicited message (a FATAL notice)
			healthy = false
		}
	})
	if err != nil {
		return false, nil
	}
	return healthy, nil
}

// deadConn reports whether err says the connection was unusable before the
// statement could run: nothing was sent, or the backend had already been
// terminated (SQLSTATE class 57P: admin_shutdown, crash_shutdown,
// cannot_connect_now), so retrying on a fresh connection cannot run
// anything twice.
func deadConn(err error) bool {
	if err == nil {
		return false
	}
	if pgconn.SafeToRetry(err) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03":
			return true
		}
	}
	return false
}
