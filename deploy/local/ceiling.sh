#!/usr/bin/env bash
# make ceiling: the largest session this machine carries with a forward
# delay p99 under MAX_DELAY_MS (20) and loss under MAX_LOSS (0.001), and
# what saturates first. Each step starts `cau serve` afresh and runs
# `cau loadtest` against it; with two or more CPUs the server is pinned to
# the last one and the generator to the others (taskset), so each one's
# CPU use is its own and the one at 100 % of its CPUs is the bottleneck.
# STEPS ("20 40 60 80 100 120 140 160"), DURATION (20s), LOADTEST_ARGS
# (extra loadtest flags, e.g. "--subscribers 4") and SERVER_ENV (e.g.
# "GOGC=100" for the server alone) override; CONTINUE=1 runs every step
# instead of stopping at the first that fails. Reports go to
# bench/ceiling-<stamp>/ and a summary table to bench/ceiling-<stamp>.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(deploy/local/services.sh)"
STEPS="${STEPS:-20 40 60 80 100 120 140 160}"
DURATION="${DURATION:-20s}"
MAX_DELAY_MS="${MAX_DELAY_MS:-20}"
MAX_LOSS="${MAX_LOSS:-0.001}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="bench/ceiling-$stamp"
mkdir -p "$out" var/ceiling
go build -o bin/cau ./cmd/cau

for k in net.core.rmem_max net.core.wmem_max; do
	if [ "$(sysctl -n $k 2>/dev/null || echo 0)" -lt 16777216 ]; then sysctl -qw $k=16777216 2>/dev/null || true; fi
done

cpus=$(nproc)
server_cpus="" gen_cpus=""
if [ "$cpus" -ge 2 ]; then
	server_cpus="$((cpus - 1))"
	gen_cpus="0-$((cpus - 2))"
fi
pin() { # pin CPUS command...
	local c="$1"; shift
	if [ -n "$c" ] && command -v taskset >/dev/null; then taskset -c "$c" "$@"; else "$@"; fi
}

db="cau_ceiling"
psql "$CAU_PG_SERVER_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="${CAU_PG_SERVER_URL%/*}/$db"
export CAU_HTTP_ADDR=127.0.0.1:19080 CAU_PUBLIC_URL=http://127.0.0.1:19080 CAU_RTC_IPS=127.0.0.1 \
	CAU_RTC_UDP_PORT=19443 CAU_RTC_TCP_PORT=-1 CAU_DATA_DIR=var/ceiling CAU_LOG_LEVEL=warn CAU_RUN_WORKER=false \
	CAU_PPROF_ADDR=127.0.0.1:19060
./bin/cau migrate up >/dev/null

# num KEY FILE: a top-level number of a loadtest JSON report.
num() { grep -o "\"$1\": *[-0-9.e+]*" "$2" | head -1 | sed 's/.*: *//'; }

summary="bench/ceiling-$stamp.md"
{
	echo "# Ceiling, $(date -u +%Y-%m-%d) on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
	echo
	echo "Server pinned to CPU ${server_cpus:-any}, generator to ${gen_cpus:-any}; criteria: delay p99 < ${MAX_DELAY_MS} ms, loss < ${MAX_LOSS}. Extra flags: ${LOADTEST_ARGS:-none}."
	echo
	echo "| halls | connected | pps in / out | delay p50 / p99 ms | loss | server cores | generator cores | RSS MiB | µs CPU per forwarded packet | first frame p99 ms | ok |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
} > "$summary"

server=""
trap 'if [ -n "$server" ]; then kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; fi' EXIT
best=0 prev=0
for n in $STEPS; do
	# Not through pin(): a backgrounded function is a subshell, and $! must
	# be the server itself for the loadtest to read its /proc.
	if [ -n "$server_cpus" ] && command -v taskset >/dev/null; then
		taskset -c "$server_cpus" env ${SERVER_ENV:-} ./bin/cau serve > "$out/serve-$n.log" 2>&1 &
	else
		env ${SERVER_ENV:-} ./bin/cau serve > "$out/serve-$n.log" 2>&1 &
	fi
	server=$!
	for _ in $(seq 1 100); do
		curl -fsS http://127.0.0.1:19080/readyz >/dev/null 2>&1 && break
		sleep 0.2
	done
	( sleep $(( n / 20 + 8 )); curl -fsS -o "$out/server-cpu-$n.pprof" "http://127.0.0.1:19060/debug/pprof/profile?seconds=8" ) &
	profiler=$!
	# shellcheck disable=SC2086
	pin "$gen_cpus" ./bin/cau loadtest --url http://127.0.0.1:19080 --halls "$n" --duration "$DURATION" \
		--server-pid "$server" --baseline=false --json "$out/loadtest-$n.json" ${LOADTEST_ARGS:-} > "$out/loadtest-$n.txt" 2>&1 || true
	wait $profiler 2>/dev/null || true
	kill $server 2>/dev/null || true
	wait $server 2>/dev/null || true
	server=""
	r="$out/loadtest-$n.json"
	if [ ! -s "$r" ]; then
		echo "| $n | (run failed, see $out/loadtest-$n.txt) |||||||||no |" >> "$summary"
		break
	fi
	p99=$(num delay_ms_p99 "$r"); loss=$(num loss_ratio "$r")
	ok=$(awk -v d="$p99" -v l="$loss" -v md="$MAX_DELAY_MS" -v ml="$MAX_LOSS" -v c="$(num halls_connected "$r")" -v h="$n" \
		'BEGIN { print (d < md && l < ml && c == h) ? "yes" : "no" }')
	printf '| %s | %s | %.0f / %.0f | %.1f / %.1f | %.4f%% | %.2f | %.2f | %.0f | %.1f | %.0f | %s |\n' \
		"$n" "$(num halls_connected "$r")" "$(num pps_in "$r")" "$(num pps_out "$r")" "$(num delay_ms_p50 "$r")" "$p99" \
		"$(awk -v l="$loss" 'BEGIN { print l * 100 }')" "$(num server_cpu_cores "$r")" "$(num generator_cpu_cores "$r")" \
		"$(awk -v b="$(num server_rss_bytes "$r")" 'BEGIN { print b / 1048576 }')" "$(num cpu_us_per_forwarded_packet "$r")" \
		"$(num first_frame_ms_p99 "$r")" "$ok" >> "$summary"
	go tool pprof -top -nodecount 25 bin/cau "$out/server-cpu-$n.pprof" > "$out/server-cpu-$n.txt" 2>/dev/null || true
	if [ "$ok" = yes ]; then
		if [ "$best" = "$prev" ]; then best=$n; fi
	elif [ -z "${CONTINUE:-}" ]; then
		break
	fi
	prev=$n
done
echo >> "$summary"
echo "Ceiling: $best halls (the largest step meeting the criteria). Profiles: $out/server-cpu-<halls>.txt" >> "$summary"
cat "$summary"
