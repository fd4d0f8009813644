#!/bin/sh
# coturn.sh installs coturn's turnserver for the test that relays media
# through TURN with per-participant credentials (internal/app/turn_test.go).
# The test runs its own turnserver on loopback; the packaged service is not
# started. Idempotent; run from `make test`; the test skips without it.
set -eu
command -v turnserver >/dev/null 2>&1 && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends coturn
$SUDO systemctl disable --now coturn >/dev/null 2>&1 || $SUDO service coturn stop >/dev/null 2>&1 || true
