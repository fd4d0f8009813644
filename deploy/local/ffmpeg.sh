#!/bin/sh
# ffmpeg.sh installs ffmpeg and ffprobe: the recording's finishing job
# remuxes with them (never re-encodes) and the recording tests make WebM
# files and check durations with them. Idempotent; the tests skip without it.
set -eu
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends ffmpeg
