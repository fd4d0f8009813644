#!/bin/sh
# images.sh makes sure the base images deploy/Dockerfile names exist in the
# local container engine (docker, or podman with ENGINE=podman). Each is
# pulled when the registry answers; where it does not (the province network,
# this test machine), it is built from Debian packages and tagged with the
# upstream name, so the same Dockerfile builds unchanged:
#   debian:bookworm-slim                  debootstrap --variant=minbase bookworm
#   gcr.io/distroless/static-debian12:nonroot  /etc/passwd, /etc/group, CA
#                                         certificates and /tmp, nothing else
#   golang:1.26-bookworm                  the Debian base plus this machine's
#                                         Go toolchain (its version must match)
#                                         and CA certificates
# Idempotent: images already present are kept. Needs root (debootstrap).
# MIRROR overrides the Debian mirror.
set -eu
ENGINE=${ENGINE:-docker}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
here=$(cd "$(dirname "$0")" && pwd)
dockerfile="$here/../Dockerfile"
arg() { sed -n "s/^ARG $1=//p" "$dockerfile"; }
GO_IMAGE=$(arg GO_IMAGE)
RUNTIME_IMAGE=$(arg RUNTIME_IMAGE)
DEBIAN_IMAGE=$(arg DEBIAN_IMAGE)

$ENGINE info >/dev/null 2>&1 || {
	echo "images: $ENGINE does not answer (Debian: apt-get install docker.io, then start dockerd; or ENGINE=podman)" >&2
	exit 1
}

