#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer, and prints the environment that
# points Cầu at them (eval "$(deploy/local/services.sh)").
#
# - DATABASE_URL / REDIS_URL are used as they are when they answer.
# - Otherwise the local defaults (127.0.0.1:5432 as postgres, 127.0.0.1:6379)
#   are tried; if nothing listens, the Debian packages are installed when
#   missing and local servers are started.
# - The application database (cau, or CAU_DB_NAME) is created if missing.
# Idempotent: running it twice changes nothing the second time.
# Progress goes to stderr; only `export` lines go to stdout.
set -euo pipefail

log() { echo "services: $*" >&2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
		log "need root to run: $*"; return 1; fi
}

apt_install() {
	# Installs the named packages if any is missing; apt-get update runs once.
	local missing=()
	for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	if [ ! -e /tmp/.cau-apt-updated ]; then
		as_root apt-get update -qq >&2 && touch /tmp/.cau-apt-updated
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

pg_ok() { command -v psql >/dev/null && psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }

# --- PostgreSQL ---
DEFAULT_PG="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
PG_URL="${DATABASE_URL:-}"
command -v psql >/dev/null || apt_install postgresql-client
if [ -n "$PG_URL" ] && pg_ok "$PG_URL"; then
	log "PostgreSQL: using DATABASE_URL"
elif pg_ok "$DEFAULT_PG"; then
	PG_URL="$DEFAULT_PG"
	log "PostgreSQL: using 127.0.0.1:5432"
else
	if ! tcp_open 127.0.0.1 5432; then
		apt_install postgresql
		ver="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)"
		if [ -z "$ver" ]; then log "PostgreSQL installed but no cluster found"; exit 1; fi
		log "starting PostgreSQL $ver"
		as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start >&2 || as_root pg_ctlcluster "$ver" main start >&2
		for _ in $(seq 1 30); do tcp_open 127.0.0.1 5432 && break; sleep 1; done
	fi
	# A fresh Debian cluster asks for a password over TCP: give the local
	# postgres role one (local development only) and use it.
	PG_URL="postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable"
	if ! pg_ok "$PG_URL"; then
		as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >&2
	fi
	pg_ok "$PG_URL" || { log "cannot reach PostgreSQL at 127.0.0.1:5432"; exit 1; }
	log "PostgreSQL: local server ready"
fi

# The application database sits beside the server URL's database.
DB_NAME="${CAU_DB_NAME:-cau}"
APP_URL="$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' "$PG_URL" "$DB_NAME" 2>/dev/null || echo "${PG_URL%/*}/$DB_NAME")"
if ! psql "$PG_URL" -Atqc "select 1 from pg_database where datname = '$DB_NAME'" | grep -q 1; then
	log "creating database $DB_NAME"
	psql "$PG_URL" -qc "CREATE DATABASE \"$DB_NAME\"" >&2
fi

# --- Redis ---
REDIS="${REDIS_URL:-redis://127.0.0.1:6379/0}"
redis_ok() {
	local hostport="${1#redis://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
	tcp_open "${hostport%:*}" "${hostport##*:}"
}
if redis_ok "$REDIS"; then
	log "Redis: using ${REDIS%%\?*}"
else
	REDIS="redis://127.0.0.1:6379/0"
	if ! redis_ok "$REDIS"; then
		apt_install redis-server
		log "starting Redis"
		as_root mkdir -p /var/lib/redis /var/log/redis
		as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --databases 128 \
			--dir /var/lib/redis --logfile /var/log/redis/cau-local.log >&2
		for _ in $(seq 1 20); do redis_ok "$REDIS" && break; sleep 0.5; done
		redis_ok "$REDIS" || { log "cannot reach Redis at 127.0.0.1:6379"; exit 1; }
	fi
	log "Redis: local server ready"
fi

# PG_SERVER_URL is what tests create their own databases on.
echo "export CAU_PG_SERVER_URL='$PG_URL'"
echo "export DATABASE_URL='$APP_URL'"
echo "export REDIS_URL='$REDIS'"
