#!/bin/sh
# office.sh installs headless LibreOffice (documents are converted to PDF
# for viewing) and the fonts the converted and generated PDFs use, if
# missing. Idempotent; run from `make test` and `make run`.
set -eu
need=""
command -v soffice >/dev/null 2>&1 || need="$need libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui"
dpkg -s fonts-liberation2 >/dev/null 2>&1 || need="$need fonts-liberation2"
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need="$need fonts-dejavu-core"
[ -z "$need" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need
