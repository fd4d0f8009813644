#!/bin/sh
# pdftools.sh installs what the PDF tests of pdfdoc and pdfsign call:
# poppler-utils (pdftotext, pdffonts, pdftoppm, pdfsig) and libnss3-tools
# (certutil, to make the NSS database that trusts the tests' own CA).
# Idempotent; run from `make test` before go test. Tests skip, not fail,
# when a tool is missing, so a machine without apt still builds.
set -eu
need=""
command -v pdftotext >/dev/null 2>&1 && command -v pdfsig >/dev/null 2>&1 || need="$need poppler-utils"
command -v certutil >/dev/null 2>&1 || need="$need libnss3-tools"
[ -z "$need" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need