have() { $ENGINE image inspect "$1" >/dev/null 2>&1; }
# pull tries the registry briefly; unreachable, it fails fast.
pull() { timeout 60 $ENGINE pull -q "$1" >/dev/null 2>&1; }
say() { echo "images: $*" >&2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! have "$DEBIAN_IMAGE" && ! pull "$DEBIAN_IMAGE"; then
	say "building $DEBIAN_IMAGE with debootstrap from $MIRROR"
	command -v debootstrap >/dev/null 2>&1 ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
	debootstrap --variant=minbase --include=ca-certificates bookworm "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
		{ tail -20 "$work/debootstrap.log" >&2; exit 1; }
	rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/archives/"*.deb
	tar -C "$work/rootfs" -c . | $ENGINE import --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
	rm -rf "$work/rootfs"
fi

if ! have "$RUNTIME_IMAGE" && ! pull "$RUNTIME_IMAGE"; then
	say "building $RUNTIME_IMAGE from $DEBIAN_IMAGE's CA certificates"
	mkdir -p "$work/distroless"
	cat >"$work/distroless/Dockerfile" <<-EOD
	FROM $DEBIAN_IMAGE AS debian
	RUN mkdir -p /out/etc/ssl/certs /out/tmp /out/home/nonroot \\
	 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \\
	 && printf 'root:x:0:0:root:/root:/sbin/nologin\\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\\n' >/out/etc/passwd \\
	 && printf 'root:x:0:\\nnobody:x:65534:\\nnonroot:x:65532:\\n' >/out/etc/group \\
	 && chmod 1777 /out/tmp && chown 65532:65532 /out/home/nonroot
	FROM scratch
	COPY --from=debian /out/ /
	ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
	USER 65532:65532
	WORKDIR /home/nonroot
	EOD
	$ENGINE build -q -t "$RUNTIME_IMAGE" "$work/distroless" >/dev/null
fi

if ! have "$GO_IMAGE" && ! pull "$GO_IMAGE"; then
	want=${GO_IMAGE#golang:}
	want=${want%%-*}
	goroot=$(go env GOROOT)
	got=$(go env GOVERSION)
	case "$got" in
	go"$want" | go"$want".*) ;;
	*) say "this machine's Go is $got; $GO_IMAGE needs go$want"; exit 1 ;;
	esac
	say "building $GO_IMAGE from $DEBIAN_IMAGE and this machine's $got ($goroot)"
	mkdir -p "$work/golang"
	# The machine's trust store too: `go mod download` in the build must
	# trust what this machine's Go trusts (e.g. an egress proxy's CA).
	cp /etc/ssl/certs/ca-certificates.crt "$work/golang/"
	cat >"$work/golang/Dockerfile" <<-EOD
	FROM $DEBIAN_IMAGE
	COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
	COPY go /usr/local/go
	ENV GOLANG_VERSION=${got#go} GOTOOLCHAIN=local GOPATH=/go PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	WORKDIR /go
	EOD
	# The context is the Dockerfile and the toolchain, streamed as one tar.
	tar -c -C "$work/golang" Dockerfile ca-certificates.crt -C "$(dirname "$goroot")" --transform "s|^$(basename "$goroot")|go|" "$(basename "$goroot")" |
		$ENGINE build -q -t "$GO_IMAGE" - >/dev/null
fi
say "base images present: $DEBIAN_IMAGE $RUNTIME_IMAGE $GO_IMAGE"
[ "${1:-}" = compose ] || exit 0

# `images.sh compose`: the other images deploy/compose.yaml names, as
# stand-ins from Debian's packages that behave as the upstream images do for
# what the compose file uses (PostgreSQL's POSTGRES_* first start, redis-server,
# Caddy reading /etc/caddy/Caddyfile with its data in /data, turnserver).
standin() { # name, directory holding its Dockerfile
	have "$1" || pull "$1" && return 0
	say "building $1 from Debian packages"
	$ENGINE build -q -t "$1" "$2" >/dev/null
}
mkdir -p "$work/postgres" "$work/redis" "$work/caddy" "$work/coturn"
cat >"$work/postgres/Dockerfile" <<-EOD
FROM $DEBIAN_IMAGE
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:\$PATH PGDATA=/var/lib/postgresql/data
USER postgres
EXPOSE 5432
ENTRYPOINT ["/bin/sh", "/usr/local/bin/docker-entrypoint.sh"]
EOD
cat >"$work/postgres/entrypoint.sh" <<-'EOD'
set -eu
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	printf '%s
' "$POSTGRES_PASSWORD" >/tmp/pw
	initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=/tmp/pw --auth-local=trust --auth-host=scram-sha-256 >/dev/null
	rm -f /tmp/pw
	echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
	echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
	pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
	[ "$POSTGRES_DB" = postgres ] || createdb -U "$POSTGRES_USER" "$POSTGRES_DB"
	pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA"
EOD
cat >"$work/redis/Dockerfile" <<-EOD
FROM $DEBIAN_IMAGE
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server redis-tools \
 && rm -rf /var/lib/apt/lists/* && mkdir -p /data && chown redis:redis /data
USER redis
WORKDIR /data
EXPOSE 6379
CMD ["redis-server", "--protected-mode", "no"]
EOD
cat >"$work/caddy/Dockerfile" <<-EOD
FROM $DEBIAN_IMAGE
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends caddy ca-certificates \
 && rm -rf /var/lib/apt/lists/* && mkdir -p /data /config /etc/caddy
ENV XDG_DATA_HOME=/data XDG_CONFIG_HOME=/config
EXPOSE 80 443
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
EOD
cat >"$work/coturn/Dockerfile" <<-EOD
FROM $DEBIAN_IMAGE
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends coturn \
 && rm -rf /var/lib/apt/lists/*
USER turnserver
ENTRYPOINT ["turnserver"]
EOD
compose="$here/../compose.yaml"
img() { sed -n "s/^ *image: *\($1[^ ]*\)$/\1/p" "$compose" | head -1; }
standin "$(img postgres)" "$work/postgres"
standin "$(img redis)" "$work/redis"
standin "$(img caddy)" "$work/caddy"
standin "$(img coturn)" "$work/coturn"
say "compose images present: $(img postgres) $(img redis) $(img caddy) $(img coturn)"
