package app

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cau-gov/cau/internal/auth"
)

// registerPoolMetrics exposes the two pools a session start queues on: the
// password-hashing slots (a login storm waits there, by design) and
// PostgreSQL's connections (a storm of joins must not wait there; the wait
// is what shows a thundering herd).
func registerPoolMetrics(reg prometheus.Registerer, hash *auth.HashPool, db *pgxpool.Pool) {
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	reg.MustRegister(
		gauge("cau_login_hash_slots", "Password hashes that may run at once (CAU_LOGIN_HASH_SLOTS).",
			func() float64 { return float64(hash.Size()) }),
		gauge("cau_login_hash_running", "Password hashes running now.",
			func() float64 { return float64(hash.Stats().Running) }),
		gauge("cau_login_hash_queued", "Logins waiting for a hashing slot.",
			func() float64 { return float64(hash.Stats().Queued) }),
		gauge("cau_login_hash_running_peak", "Most password hashes that ran at once since start.",
			func() float64 { return float64(hash.Stats().Peak) }),
		counter("cau_login_hash_wait_seconds_total", "Time logins spent waiting for a hashing slot.",
			func() float64 { return hash.Stats().WaitTotal.Seconds() }),
		counter("cau_login_hash_busy_total", "Logins answered 503 busy after waiting CAU_LOGIN_HASH_WAIT.",
			func() float64 { return float64(hash.Stats().Busy) }),
		gauge("cau_db_pool_max_conns", "PostgreSQL pool size.",
			func() float64 { return float64(db.Stat().MaxConns()) }),
		gauge("cau_db_pool_acquired_conns", "PostgreSQL connections in use now.",
			func() float64 { return float64(db.Stat().AcquiredConns()) }),
		counter("cau_db_pool_acquires_total", "Connections taken from the PostgreSQL pool.",
			func() float64 { return float64(db.Stat().AcquireCount()) }),
		counter("cau_db_pool_empty_acquires_total", "Acquires that found no idle connection and waited.",
			func() float64 { return float64(db.Stat().EmptyAcquireCount()) }),
		counter("cau_db_pool_empty_acquire_wait_seconds_total", "Time spent waiting for a PostgreSQL connection when none was idle.",
			func() float64 { return db.Stat().EmptyAcquireWaitTime().Seconds() }),
	)
}
