#!/bin/sh
# ffmpeg.sh installs Debian's ffmpeg (ffmpeg, ffprobe) for the recorder's
# tests (sfu/record_test.go): they encode real VP8/H.264/Opus to publish,
# then check the recorded WebM/Matroska and Ogg files with ffprobe and
# decode them with ffmpeg. Idempotent; run from `make tools`; the tests
# skip without it.
set -eu
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends ffmpeg
