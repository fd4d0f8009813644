#!/bin/sh
# promtool.sh installs promtool (Debian's prometheus package) for the test
# that checks and unit-tests deploy/prometheus/cau-rules.yaml. Idempotent;
# run from `make test`. The test skips, not fails, without it.
set -eu
command -v promtool >/dev/null 2>&1 && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus
# The package starts a Prometheus server; tests need only the tool.
$SUDO systemctl disable --now prometheus >/dev/null 2>&1 || $SUDO service prometheus stop >/dev/null 2>&1 || true
