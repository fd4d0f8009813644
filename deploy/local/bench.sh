#!/usr/bin/env bash
# make bench: the Go micro-benchmarks, then the reference scenario with
# `cau serve` in its own process (so its CPU is measured apart from the
# load generator's) and `cau loadtest` against it. Reports go to bench/.
# Everything runs on loopback. HALLS and DURATION override the scenario.
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(deploy/local/services.sh)"
HALLS="${HALLS:-160}"
DURATION="${DURATION:-30s}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p bench var/bench

echo "== Go benchmarks (bench/go-bench-$stamp.txt)"
# Forwarding runs a fixed count: an open-ended N fills the writers' queues.
{ go test -run '^$' -bench . -benchmem -benchtime 5000x -count 1 ./sfu/...
  go test -run '^$' -bench UDPLoopback -benchtime 3x -count 1 ./internal/loadtest/; } | tee "bench/go-bench-$stamp.txt"

echo "== reference scenario: $HALLS halls for $DURATION"
# The media socket's buffers as deploy/sysctl/60-cau.conf sets them on a
# server (only when the kernel's maxima are lower and we may raise them).
for k in net.core.rmem_max net.core.wmem_max; do
	if [ "$(sysctl -n $k 2>/dev/null || echo 0)" -lt 16777216 ]; then sysctl -qw $k=16777216 2>/dev/null || echo "bench: cannot raise $k; the SFU's socket buffers stay capped"; fi
done
go build -o bin/cau ./cmd/cau
db="cau_bench"
psql "$CAU_PG_SERVER_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="${CAU_PG_SERVER_URL%/*}/$db"
export CAU_HTTP_ADDR=127.0.0.1:18080 CAU_PUBLIC_URL=http://127.0.0.1:18080 CAU_RTC_IPS=127.0.0.1 \
	CAU_RTC_UDP_PORT=18443 CAU_RTC_TCP_PORT=-1 CAU_DATA_DIR=var/bench CAU_LOG_LEVEL=warn CAU_RUN_WORKER=false \
	CAU_PPROF_ADDR=127.0.0.1:16060
./bin/cau migrate up >/dev/null
./bin/cau serve > "bench/serve-$stamp.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
	curl -fsS http://127.0.0.1:18080/readyz >/dev/null 2>&1 && break
	sleep 0.2
done
# A CPU profile of the server, taken in the middle of the measured window.
( sleep $(( ${HALLS} / 20 + 8 )); curl -fsS -o "bench/server-cpu-$stamp.pprof" \
	"http://127.0.0.1:16060/debug/pprof/profile?seconds=10" ) &
profiler=$!
./bin/cau loadtest --url http://127.0.0.1:18080 --halls "$HALLS" --duration "$DURATION" \
	--server-pid "$server" --json "bench/loadtest-$stamp.json" | tee "bench/loadtest-$stamp.txt"
wait $profiler || true
go tool pprof -top -nodecount 25 bin/cau "bench/server-cpu-$stamp.pprof" > "bench/server-cpu-$stamp.txt" 2>/dev/null || true
echo "reports: bench/go-bench-$stamp.txt bench/loadtest-$stamp.json"
